/**
 * `linear(x, weight, bias?)` of @unihetero/tensor on WebGPU against the CPU reference: forward and
 * every gradient, on odd sizes (partial tiles), for 1-, 2- and 3-D and strided inputs; contiguous
 * weight gradients and no leaked GPU storage.
 */
import { describe, expect, it } from 'vitest';
import { linear, tensor, tidy, type Backend } from '@unihetero/tensor';
import { ACCUMULATE, expectClose, normals, useBackends } from './helpers.js';

const b = useBackends();

interface Case {
  name: string;
  x: number[];
  out: number;
  bias: boolean;
  transposed?: boolean;
}

const CASES: Case[] = [
  { name: 'rank 1, bias', x: [5], out: 3, bias: true },
  { name: 'rank 2, no bias', x: [7, 13], out: 9, bias: false },
  { name: 'rank 3, bias', x: [2, 5, 33], out: 17, bias: true },
  { name: 'rank 2, transposed (strided) input, bias', x: [6, 11], out: 4, bias: true, transposed: true },
];

/** Forward, then the gradients of `sum(y * w)` for x, weight and bias, read back. */
async function run(be: Backend, c: Case, data: { x: Float32Array; w: Float32Array; bias: Float32Array }) {
  const inF = c.transposed ? c.x[0]! : c.x[c.x.length - 1]!;
  const x = tensor(data.x, { shape: c.x, backend: be, requiresGrad: true });
  const w = tensor(data.w, { shape: [c.out, inF], backend: be, requiresGrad: true });
  const bias = c.bias ? tensor(data.bias, { shape: [c.out], backend: be, requiresGrad: true }) : null;
  const y = tidy(() => linear(c.transposed ? x.transpose(0, 1) : x, w, bias));
  const wts = tensor(Float32Array.from({ length: y.size }, (_, i) => Math.cos(0.7 * i + 0.1)), { shape: [...y.shape], backend: be });
  const loss = tidy(() => y.mul(wts).sum());
  loss.backward();
  const res = {
    y: Float32Array.from(await y.data()),
    dx: Float32Array.from(await x.grad!.data()),
    dw: Float32Array.from(await w.grad!.data()),
    db: bias ? Float32Array.from(await bias.grad!.data()) : null,
    wContiguous: w.grad!.isContiguous,
  };
  for (const t of [x, w, y, wts, loss, ...(bias ? [bias] : [])]) t.dispose();
  return res;
}

describe('linear on WebGPU', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const inF = c.transposed ? c.x[0]! : c.x[c.x.length - 1]!;
      const data = { x: normals(c.x.reduce((a, d) => a * d, 1)), w: normals(c.out * inF, 0.5), bias: normals(c.out) };
      const want = await run(b.cpu, c, data);
      const storages = b.gpu.memory().storages;
      const got = await run(b.gpu, c, data);
      expect(b.gpu.memory().storages, 'live GPU storages after the step').toBe(storages);
      expectClose(`${c.name} forward`, got.y, want.y, ACCUMULATE);
      expectClose(`${c.name} dx`, got.dx, want.dx, ACCUMULATE);
      expectClose(`${c.name} dW`, got.dw, want.dw, ACCUMULATE);
      if (want.db) expectClose(`${c.name} db`, got.db!, want.db, ACCUMULATE);
      expect(got.wContiguous).toBe(true);
    });
  }
});
