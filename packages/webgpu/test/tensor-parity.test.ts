/**
 * Front-end parity: every op case of the tensor package's gradcheck suite, forward AND backward,
 * on WebGPU equals the CPU reference backend within a stated tolerance. Runs on llvmpipe in CI.
 */
import { describe, expect, it } from 'vitest';
import { allCases, runCase } from '@unihetero/tensor/testing';
import { useBackends } from './helpers.js';

/** Elementwise, reductions, matmul and losses on small shapes: 1e-4 absolute + 1e-3 relative (float32, different summation orders, WGSL transcendentals). */
const ATOL = 1e-4;
const RTOL = 1e-3;

const b = useBackends();

function expectClose(what: string, got: Float32Array, want: Float32Array): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const ok = Math.abs(got[i]! - want[i]!) <= ATOL + RTOL * Math.abs(want[i]!) || (Number.isNaN(got[i]) && Number.isNaN(want[i]));
    if (!ok) throw new Error(`${what}[${i}]: webgpu ${got[i]} vs cpu ${want[i]}`);
  }
}

describe('WebGPU vs CPU: every op forward and backward', () => {
  for (const [name, fn, makeInputs] of allCases) {
    it(name, async () => {
      const inputs = makeInputs();
      const want = await runCase(b.cpu, fn, inputs);
      const got = await runCase(b.gpu, fn, inputs);
      expectClose(`${name} forward`, got.out, want.out);
      want.grads.forEach((g, i) => {
        if (g === null) expect(got.grads[i]).toBeNull();
        else expectClose(`${name} grad ${i}`, got.grads[i]!, g);
      });
    });
  }
});
