/**
 * Fused training kernels (cross-entropy rows and gradient, layerNorm / rmsNorm backward,
 * attention forward) against the CPU reference backend, kernel by kernel and through the tensor
 * front end (forward and backward), on odd sizes that are not multiples of the workgroup or tile:
 * grouped-query heads, strided views, broadcast masks with fully masked rows, ignored targets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend, crossEntropy, crossEntropyWithLogsumexp, layerNorm, rmsNorm, scaledDotProductAttention, tensor, tidy, where, type Backend, type Tensor } from '@unihetero/tensor';
import { FUSED_STORAGE_BUFFERS, initWebGPU, type WebGPUBackend } from '../src/index.js';
import { ACCUMULATE, expectClose, ints, normals, onBoth, useBackends, view } from './helpers.js';

const b = useBackends();

describe('cross-entropy kernels', () => {
  for (const [rows, cols] of [[5, 1], [6, 13], [3, 300], [2, 1000]] as [number, number][]) {
    for (const smoothing of [0, 0.1]) {
      it(`forward and backward [${rows}, ${cols}] smoothing ${smoothing}`, async () => {
        const x = normals(rows * cols, 3);
        const t = ints(rows, 0, cols);
        t[1] = -7; // ignored
        const grad = normals(2 * rows);
        const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
          const stats = alloc(2 * rows);
          const xs = up(x);
          const ts = up(t);
          be.overrides!.crossEntropy!({ logits: xs, targets: ts, rows, cols, ignoreIndex: -7, labelSmoothing: smoothing, stats });
          const dx = alloc(rows * cols);
          be.overrides!.crossEntropyBackward!({ logits: xs, targets: ts, stats, grad: up(grad), rows, cols, ignoreIndex: -7, labelSmoothing: smoothing, dx });
          return [stats, dx];
        });
        expectClose('stats', g[0]!, w[0]!, ACCUMULATE);
        expectClose('dx', g[1]!, w[1]!, ACCUMULATE);
        expect(g[0]![1]).toBe(0);
      });
    }
  }

  it('reports a target out of range at the next read, naming the kernel', async () => {
    const be = b.gpu;
    const xs = be.upload(normals(10), 'float32');
    const ts = be.upload(Int32Array.from([1, 9]), 'int32');
    const stats = be.allocate(4, 'float32');
    be.overrides.crossEntropy!({ logits: xs, targets: ts, rows: 2, cols: 5, ignoreIndex: -100, labelSmoothing: 0, stats });
    await expect(be.read(stats)).rejects.toThrow('webgpu: crossEntropy (target): index 9 is out of range for a dimension of size 5 (detected on the GPU)');
    for (const s of [xs, ts, stats]) be.release(s);
  });
});

describe('column sums (sumColumns: sums over leading dims, bias gradients)', () => {
  // 513 rows: the column sums split into chunks of rows and a finishing reduction.
  for (const [rows, cols, offset] of [[1, 1, 0], [7, 5, 3], [513, 130, 0], [600, 3, 5], [3, 1000, 7], [0, 4, 0]] as [number, number, number][]) {
    it(`[${rows}, ${cols}] from offset ${offset} equals the CPU`, async () => {
      const x = normals(offset + rows * cols + 2);
      const [g, w] = await onBoth(b, ({ be, up }) => {
        const out = up(Float32Array.from({ length: cols }, () => 7)); // overwritten, zeros when there are no rows
        be.overrides!.sumColumns!({ x: up(x), offset, rows, cols, out });
        return [out];
      });
      if (rows === 0) expect(Array.from(g[0]!)).toEqual(new Array<number>(cols).fill(0));
      expectClose('sums', g[0]!, w[0]!, ACCUMULATE);
    });
  }

  it('sums over leading dims through the front end, forward and backward, without a transposed copy', async () => {
    const data = normals(6 * 40 * 33);
    const grads: Float32Array[] = [];
    const sums: Float32Array[] = [];
    for (const be of [b.gpu, b.cpu] as Backend[]) {
      const x = tensor(data, { shape: [6, 40, 33], backend: be, requiresGrad: true });
      const before = be === b.gpu ? b.gpu.dispatches : 0;
      const s = x.sum([0, 1]);
      if (be === b.gpu) expect(b.gpu.dispatches - before, 'one dispatch').toBe(1);
      const loss = tidy(() => s.mul(s).sum());
      loss.backward();
      sums.push(Float32Array.from(await s.data()));
      grads.push(Float32Array.from(await x.grad!.data()));
      for (const t of [x, s, loss]) t.dispose();
    }
    expectClose('sum', sums[0]!, sums[1]!, ACCUMULATE);
    expectClose('grad', grads[0]!, grads[1]!, ACCUMULATE);
  });

  it('checks its geometry and dtype', () => {
    const be = b.gpu;
    const x = be.upload(new Float32Array(6), 'float32');
    const out = be.allocate(3, 'float32');
    expect(() => be.overrides.sumColumns!({ x, offset: 1, rows: 2, cols: 3, out })).toThrow("webgpu: sumColumns: rows 2 x cols 3 at offset 1 exceed the input's 6 elements");
    expect(() => be.overrides.sumColumns!({ x, offset: 0, rows: 1, cols: 6, out })).toThrow('webgpu: sumColumns: out has 3 elements, needs 6');
    const xi = be.upload(new Int32Array(6), 'int32');
    expect(() => be.overrides.sumColumns!({ x: xi, offset: 0, rows: 2, cols: 3, out })).toThrow('webgpu: sumColumns: expected a float32 storage, got int32 (6 elements)');
    for (const st of [x, out, xi]) be.release(st);
  });
});

describe('norm backward kernels', () => {
  // [300, 3]: column sums split into row chunks plus a finishing reduction; [130, 70]: dx with one
  // invocation per row on a software adapter.
  for (const [rows, cols] of [[3, 5], [7, 70], [2, 600], [300, 3], [130, 70]] as [number, number][]) {
    for (const [hasW, wantW, wantB] of [[true, true, true], [true, false, true], [false, false, true], [true, true, false], [false, false, false]]) {
      it(`layerNormBackward [${rows}, ${cols}] weight=${hasW} dweight=${wantW} dbias=${wantB}`, async () => {
        const x = Float32Array.from(normals(rows * cols, 2), (v) => v + 1);
        const wt = normals(cols);
        const gr = normals(rows * cols);
        const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
          const out = alloc(rows * cols);
          const mean = alloc(rows);
          const rstd = alloc(rows);
          const xs = up(x);
          const ws = hasW ? up(wt) : null;
          be.overrides!.layerNorm!({ x: xs, weight: ws, bias: null, rows, cols, eps: 1e-5, out, mean, rstd });
          const dx = alloc(rows * cols);
          const dw = wantW ? alloc(cols) : null;
          const db = wantB ? alloc(cols) : null;
          be.overrides!.layerNormBackward!({ x: xs, mean, rstd, weight: ws, grad: up(gr), rows, cols, dx, dweight: dw, dbias: db });
          return [dx, ...(dw ? [dw] : []), ...(db ? [db] : [])];
        });
        g.forEach((r, i) => expectClose(`layerNormBackward output ${i}`, r, w[i]!, ACCUMULATE));
      });
    }
    for (const [hasW, wantW] of [[true, true], [true, false], [false, false]]) {
      it(`rmsNormBackward [${rows}, ${cols}] weight=${hasW} dweight=${wantW}`, async () => {
        const x = normals(rows * cols, 2);
        const wt = normals(cols);
        const gr = normals(rows * cols);
        const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
          const out = alloc(rows * cols);
          const rstd = alloc(rows);
          const xs = up(x);
          const ws = hasW ? up(wt) : null;
          be.overrides!.rmsNorm!({ x: xs, weight: ws, rows, cols, eps: 1e-6, out, rstd });
          const dx = alloc(rows * cols);
          const dw = wantW ? alloc(cols) : null;
          be.overrides!.rmsNormBackward!({ x: xs, rstd, weight: ws, grad: up(gr), rows, cols, dx, dweight: dw });
          return [dx, ...(dw ? [dw] : [])];
        });
        g.forEach((r, i) => expectClose(`rmsNormBackward output ${i}`, r, w[i]!, ACCUMULATE));
      });
    }
  }
});

/**
 * [B, H, Hkv, Lq, Lk, D, Dv]: one query block and one key tile, partial blocks and tiles, GQA, a
 * single key; head sizes below, at and past multiples of 4 (the kernel holds four channels per
 * vec4), up to a transformer's 64 and the largest head the kernel takes (256).
 */
const ATTENTION_SHAPES: [number, number, number, number, number, number, number][] = [
  [1, 1, 1, 3, 4, 2, 2],
  [2, 4, 2, 37, 45, 5, 3],
  [1, 3, 1, 70, 33, 4, 6],
  [1, 2, 2, 5, 1, 3, 3],
  [1, 2, 1, 20, 45, 64, 64],
  [2, 1, 1, 9, 35, 8, 13],
  [1, 1, 1, 8, 40, 256, 250],
];

describe('attention kernel', () => {
  for (const [B, H, Hkv, Lq, Lk, D, Dv] of ATTENTION_SHAPES) {
    for (const masked of [false, true]) {
      it(`q [${B},${H},${Lq},${D}] k [${B},${Hkv},${Lk},${D}] v ..${Dv} mask=${masked}`, async () => {
        // q stored as [B, Lq, H, D] and read through a permuted view; the mask is [Lq, Lk] broadcast.
        const q = normals(B * Lq * H * D);
        const k = normals(B * Hkv * Lk * D);
        const v = normals(B * Hkv * Lk * Dv);
        const m = Float32Array.from({ length: Lq * Lk }, (_, e) => (e % 3 === 1 ? -Infinity : 0.25 * ((e % 5) - 2)));
        if (Lq > 2) for (let j = 0; j < Lk; j++) m[2 * Lk + j] = -Infinity; // query row 2: no key at all
        const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
          const qv = view(up(q), [B, H, Lq, D], [Lq * H * D, D, H * D, 1]);
          const kv = view(up(k), [B, Hkv, Lk, D]);
          const vv = view(up(v), [B, Hkv, Lk, Dv]);
          const mv = masked ? view(up(m), [B, H, Lq, Lk], [0, 0, Lk, 1]) : null;
          const out = alloc(B * H * Lq * Dv);
          const lse = alloc(B * H * Lq);
          expect(be.overrides!.attention!({ q: qv, k: kv, v: vv, mask: mv, scale: 0.6, out, lse })).toBe(true);
          return [out, lse];
        });
        expectClose('attention out', g[0]!, w[0]!, ACCUMULATE);
        expectClose('attention lse', g[1]!, w[1]!, ACCUMULATE);
        if (masked && Lq > 2) {
          expect(Array.from(g[0]!.slice(2 * Dv, 3 * Dv))).toEqual(new Array(Dv).fill(0));
          expect(g[1]![2]).toBe(-Infinity);
        }
      });
    }
  }

  it('declines head sizes above 256 (the front end composes them)', () => {
    const be = b.gpu;
    const s = (n: number) => be.allocate(n, 'float32');
    const [q, k, v, out, lse] = [s(257), s(2 * 257), s(2 * 257), s(257), s(1)];
    expect(be.overrides.attention!({ q: view(q, [1, 1, 1, 257]), k: view(k, [1, 1, 2, 257]), v: view(v, [1, 1, 2, 257]), mask: null, scale: 1, out, lse })).toBe(false);
    for (const t of [q, k, v, out, lse]) be.release(t);
  });
});

describe('front end on WebGPU: fused vs CPU and vs the composed WebGPU path', () => {
  const cpu = new CpuBackend();
  let plain: WebGPUBackend;
  beforeAll(async () => {
    plain = await initWebGPU({ fused: { attention: false, crossEntropy: false, layerNormBackward: false, rmsNormBackward: false } });
  });
  afterAll(() => plain?.destroy());

  it('fused kernels are offered unless switched off or beyond the device binding limit', () => {
    const limit = b.gpu.device.limits.maxStorageBuffersPerShaderStage;
    for (const [name, need] of Object.entries(FUSED_STORAGE_BUFFERS)) {
      expect(typeof (b.gpu.overrides as Record<string, unknown>)[name], name).toBe(need <= limit ? 'function' : 'undefined');
    }
    expect(plain.overrides.attention).toBeUndefined();
    expect(plain.overrides.crossEntropy).toBeUndefined();
    expect(typeof plain.overrides.layerNorm).toBe('function');
  });

  interface Host {
    data: Float32Array;
    shape: number[];
  }
  async function run(be: Backend, fn: (be: Backend, ...xs: Tensor[]) => Tensor, inputs: Host[]): Promise<Float32Array[]> {
    const xs = inputs.map((h) => tensor(h.data, { shape: h.shape, backend: be, requiresGrad: true }));
    const out = tidy(() => fn(be, ...xs));
    const wts = tensor(Float32Array.from({ length: out.size }, (_, i) => Math.sin(i + 0.5)), { shape: [...out.shape], backend: be });
    const loss = tidy(() => out.mul(wts).sum());
    loss.backward();
    const res = [Float32Array.from(await out.data()), ...(await Promise.all(xs.map(async (x) => Float32Array.from(await x.grad!.data()))))];
    for (const t of [...xs, out, wts, loss]) t.dispose();
    return res;
  }
  const h = (...shape: number[]): Host => ({ data: normals(shape.reduce((a, c) => a * c, 1)), shape });
  const cases: [string, (be: Backend, ...xs: Tensor[]) => Tensor, () => Host[]][] = [
    [
      'attention: GQA, odd sizes, broadcast mask with a fully masked row, mask gradient',
      (be, q, k, v, m) => {
        const hard = tensor(Float32Array.from({ length: 9 * 11 }, (_, e) => (Math.floor(e / 11) === 4 || e % 4 === 3 ? -Infinity : 0)), { shape: [1, 1, 9, 11], backend: be });
        return scaledDotProductAttention(q, k, v, { mask: m!.add(hard) });
      },
      () => [h(2, 6, 9, 5), h(2, 3, 11, 5), h(2, 3, 11, 7), h(2, 1, 9, 11)],
    ],
    [
      'attention: transposed q and k views, keep-mask',
      (be, q, k, v) => scaledDotProductAttention(q.transpose(1, 2), k.transpose(1, 2), v, { mask: tensor(Int32Array.from({ length: 13 }, (_, j) => (j % 5 === 0 ? 0 : 1)), { backend: be }), scale: 0.4 }),
      () => [h(1, 7, 2, 3), h(1, 13, 1, 3), h(1, 1, 13, 4)],
    ],
    [
      'crossEntropyWithLogsumexp + z-loss [13, 37] with ignored rows and smoothing',
      (be, x) => {
        const t = tensor(Int32Array.from({ length: 13 }, (_, i) => (i % 4 === 2 ? -100 : (i * 7) % 37)), { backend: be });
        const r = crossEntropyWithLogsumexp(x, t, { labelSmoothing: 0.1 });
        return r.loss.add(where(t.ne(-100), r.logsumexp.square(), 0).sum().div(r.count.maximum(1)).mul(0.01));
      },
      () => [h(13, 37)],
    ],
    ['crossEntropy none [3, 5, 9]', (be, x) => crossEntropy(x, tensor(Int32Array.from({ length: 15 }, (_, i) => (i % 6 === 5 ? -100 : i % 9)), { shape: [3, 5], backend: be }), { reduction: 'none' }), () => [h(3, 5, 9)]],
    ['layerNorm affine [5, 3, 33]', (_be, x, w, bb) => layerNorm(x, w!, bb!, 1e-5), () => [h(5, 3, 33), h(33), h(33)]],
    ['rmsNorm [4, 65]', (_be, x, w) => rmsNorm(x, w!, 1e-6), () => [h(4, 65), h(65)]],
  ];
  for (const [name, fn, inputs] of cases) {
    it(name, async () => {
      const data = inputs();
      const want = await run(cpu, fn, data);
      const storages = b.gpu.memory().storages;
      const fusedRun = await run(b.gpu, fn, data);
      expect(b.gpu.memory().storages, 'live GPU storages after the step').toBe(storages);
      const composedRun = await run(plain, fn, data);
      const tol = { rtol: 1e-3, atol: 1e-4 };
      want.forEach((wv, i) => {
        expectClose(`${name} ${i === 0 ? 'forward' : `grad ${i - 1}`} (fused)`, fusedRun[i]!, wv, tol);
        expectClose(`${name} ${i === 0 ? 'forward' : `grad ${i - 1}`} (composed)`, composedRun[i]!, wv, tol);
      });
      expect(fusedRun[0]!.every((v) => !Number.isNaN(v))).toBe(true);
    });
  }
});
