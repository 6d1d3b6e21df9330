#!/usr/bin/env node
// The playground's targets, measured in one process on this machine (after `npm run build`):
//  1. first contentful paint and "model ready" of the built app (default backend choice), fresh
//     browser context per load, median of 3;
//  2. one generated image (8 MAR steps) on the llvmpipe WebGPU adapter: the first (with shader
//     compilation) and the median of the next 3;
//  3. training speed of the same model (the demo's: exp2, 64 wide, 2 layers, batch 16) in the
//     Train tab's worker (CPU backend, and WebGPU on llvmpipe) next to Node (CPU backend, and Dawn
//     on llvmpipe): median ms per step over steps 3..12.
// Usage: node apps/playground/scripts/measure.mjs   (needs Debian's chromium)
import { execSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg } from 'node:os';
import { preview } from 'vite';
import { chromium } from 'playwright-core';
import { Trainer, createShapesModel } from '@unihetero/model';
import { CpuBackend } from '@unihetero/tensor';
import { initWebGPU } from '@unihetero/webgpu';

process.env.EGL_PLATFORM ||= 'surfaceless';
const root = fileURLToPath(new URL('..', import.meta.url));
const SMALL = { backbone: { hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 4 }, flow: { width: 64, depth: 2 } };
const STEPS = 12;
const BATCH = 16;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;

const server = await preview({ root, configFile: `${root}/vite.config.ts`, preview: { port: 0, host: '127.0.0.1' }, logLevel: 'warn' });
const base = server.resolvedUrls.local[0];
const browser = await chromium.launch({
  executablePath: execSync('command -v chromium').toString().trim(),
  args: ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--use-webgpu-adapter=opengles', '--use-angle=gl-egl', '--enable-webgpu-developer-features'],
});
const state = (page) => page.evaluate(() => globalThis.__playground);
const open = async (query) => {
  const context = await browser.newContext({ viewport: { width: 1180, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${base}${query}`);
  await page.waitForFunction(() => document.documentElement.dataset.ready, null, { timeout: 120_000 });
  const st = await state(page);
  if (st.errors.length) throw new Error(st.errors.join('; '));
  const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
  return { context, page, st, fcp };
};
console.log(`machine: ${cpus().length} cores (${cpus()[0].model}), load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);

// 1. First paint and model ready.
const loads = [];
for (let i = 0; i < 3; i++) {
  const { context, st, fcp } = await open('');
  loads.push({ fcp, ready: st.readyMs, backend: st.backend });
  await context.close();
}
console.log(`first paint (FCP): median ${fmt(median(loads.map((l) => l.fcp)))}; model ready: median ${fmt(median(loads.map((l) => l.ready)))} [${loads.map((l) => fmt(l.ready)).join(', ')}]; backend ${loads[0].backend} (default choice 'auto')`);

// 2. Generation on llvmpipe.
{
  const { context, page, st } = await open('?backend=webgpu-compat');
  console.log(`  (llvmpipe page ready in ${fmt(st.readyMs)})`);
  const times = [];
  for (let i = 0; i < 4; i++) {
    await page.evaluate(() => (globalThis.__playground.lastGeneration = null));
    await page.fill('#gen-seed', String(i));
    await page.click('#gen-run');
    await page.waitForFunction(() => globalThis.__playground.lastGeneration || globalThis.__playground.errors.length, null, { timeout: 120_000 });
    const g = (await state(page)).lastGeneration;
    if (!g) throw new Error((await state(page)).errors.join('; '));
    times.push(g.ms);
  }
  console.log(`one image (8 MAR steps, shipped model) on ${st.backend}: first ${fmt(times[0])} (shader compilation included), then median ${fmt(median(times.slice(1)))} [${times.slice(1).map(fmt).join(', ')}]`);
  await context.close();
}

// 3. Training speed: in the tab (worker) and in Node, same model and batch.
const tab = async (backend) => {
  const { context, page } = await open('?tab=train');
  await page.selectOption('#train-size', 'small');
  await page.selectOption('#train-backend', backend);
  await page.fill('#train-batch', String(BATCH));
  await page.fill('#train-steps', String(STEPS));
  await page.fill('#train-every', '100000');
  await page.click('#train-start');
  await page.waitForFunction(() => globalThis.__playground.training.done || globalThis.__playground.errors.length, null, { timeout: 600_000 });
  const st = await state(page);
  if (!st.training.done) throw new Error(st.errors.join('; '));
  await context.close();
  return { ms: median(st.training.msPerStep.slice(2)), label: st.training.backend };
};
const node = async (backend) => {
  const built = await createShapesModel({ preset: 'exp2', config: SMALL, seed: 0 }, backend);
  built.model.train();
  const trainer = new Trainer(built.model, built.world, { samples: STEPS * BATCH, batchSize: BATCH, lr: 3e-3, seed: 0 });
  const ms = [];
  while (!trainer.done) ms.push((await trainer.trainStep()).ms);
  built.model.dispose();
  backend.destroy();
  return median(ms.slice(2));
};
const rows = [];
const tabCpu = await tab('cpu');
rows.push(['tab (worker), CPU backend', tabCpu.ms]);
const nodeCpu = await node(new CpuBackend());
rows.push(['Node, CPU backend', nodeCpu]);
const tabGpu = await tab('webgpu-compat');
rows.push([`tab (worker), ${tabGpu.label}`, tabGpu.ms]);
const nodeGpu = await node(await initWebGPU());
rows.push(['Node, Dawn WebGPU (llvmpipe, compatibility)', nodeGpu]);
console.log(`training exp2 64w x 2L, batch ${BATCH}, median ms/step of steps 3..${STEPS}:`);
for (const [name, ms] of rows) console.log(`  ${name.padEnd(70)} ${ms.toFixed(0).padStart(6)} ms/step  ${((BATCH * 1000) / ms).toFixed(1).padStart(6)} samples/s`);
console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
await browser.close();
await server.close();
