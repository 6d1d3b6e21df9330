import { bundlePage } from './src/bundle.js';
import { launchChromium } from './src/chromium.js';
import { openPage } from './src/page-server.js';
const js = await bundlePage(new URL('./parity-page.ts', import.meta.url).pathname);
const browser = await launchChromium();
const page = await browser.newPage();
await openPage(page, { '/index.html': { contentType: 'text/html', body: '<!doctype html><script type="module" src="/page.js"></script>' }, '/page.js': { contentType: 'text/javascript', body: js } });
await page.waitForFunction(() => (globalThis as any).unihetero !== undefined);
for (const fl of (process.argv[2] ?? 'core').split(',')) {
  const t0 = Date.now();
  const r: any = await page.evaluate((f) => (globalThis as any).unihetero.runParity(f), fl);
  const tot = r.results.reduce((a: number, b: any) => a + b.ms, 0);
  console.log(fl, 'wall', Date.now() - t0, 'sum cases', tot.toFixed(0));
  console.log(r.results.map((x: any) => `${x.name}:${x.ms.toFixed(0)}`).join(' | '));
}
await browser.close();
