/**
 * Front-end parity: every op case of the tensor package's gradcheck suite, forward AND backward,
 * on WebGPU equals the CPU reference backend within a stated tolerance. Runs on llvmpipe in CI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend, getDefaultBackend, setDefaultBackend, tensor, tidy, type Backend, type Tensor } from '@unihetero/tensor';
import { allCases, type HostInput } from '../../tensor/test/op-cases.js';
import { initWebGPU } from '../src/index.js';

/** Elementwise, reductions, matmul and losses on small shapes: 1e-4 absolute + 1e-3 relative (float32, different summation orders, WGSL transcendentals). */
const ATOL = 1e-4;
const RTOL = 1e-3;

let gpu: Backend;
const cpu = new CpuBackend();
let previous: Backend;

beforeAll(async () => {
  gpu = await initWebGPU();
  previous = getDefaultBackend();
});
afterAll(() => {
  setDefaultBackend(previous);
  gpu?.destroy();
});

async function run(backend: Backend, fn: (...xs: Tensor[]) => Tensor, inputs: HostInput[]): Promise<{ out: Float32Array; grads: (Float32Array | null)[] }> {
  setDefaultBackend(backend);
  try {
    const xs = inputs.map((h) => tensor(h.data, { shape: h.shape, backend, requiresGrad: true }));
    const out = tidy(() => fn(...xs));
    const loss = tidy(() => out.mul(out.detach().mul(0).add(1)).sum());
    loss.backward();
    const result = {
      out: Float32Array.from(await out.data()),
      grads: await Promise.all(xs.map(async (x) => (x.grad ? Float32Array.from(await x.grad.data()) : null))),
    };
    for (const x of xs) x.dispose();
    out.dispose();
    loss.dispose();
    return result;
  } finally {
    setDefaultBackend(previous);
  }
}

function expectClose(what: string, got: Float32Array, want: Float32Array): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const ok = Math.abs(got[i]! - want[i]!) <= ATOL + RTOL * Math.abs(want[i]!) || (Number.isNaN(got[i]) && Number.isNaN(want[i]));
    if (!ok) throw new Error(`${what}[${i}]: webgpu ${got[i]} vs cpu ${want[i]}`);
  }
}

describe('WebGPU vs CPU: every op forward and backward', () => {
  for (const [name, caseFn, makeInputs] of allCases) {
    // op-cases.ts types its functions with the tensor package's sources; the same class at run time.
    const fn = caseFn as unknown as Parameters<typeof run>[1];
    it(name, async () => {
      const inputs = makeInputs();
      const want = await run(cpu, fn, inputs);
      const got = await run(gpu, fn, inputs);
      expectClose(`${name} forward`, got.out, want.out);
      want.grads.forEach((g, i) => {
        if (g === null) expect(got.grads[i]).toBeNull();
        else expectClose(`${name} grad ${i}`, got.grads[i]!, g);
      });
    });
  }
});
