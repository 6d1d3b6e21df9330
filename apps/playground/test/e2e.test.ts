/**
 * The playground end to end in Debian's headless Chromium: the built app (`dist/`, served by
 * `vite preview` with its COOP/COEP headers) on the llvmpipe WebGPU adapter generates an image
 * that the judge scores from the canvas pixels read back; the Understand tab captions a scene and
 * answers its questions; a 20-step training run in the Train tab's worker lowers the loss; the
 * checkpoint downloads, loads in Node with `loadShapesModel`, and reloads in the page. A
 * screenshot of each tab goes to `apps/playground/test-artifacts/` (kept by CI as artifacts).
 * Under CI=true a missing Chromium or adapter fails the suite instead of skipping it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { Judge, type RgbImage } from '@unihetero/data';
import { loadShapesModel } from '@unihetero/model';
import { NO_CHROMIUM_MESSAGE, findChromium, launchChromium, mustRun } from '@unihetero/browser-tests/chromium';
import type { PageState } from '../src/context.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const artifacts = join(root, 'test-artifacts');
const chromiumPath = findChromium();
if (!chromiumPath && mustRun) throw new Error(`${NO_CHROMIUM_MESSAGE} (CI=true: the browser suite must run)`);

const pageState = (page: Page) => page.evaluate(() => (globalThis as unknown as { __playground: PageState }).__playground);

describe.skipIf(!chromiumPath)('the playground in Chromium', () => {
  let server: PreviewServer;
  let browser: Browser;
  let page: Page;
  let base: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(join(root, 'dist', 'index.html'))) throw new Error('apps/playground/dist is missing: run npm run build first');
    mkdirSync(artifacts, { recursive: true });
    server = await preview({ root, configFile: join(root, 'vite.config.ts'), preview: { port: 0, host: '127.0.0.1', strictPort: false }, logLevel: 'warn' });
    base = server.resolvedUrls!.local[0]!;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1180, height: 800 }, acceptDownloads: true });
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`console.error: ${m.text()}`);
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('loads cross-origin isolated on the llvmpipe adapter with the shipped model', async () => {
    await page.goto(`${base}?backend=webgpu-compat`);
    await page.waitForFunction(() => document.documentElement.dataset.ready !== undefined, null, { timeout: 60_000 });
    const st = await pageState(page);
    expect(st.errors).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.dataset.ready)).toBe('true');
    expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
    expect(st.backend).toMatch(/^WebGPU · .*llvmpipe.*\(compatibility\)$/);
    expect(await page.textContent('#model-label')).toMatch(/^exp\d · \d+w×\dL · step \d+ · models\/shapes-world\.safetensors$/);
    console.log(`playground: model ready ${st.readyMs!.toFixed(0)} ms after navigation (backend ${st.timings.backendMs!.toFixed(0)} ms, files ${st.timings.filesMs!.toFixed(0)} ms) on ${st.backend}`);
  });

  it('generates an image that the judge scores from the canvas pixels', async () => {
    const caption = 'a large red circle at the top left and a small blue square at the bottom right.';
    await page.fill('#gen-caption', caption);
    await page.fill('#gen-steps', '8');
    await page.click('#gen-run');
    await page.waitForFunction(() => {
      const p = (globalThis as unknown as { __playground: PageState }).__playground;
      return p.lastGeneration !== null || p.errors.length > 0;
    }, null, { timeout: 90_000 });
    const st = await pageState(page);
    expect(st.errors).toEqual([]);
    const g = st.lastGeneration!;
    expect(g.caption).toBe(caption);
    expect(g.revealedPerStep).toHaveLength(8);
    expect(g.revealedPerStep.reduce((a, b) => a + b, 0)).toBe(64);
    const pixels = await page.evaluate(() => {
      const c = document.getElementById('gen-image') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
      return { width: d.width, height: d.height, rgba: Array.from(d.data) };
    });
    expect([pixels.width, pixels.height]).toEqual([32, 32]);
    const image: RgbImage = { width: 32, height: 32, data: Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => pixels.rgba[Math.floor(i / 3) * 4 + (i % 3)]!) };
    const score = new Judge().score(image, caption);
    expect(score.objects.map((o) => `${o.target.size} ${o.target.colour} ${o.target.shape}`)).toEqual(['large red circle', 'small blue square']);
    expect(score.objectAccuracy).toBe(g.objectAccuracy);
    expect(await page.locator('#gen-verdict table tr').count()).toBe(3);
    console.log(`playground: generated one image (8 MAR steps) on ${st.backend} in ${g.ms.toFixed(0)} ms; judge: objects ${(score.objectAccuracy * 100).toFixed(0)}%, position ${(score.position * 100).toFixed(0)}%`);
    await page.screenshot({ path: join(artifacts, 'generate.png') });
  });

  it('captions a composed scene and answers its questions', async () => {
    await page.click('nav button[data-tab="understand"]');
    await page.click('#und-random');
    await page.click('#und-run');
    await page.waitForSelector('#und-caption', { timeout: 60_000 });
    const st = await pageState(page);
    expect(st.errors).toEqual([]);
    expect((await page.textContent('#und-caption'))!.length).toBeGreaterThan(0);
    const questions = await page.locator('#und-output .question').count();
    expect(questions).toBeGreaterThanOrEqual(4);
    expect(await page.locator('#und-output .question li:has-text("←")').count()).toBe(questions);
    await page.screenshot({ path: join(artifacts, 'understand.png') });
  });

  it('trains 20 steps in the tab (loss goes down, pause holds it), downloads the checkpoint and reloads it', async () => {
    await page.click('nav button[data-tab="train"]');
    await page.selectOption('#train-size', 'tiny');
    await page.selectOption('#train-backend', 'cpu');
    await page.fill('#train-batch', '8');
    await page.fill('#train-steps', '20');
    await page.fill('#train-every', '10');
    await page.click('#train-start');
    // Pause after a few steps: the step count holds still until Resume.
    await page.waitForFunction(() => (globalThis as unknown as { __playground: PageState }).__playground.training.steps >= 3, null, { timeout: 60_000 });
    await page.click('#train-pause');
    await page.waitForSelector('#train-status:has-text("paused at step")', { timeout: 120_000 });
    const pausedAt = (await pageState(page)).training.steps;
    expect(await page.textContent('#train-status')).toBe(`paused at step ${pausedAt}`);
    await page.waitForTimeout(500);
    expect((await pageState(page)).training.steps).toBe(pausedAt);
    expect(pausedAt).toBeLessThan(20);
    await page.click('#train-pause');
    expect(await page.textContent('#train-pause')).toBe('Pause');
    await page.waitForFunction(() => {
      const p = (globalThis as unknown as { __playground: PageState }).__playground;
      return p.training.done || p.errors.length > 0;
    }, null, { timeout: 90_000 });
    let st = await pageState(page);
    expect(st.errors).toEqual([]);
    const losses = st.training.losses;
    expect(losses).toHaveLength(20);
    expect(losses.every(Number.isFinite)).toBe(true);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-5))).toBeLessThan(mean(losses.slice(0, 5)));
    await page.waitForFunction(() => document.querySelectorAll('#train-samples figure').length === 2, null, { timeout: 30_000 });
    console.log(`playground: 20 in-tab training steps (tiny, batch 8, CPU worker): loss ${losses[0]!.toFixed(3)} -> ${losses[19]!.toFixed(3)}, median ${[...st.training.msPerStep].sort((a, b) => a - b)[10]!.toFixed(0)} ms/step`);
    await page.screenshot({ path: join(artifacts, 'train.png') });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#train-download')]);
    expect(download.suggestedFilename()).toBe('unihetero-playground-step20.safetensors');
    const file = join(artifacts, download.suggestedFilename());
    await download.saveAs(file);
    const inNode = await loadShapesModel(file);
    expect(inNode.step).toBe(20);
    expect(inNode.model.config.backbone.hiddenSize).toBe(32);
    inNode.model.dispose();

    await page.setInputFiles('#checkpoint-file', file);
    await page.waitForFunction(() => document.getElementById('model-label')!.textContent!.includes('unihetero-playground-step20.safetensors'), null, { timeout: 30_000 });
    expect(await page.textContent('#model-label')).toBe('exp2 · 32w×1L · step 20 · unihetero-playground-step20.safetensors');
    st = await pageState(page);
    expect(st.errors).toEqual([]);
    expect(st.gpuErrors).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
