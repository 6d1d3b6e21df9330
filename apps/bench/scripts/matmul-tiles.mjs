/**
 * WebGPU matmul tile configurations side by side on this machine's adapter (written for Mesa
 * llvmpipe): GFLOP/s of each configuration on a few products, the configurations interleaved
 * round by round so that a change in the host's speed hits them alike; then the transformer
 * bench step with the default tiles forced (`matmul: {}`) against the backend's own choice.
 *
 *   EGL_PLATFORM=surfaceless node apps/bench/scripts/matmul-tiles.mjs [rounds] [configs-json]
 *
 * configs-json: a list of `MatmulConfig`s (default: the default tiles, `TALL_MATMUL` and `LARGE_MATMUL`).
 */
const { resolve } = await import('node:path');
const base = resolve(new URL('../../..', import.meta.url).pathname);
const T = await import(`${base}/packages/tensor/dist/index.js`);
const W = await import(`${base}/packages/webgpu/dist/index.js`);
const X = await import(`${base}/packages/transformer/dist/index.js`);

const rounds = Number(process.argv[2] ?? 3);
const configs = process.argv[3] ? JSON.parse(process.argv[3]) : [W.DEFAULT_MATMUL, W.TALL_MATMUL, W.LARGE_MATMUL];
const shapes = [
  [1024, 704, 256],
  [1024, 256, 704],
  [512, 512, 512],
];

/** Deterministic uniform values in [-0.5, 0.5). */
function values(n, seed) {
  const x = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    x[i] = s / 2 ** 32 - 0.5;
  }
  return x;
}

const auto = await W.initWebGPU();
console.log(`adapter: ${auto.info.description} (software: ${W.isSoftwareAdapter(auto.info)})`);
const backends = await Promise.all(configs.map((matmul) => W.initWebGPU({ device: auto.device, matmul })));
const gflops = configs.map(() => shapes.map(() => []));
for (let r = 0; r < rounds; r++) {
  for (let c = 0; c < configs.length; c++) {
    const be = backends[c];
    for (let s = 0; s < shapes.length; s++) {
      const [m, n, k] = shapes[s];
      const a = T.tensor(values(m * k, 1), { backend: be }).reshape([m, k]);
      const b = T.tensor(values(k * n, 2), { backend: be }).reshape([k, n]);
      await a.matmul(b).sum().item(); // compiles the kernel
      const reps = 4;
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) {
        const y = a.matmul(b);
        await y.sum().item();
        y.dispose();
      }
      gflops[c][s].push((2 * m * n * k) / ((performance.now() - t0) / reps) / 1e6);
      a.dispose();
      b.dispose();
    }
  }
}
console.log('GFLOP/s per round (M x N x K):');
for (let c = 0; c < configs.length; c++) {
  const cells = shapes.map((sh, s) => `${sh.join('x')}: ${gflops[c][s].map((v) => v.toFixed(2)).join(' / ')}`);
  console.log(`  ${JSON.stringify(configs[c])}  ${cells.join('  ')}`);
}

// The transformer bench step: the default tiles for every product against the backend's choice.
const forced = await W.initWebGPU({ device: auto.device, matmul: {} });
const benches = { 'default tiles': X.createBenchmark({ backend: forced, seed: 0 }), "backend's choice": X.createBenchmark({ backend: auto, seed: 0 }) };
const names = Object.keys(benches);
const ms = Object.fromEntries(names.map((k) => [k, []]));
const losses = Object.fromEntries(names.map((k) => [k, []]));
const step = async (k) => {
  const loss = benches[k].step();
  const v = await loss.item();
  loss.dispose();
  losses[k].push(v.toFixed(5));
};
for (const k of names) for (let i = 0; i < 2; i++) await step(k);
for (let r = 0; r < rounds; r++) {
  for (const k of r % 2 ? [...names].reverse() : names) {
    const t0 = performance.now();
    for (let i = 0; i < 2; i++) await step(k);
    ms[k].push((performance.now() - t0) / 2);
  }
}
console.log('transformer bench step, ms per step per round (2 steps each, after 2 warm-up steps):');
for (const k of names) console.log(`  ${k.padEnd(17)} ${ms[k].map((v) => v.toFixed(0)).join(' / ')}  losses ${losses[k].slice(0, 4).join(', ')}`);
process.exit(0);
