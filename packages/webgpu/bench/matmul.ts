/**
 * Matmul throughput on the current adapter (llvmpipe on a headless box): GFLOP/s at square sizes.
 * Run from the package folder: `npm run bench` (bundles this file with esbuild, then runs it).
 * Optional env: MM_CONFIG='{"wgX":8,"wgY":8,"rm":4,"rn":4,"tk":32}', MM_SIZES='128,256,512', MM_LAYOUT='nn|nt|tn'.
 */
import { initWebGPU, type MatmulConfig } from '../src/index.js';

const sizes = (process.env.MM_SIZES ?? '128,256,512').split(',').map(Number);
const config = process.env.MM_CONFIG ? (JSON.parse(process.env.MM_CONFIG) as Partial<MatmulConfig>) : undefined;
const layout = process.env.MM_LAYOUT ?? 'nn';
const backend = await initWebGPU({ matmul: config });
console.log(`adapter: ${backend.info.description}; layout ${layout}; config ${JSON.stringify(config ?? 'default')}`);
for (const n of sizes) {
  const a = backend.upload(Float32Array.from({ length: n * n }, (_, i) => ((i * 7) % 13) / 13 - 0.5), 'float32');
  const b = backend.upload(Float32Array.from({ length: n * n }, (_, i) => ((i * 5) % 11) / 11 - 0.5), 'float32');
  const c = backend.allocate(n * n, 'float32');
  const av = { storage: a, shape: [1, n, n], strides: layout[0] === 't' ? [0, 1, n] : [0, n, 1], offset: 0 };
  const bv = { storage: b, shape: [1, n, n], strides: layout[1] === 't' ? [0, 1, n] : [0, n, 1], offset: 0 };
  backend.matmul(av, bv, c);
  await backend.sync();
  let iters = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < 1500 || iters < 3) {
    backend.matmul(av, bv, c);
    await backend.sync();
    iters++;
    elapsed = performance.now() - t0;
  }
  const gflops = (2 * n * n * n * iters) / (elapsed / 1000) / 1e9;
  console.log(`${n}x${n}x${n}: ${(elapsed / iters).toFixed(2)} ms/iter, ${gflops.toFixed(2)} GFLOP/s (${iters} iters)`);
  for (const s of [a, b, c]) backend.release(s);
}
backend.destroy();
