// A backend author's check against the published op cases (`@unihetero/tensor/testing`): every case
// forward and backward on a second CPU backend, compared with the default one. The testing entry
// must load beside the runtime as ONE copy (a bundled second copy would hold its own default backend
// and Tensor class: `oneRuntime` checks both). Prints one JSON line.
import { CpuBackend, Tensor, getDefaultBackend, tensor } from '@unihetero/tensor';
import { allCases, runCase, withDefaultBackend, type Case } from '@unihetero/tensor/testing';

const reference = getDefaultBackend();
const mine = new CpuBackend();
let maxDiff = 0;
let ran = 0;
for (const [, fn, inputs] of allCases as Case[]) {
  const hosts = inputs();
  const [a, b] = [await runCase(reference, fn, hosts), await runCase(mine, fn, hosts)];
  for (const [x, y] of [[a.out, b.out], ...a.grads.map((g, i) => [g, b.grads[i]])] as [Float32Array | null, Float32Array | null][]) {
    if (!x || !y) continue;
    for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i]!)) maxDiff = Math.max(maxDiff, Math.abs(x[i]! - y[i]!));
  }
  ran++;
}
// One runtime: the default backend the testing entry sets is the one the runtime sees.
const oneRuntime = (await withDefaultBackend(mine, async () => getDefaultBackend() === mine)) && tensor([1]) instanceof Tensor;
console.log(JSON.stringify({ cases: allCases.length, ran, maxDiff, oneRuntime }));
