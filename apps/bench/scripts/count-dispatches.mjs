#!/usr/bin/env node
// Dispatches, compute passes, submits and ms per step of the transformer bench workload on WebGPU,
// counted on the GPUDevice itself, so it works for any built checkout (including commits from
// before the backend counted its own dispatches):
//
//   EGL_PLATFORM=surfaceless node apps/bench/scripts/count-dispatches.mjs <checkout> [steps] [eager|compiled]
//
// <checkout> is a repository root whose packages are built (npm run build). Two untimed steps
// first; medians over the timed steps; HIST=1 also prints the dispatches of the last step by kernel.
// SKIP=<regex> dispatches a single workgroup for the kernels whose label matches, so what a step
// saves against a normal run estimates those kernels' share (their results, and the losses,
// are then wrong; a kernel whose garbage output slows later kernels, e.g. with NaNs, distorts it).
const [root = '.', stepsArg = '3', mode = 'eager'] = process.argv.slice(2);
const steps = Number(stepsArg);
const { resolve } = await import('node:path');
const base = resolve(root);
const T = await import(`${base}/packages/tensor/dist/index.js`);
const W = await import(`${base}/packages/webgpu/dist/index.js`);
const X = await import(`${base}/packages/transformer/dist/index.js`);
const backend = await W.initWebGPU();
const count = { dispatches: 0, passes: 0, submits: 0 };
const skip = process.env.SKIP ? new RegExp(process.env.SKIP) : null;
const hist = new Map();
let histogram = false;
const device = backend.device;
const createEncoder = device.createCommandEncoder.bind(device);
device.createCommandEncoder = (descriptor) => {
  const encoder = createEncoder(descriptor);
  const beginPass = encoder.beginComputePass.bind(encoder);
  encoder.beginComputePass = (passDescriptor) => {
    const pass = beginPass(passDescriptor);
    count.passes++;
    let label = '?';
    const setPipeline = pass.setPipeline.bind(pass);
    pass.setPipeline = (pipeline) => {
      label = pipeline.label || '?';
      return setPipeline(pipeline);
    };
    const dispatch = pass.dispatchWorkgroups.bind(pass);
    pass.dispatchWorkgroups = (...grid) => {
      count.dispatches++;
      if (histogram) hist.set(label, (hist.get(label) ?? 0) + 1);
      if (skip && skip.test(label)) return dispatch(1, 1, 1);
      return dispatch(...grid);
    };
    return pass;
  };
  return encoder;
};
const submit = device.queue.submit.bind(device.queue);
device.queue.submit = (buffers) => {
  count.submits++;
  return submit(buffers);
};
const bench = X.createBenchmark({ backend, seed: 0 });
const step = mode === 'compiled' ? T.compile(() => bench.step(), { name: 'transformer step' }) : () => bench.step();
const rows = [];
for (let i = 0; i < 2 + steps; i++) {
  histogram = i === 1 + steps;
  const before = { ...count };
  const t0 = performance.now();
  const loss = step();
  const value = await loss.item();
  loss.dispose();
  rows.push({ ms: performance.now() - t0, dispatches: count.dispatches - before.dispatches, passes: count.passes - before.passes, submits: count.submits - before.submits, loss: value });
  console.error(`step ${i + 1}: ${JSON.stringify(rows.at(-1))}`);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const timed = rows.slice(2);
console.log(
  JSON.stringify({
    checkout: base,
    mode,
    msPerStep: median(timed.map((r) => r.ms)),
    dispatchesPerStep: median(timed.map((r) => r.dispatches)),
    passesPerStep: median(timed.map((r) => r.passes)),
    submitsPerStep: median(timed.map((r) => r.submits)),
    losses: rows.map((r) => Number(r.loss.toFixed(4))),
    compile: step.stats?.() ?? null,
  }),
);
if (process.env.HIST) console.log([...hist].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${v}\t${k}`).join('\n'));
bench.dispose();
backend.destroy?.();
process.exit(0);
