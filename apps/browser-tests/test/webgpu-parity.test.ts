/**
 * The WebGPU op parity suite inside a real headless Chromium: every op case of the tensor
 * package's gradcheck suite, forward and backward, on each software adapter (SwiftShader through a
 * core request, Mesa llvmpipe through a compatibility request) against the CPU backend in the same
 * page, with WebGPU error scopes asserted empty. Under CI=true a missing Chromium or adapter fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { allCases } from '@unihetero/tensor/testing';
import { ADAPTERS, NO_CHROMIUM_MESSAGE, findChromium, launchChromium, mustRun } from '../src/chromium.js';
import { bundlePage } from '../src/bundle.js';
import { openPage } from '../src/page-server.js';
import type { ParityReport } from '../src/parity-page.js';

const chromiumPath = findChromium();
if (!chromiumPath && mustRun) throw new Error(`${NO_CHROMIUM_MESSAGE} (CI=true: the browser suite must run)`);

describe.skipIf(!chromiumPath)('WebGPU vs CPU in Chromium: every op forward and backward', () => {
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const js = await bundlePage(new URL('../src/parity-page.ts', import.meta.url).pathname);
    browser = await launchChromium();
    page = await browser.newPage();
    await openPage(page, { '/index.html': { contentType: 'text/html', body: '<!doctype html><title>parity</title><script type="module" src="/page.js"></script>' }, '/page.js': { contentType: 'text/javascript', body: js } }, pageErrors);
    await page.waitForFunction(() => (globalThis as { unihetero?: unknown }).unihetero !== undefined);
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const adapter of ADAPTERS) {
    describe(`${adapter.name} (${adapter.featureLevel} request)`, () => {
      let report: ParityReport;
      beforeAll(async () => {
        const t0 = performance.now();
        report = await page.evaluate((fl) => (globalThis as unknown as { unihetero: { runParity: (f: string) => Promise<ParityReport> } }).unihetero.runParity(fl), adapter.featureLevel);
        console.log(`browser parity on ${adapter.name}: ${report.results.length} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s; adapter ${JSON.stringify(report.adapter)}`);
      }, 600_000);

      it('catches a validation error in an error scope (the harness works)', async () => {
        const message = await page.evaluate((fl) => (globalThis as unknown as { unihetero: { provokeValidationError: (f: string) => Promise<string | null> } }).unihetero.provokeValidationError(fl), adapter.featureLevel);
        expect(message).toMatch(/workgroup/i);
      });

      it('gets the expected adapter', () => {
        expect(report.adapter.featureLevel).toBe(adapter.featureLevel);
        const names = `${report.adapter.vendor} ${report.adapter.architecture} ${report.adapter.device} ${report.adapter.description}`.toLowerCase();
        expect(names).toContain(adapter.name);
      });

      for (const [name] of allCases) {
        it(name, () => {
          const r = report.results.find((x) => x.name === name);
          expect(r, `${name} did not run in the page`).toBeDefined();
          expect(r!.scopeErrors, `${name}: WebGPU errors`).toEqual([]);
          expect(r!.error).toBeNull();
        });
      }

      it('raises no uncaptured WebGPU error and no page error', () => {
        expect(report.uncaptured).toEqual([]);
        expect(pageErrors).toEqual([]);
      });
    });
  }
});
