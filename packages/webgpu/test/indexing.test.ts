import { kernels } from '@unihetero/tensor';
/**
 * gather / scatterAdd parity with the CPU reference backend, including repeated indices (the
 * deterministic column kernel and the atomic kernels), strided and broadcast index views, and
 * out-of-range indices reported at the next read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCUMULATE, EXACT, expectClose, ints, normals, onBoth, useBackends, view } from './helpers.js';
import { initWebGPU, type WebGPUBackend } from '../src/index.js';

const b = useBackends();

describe('gather', () => {
  it('gathers along the middle axis (embedding rows, last-dim picks, broadcast index)', async () => {
    const table = normals(10 * 6);
    const rows = ints(7, 0, 10);
    const logits = normals(5 * 8);
    const picks = ints(5, 0, 8);
    const itable = ints(60, -9, 9);
    const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
      const emb = alloc(7 * 6);
      // embedding: x [1, 10, 6], index [1, 7, 6] broadcast along inner (stride 0)
      be.gather(view(up(table), [1, 10, 6]), view(up(rows), [1, 7, 6], [0, 1, 0]), emb);
      const pick = alloc(5);
      // cross-entropy style: x [5, 8, 1], index [5, 1, 1]
      be.gather(view(up(logits), [5, 8, 1]), view(up(picks), [5, 1, 1]), pick);
      const ti = alloc(7 * 6, 'int32');
      be.gather(view(up(itable), [1, 10, 6], [0, 1, 10]), view(up(rows), [1, 7, 6], [0, 1, 0]), ti); // transposed int table
      return [emb, pick, ti];
    });
    g.forEach((r, i) => expectClose(`gather ${i}`, r, w[i]!, EXACT));
  });
});

describe('scatterAdd', () => {
  it('accumulates repeated indices (deterministic column kernel)', async () => {
    const idx = ints(9, 0, 4); // 9 updates into 4 rows: repeats guaranteed
    const src = normals(9 * 70);
    const src2 = normals(6);
    const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
      const t = alloc(4 * 70);
      be.scatterAdd(t, view(up(idx), [1, 9, 70], [0, 1, 0]), view(up(src), [1, 9, 70]));
      const t2 = alloc(3 * 5);
      be.scatterAdd(t2, view(up(Int32Array.from([4, 4, 0, 4, 1, 1])), [3, 2, 1]), view(up(src2), [3, 2, 1]));
      return [t, t2];
    });
    expectClose('embedding backward', g[0]!, w[0]!, ACCUMULATE);
    expectClose('last-dim scatter', g[1]!, w[1]!, ACCUMULATE);
  });

  it('is bitwise reproducible in deterministic mode', async () => {
    const idx = ints(500, 0, 3);
    const src = normals(500 * 64);
    const once = async () => {
      const t = b.gpu.allocate(3 * 64, 'float32');
      kernels.fill(b.gpu, t, 0);
      const i = b.gpu.upload(idx, 'int32');
      const s = b.gpu.upload(src, 'float32');
      b.gpu.scatterAdd(t, view(i, [1, 500, 64], [0, 1, 0]), view(s, [1, 500, 64]));
      const r = await b.gpu.read(t);
      for (const x of [t, i, s]) b.gpu.release(x);
      return r;
    };
    expect(Array.from(await once())).toEqual(Array.from(await once()));
  });

  it('int32 targets use exact atomics', async () => {
    const idx = ints(300, 0, 5);
    const src = ints(300, -100, 100);
    const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
      const t = alloc(5, 'int32');
      be.scatterAdd(t, view(up(idx), [1, 300, 1]), view(up(src), [1, 300, 1]));
      return [t];
    });
    expectClose('int32 scatter', g[0]!, w[0]!, EXACT);
  });

  describe('atomic float32 mode', () => {
    let atomic: WebGPUBackend;
    beforeAll(async () => {
      atomic = await initWebGPU({ scatterAdd: 'atomic' });
    });
    afterAll(() => atomic?.destroy());
    it('accumulates repeated indices with compare-exchange atomics', async () => {
      const idx = ints(400, 0, 7);
      const src = normals(400 * 3);
      const t = atomic.allocate(7 * 3, 'float32');
      kernels.fill(atomic, t, 1);
      const i = atomic.upload(idx, 'int32');
      const s = atomic.upload(src, 'float32');
      atomic.scatterAdd(t, view(i, [1, 400, 3], [0, 1, 0]), view(s, [1, 400, 3]));
      const got = await atomic.read(t);
      for (const x of [t, i, s]) atomic.release(x);
      const want = new Float64Array(21).fill(1);
      for (let j = 0; j < 400; j++) for (let i = 0; i < 3; i++) want[idx[j]! * 3 + i] += src[j * 3 + i]!;
      expectClose('atomic scatter', got, want, ACCUMULATE);
    });
  });
});

describe('out-of-range indices', () => {
  it('gather reports the index and the dimension at the next read', async () => {
    const gpu = b.gpu;
    const x = gpu.upload(normals(12), 'float32');
    const idx = gpu.upload(Int32Array.from([0, 5, 1]), 'int32');
    const out = gpu.allocate(9, 'float32');
    gpu.gather(view(x, [1, 4, 3]), view(idx, [1, 3, 3], [0, 1, 0]), out);
    await expect(gpu.read(out)).rejects.toThrow(/gather: index 5 is out of range for a dimension of size 4/);
    // the error is reported once; the backend keeps working
    expect((await gpu.read(x)).length).toBe(12);
    for (const s of [x, idx, out]) gpu.release(s);
  });

  it('scatterAdd reports negative indices at sync', async () => {
    const gpu = b.gpu;
    const t = gpu.allocate(4, 'float32');
    kernels.fill(gpu, t, 0);
    const idx = gpu.upload(Int32Array.from([1, -1]), 'int32');
    const src = gpu.upload(Float32Array.from([1, 2]), 'float32');
    gpu.scatterAdd(t, view(idx, [1, 2, 1]), view(src, [1, 2, 1]));
    await expect(gpu.sync()).rejects.toThrow(/scatterAdd: index -1 is out of range for a dimension of size 4/);
    expect(Array.from(await gpu.read(t))).toEqual([0, 1, 0, 0]);
    for (const s of [t, idx, src]) gpu.release(s);
  });
});
