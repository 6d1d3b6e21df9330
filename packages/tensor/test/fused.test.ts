/**
 * The fused training kernels of the CPU reference backend (cross-entropy rows, norm backward,
 * attention) against the composed paths the front end uses when a backend offers none: equal in
 * float64 to rounding, forward and backward; plus their edge cases and errors.
 */
import { HOST_ATTENTION_MAX_WORK, attentionFitsHost } from '../src/cpu/cpu-backend.js';
import { attentionHost, normBackwardRows as normBackwardRowsJs } from '../src/cpu/fused.js';
import { normRows as normRowsJs, sumColumns as sumColumnsJs } from '../src/cpu/reduce.js';
import { describe, expect, it } from 'vitest';
import {
  CpuBackend,
  Generator,
  crossEntropy,
  randn,
  crossEntropyWithLogsumexp,
  layerNorm,
  liveTensorCount,
  rmsNorm,
  rope,
  scaledDotProductAttention,
  tensor,
  tidy,
  where,
  type Backend,
  type OverrideName,
  type Tensor,
} from '../src/index.js';

const FUSED: OverrideName[] = ['softmax', 'logsumexp', 'layerNorm', 'rmsNorm', 'layerNormBackward', 'rmsNormBackward', 'crossEntropy', 'crossEntropyBackward', 'attention', 'rope', 'sumColumns'];

/** A CPU backend that offers no override (the front end composes everything). */
function composedCpu(): Backend {
  const b = new CpuBackend();
  const kept = { ...b.overrides };
  for (const k of FUSED) delete kept[k];
  Object.defineProperty(b, 'overrides', { value: kept });
  return b;
}

const fused = new CpuBackend();
const composed = composedCpu();
const gen = new Generator(77);
const normals = (n: number, scale = 1) => Float64Array.from({ length: n }, () => gen.normal() * scale);

interface Run {
  out: Float64Array;
  grads: (Float64Array | null)[];
}

/** Run `fn` on float64 copies of `inputs` on `backend`; weighted-sum backward; values and grads. */
function run(backend: Backend, fn: (...xs: Tensor[]) => Tensor, inputs: { data: Float64Array; shape: number[]; grad?: boolean }[]): Run {
  const xs = inputs.map((h) => tensor(h.data, { shape: h.shape, dtype: 'float64', backend, requiresGrad: h.grad ?? true }));
  const out = fn(...xs);
  const w = tensor(Float64Array.from({ length: out.size }, (_, i) => Math.cos(i + 1)), { shape: [...out.shape], dtype: 'float64', backend });
  const loss = tidy(() => out.mul(w).sum());
  loss.backward();
  const result = { out: out.dataSync() as Float64Array, grads: xs.map((x) => (x.grad ? (x.grad.dataSync() as Float64Array) : null)) };
  for (const t of [...xs, out, w, loss]) t.dispose();
  return result;
}

function expectEqualRuns(what: string, a: Run, b: Run, tol = 1e-12): void {
  const cmp = (name: string, x: ArrayLike<number>, y: ArrayLike<number>) => {
    expect(x.length, `${name} length`).toBe(y.length);
    for (let i = 0; i < x.length; i++) {
      const ok = Object.is(x[i], y[i]) || Math.abs(x[i]! - y[i]!) <= tol * (1 + Math.abs(y[i]!));
      if (!ok) throw new Error(`${name}[${i}]: fused ${x[i]} vs composed ${y[i]}`);
    }
  };
  cmp(`${what} forward`, a.out, b.out);
  a.grads.forEach((g, i) => {
    if (g === null) expect(b.grads[i], `${what} grad ${i}`).toBeNull();
    else cmp(`${what} grad ${i}`, g, b.grads[i]!);
  });
}

function both(what: string, fn: (be: Backend) => (...xs: Tensor[]) => Tensor, inputs: { data: Float64Array; shape: number[]; grad?: boolean }[]): void {
  expectEqualRuns(what, run(fused, fn(fused), inputs), run(composed, fn(composed), inputs));
}

const h = (shape: number[], scale = 1, grad = true) => ({ data: normals(shape.reduce((a, b) => a * b, 1), scale), shape, grad });

describe('fused vs composed (CPU, float64)', () => {
  it('crossEntropy: every reduction, ignoreIndex rows and label smoothing', () => {
    const targets = (be: Backend) => tensor(new Int32Array([3, -100, 0, 6, 6, -100, 1]), { backend: be });
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      for (const labelSmoothing of [0, 0.15]) {
        both(`crossEntropy ${reduction} s=${labelSmoothing}`, (be) => (x) => crossEntropy(x, targets(be), { reduction, labelSmoothing }), [h([7, 7], 3)]);
      }
    }
  });

  it('crossEntropyWithLogsumexp: loss + z-loss gradients through both outputs, leading dims', () => {
    both(
      'ce + z',
      (be) => (x) => {
        const t = tensor(new Int32Array([0, 2, -5, 4, 1, 3]), { shape: [2, 3], backend: be });
        const r = crossEntropyWithLogsumexp(x, t, { ignoreIndex: -5, labelSmoothing: 0.05 });
        return r.loss.add(where(t.ne(-5), r.logsumexp.square(), 0).sum().div(r.count.maximum(1)).mul(0.1)).add(r.logsumexp.sum().mul(0.01));
      },
      [h([2, 3, 5], 2)],
    );
  });

  it('layerNorm backward with every affine combination and gradient subsets', () => {
    for (const [wg, bg] of [[true, true], [true, false], [false, true]] as const) {
      both(`layerNorm w=${wg} b=${bg}`, () => (x, w, b) => layerNorm(x, w!, b!, 1e-5), [h([4, 6], 2), h([6], 1, wg), h([6], 1, bg)]);
    }
    both('layerNorm plain, 2 normalized dims', () => (x) => layerNorm(x, null, null, 1e-5, 2), [h([3, 2, 5], 2)]);
    both('layerNorm weight only', () => (x, w) => layerNorm(x, w!, null, 1e-3), [h([5, 3]), h([3])]);
  });

  it('rmsNorm backward with and without weight', () => {
    both('rmsNorm weight', () => (x, w) => rmsNorm(x, w!, 1e-6), [h([2, 3, 7], 2), h([7])]);
    both('rmsNorm weight frozen', () => (x, w) => rmsNorm(x, w!, 1e-6), [h([3, 4]), h([4], 1, false)]);
    both('rmsNorm plain', () => (x) => rmsNorm(x, null, 1e-6), [h([5, 4])]);
  });

  it('attention: GQA, strided q, broadcast masks with fully masked rows, mask gradient', () => {
    const mask = (be: Backend) => tensor([0, -Infinity, 0, -2, 0, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, 0.5, 0, 0, 0, -Infinity], { shape: [1, 1, 3, 5], backend: be });
    both('attention gqa mask', (be) => (q, k, v) => scaledDotProductAttention(q, k, v, { mask: mask(be) }), [h([2, 6, 3, 4]), h([2, 2, 5, 4]), h([2, 2, 5, 3])]);
    both('attention float mask grad', () => (q, k, v, m) => scaledDotProductAttention(q, k, v, { mask: m!, scale: 0.3 }), [h([1, 2, 4, 3]), h([1, 2, 3, 3]), h([1, 2, 3, 3]), h([4, 3])]);
    both('attention permuted q, no mask', () => (q, k, v) => scaledDotProductAttention(q.transpose(1, 2), k, v), [h([2, 3, 2, 4]), h([2, 1, 6, 4]), h([2, 1, 6, 2])]);
    both('attention keep-mask', (be) => (q, k, v) => scaledDotProductAttention(q, k, v, { mask: tensor(new Int32Array([1, 0, 1, 0, 0, 0]), { shape: [2, 3], backend: be }) }), [h([1, 1, 2, 2]), h([1, 1, 3, 2]), h([1, 1, 3, 2])]);
  });
});

describe('rope (fused vs composed)', () => {
  /** HF-layout tables for `L` positions and head size `d`: cos = [c, c], sin = [-s, s]. */
  const tables = (be: Backend, L: number, d: number, dtype: 'float64' | 'float32' = 'float64') => {
    const cos: number[] = [];
    const sin: number[] = [];
    for (let p = 0; p < L; p++) {
      const a = Array.from({ length: d / 2 }, (_, k) => p / 10000 ** ((2 * k) / d));
      cos.push(...a.map(Math.cos), ...a.map(Math.cos));
      sin.push(...a.map((v) => -Math.sin(v)), ...a.map(Math.sin));
    }
    return { cos: tensor(cos, { shape: [1, 1, L, d], dtype, backend: be }), sin: tensor(sin, { shape: [1, 1, L, d], dtype, backend: be }) };
  };

  it('forward and backward on permuted q, broadcast tables, and arbitrary (non-rotation) tables', () => {
    both('rope [B,H,L,D] from [B,L,H,D]', (be) => (x) => {
      const t = tables(be, 3, 6);
      return rope(x!.permute(0, 2, 1, 3), t.cos, t.sin);
    }, [h([2, 3, 4, 6])]);
    // Tables that are not a rotation: the backward is the adjoint g cos + swap(g sin), not the inverse rotation.
    const [c, s] = [normals(8), normals(8)];
    both('rope general tables', (be) => (x) => rope(x!, tensor(c, { shape: [2, 4], dtype: 'float64', backend: be }), tensor(s, { shape: [2, 4], dtype: 'float64', backend: be })), [h([3, 2, 4])]);
    both('rope of the square of a rope', (be) => (x) => {
      const t = tables(be, 2, 4);
      const y = rope(x!, t.cos, t.sin);
      return rope(y.mul(y), t.cos, t.sin);
    }, [h([2, 1, 2, 4])]);
  });

  it('tables that require grad take the composed path and get gradients', () => {
    both('rope table grads', () => (x, c, s) => rope(x!, c!, s!), [h([2, 3, 4]), h([3, 4]), h([1, 4])]);
  });

  it('is a rotation for HF tables: norms of each pair are kept, and position 0 is the identity', () => {
    const t = tables(fused, 4, 8);
    const x = randn([1, 1, 4, 8], { dtype: 'float64', backend: fused, generator: new Generator(5) });
    const y = rope(x, t.cos, t.sin);
    const xs = x.dataSync();
    const ys = y.dataSync();
    for (let i = 0; i < 8; i++) expect(ys[i]).toBe(xs[i]);
    for (let p = 0; p < 4; p++) {
      for (let k = 0; k < 4; k++) {
        const [a, b, c, d] = [xs[p * 8 + k]!, xs[p * 8 + k + 4]!, ys[p * 8 + k]!, ys[p * 8 + k + 4]!];
        expect(Math.hypot(c, d)).toBeCloseTo(Math.hypot(a, b), 12);
      }
    }
    for (const v of [x, y, t.cos, t.sin]) v.dispose();
  });

  it('rejects odd heads, tables that do not broadcast, and int inputs', () => {
    const t = tables(fused, 2, 4);
    expect(() => rope(tensor(normals(6), { shape: [2, 3], dtype: 'float64', backend: fused }), t.cos, t.sin)).toThrow('rope: the last dim of x [2,3] must be even');
    expect(() => rope(tensor(normals(12), { shape: [3, 4], dtype: 'float64', backend: fused }), t.cos, t.sin)).toThrow(/rope: cos \[1, 1, 2, 4\] does not broadcast to x \[3, 4\]|broadcast/);
    expect(() => rope(tensor(new Int32Array(4), { backend: fused }), t.cos, t.sin)).toThrow('rope: x must be a float tensor, got int32');
  });
});

describe('sumColumns (sums over leading dims without a transposed copy)', () => {
  /** `x.sum(dims)` on float32 data of `shape` on a backend; the result's bits. */
  const sumOn = (be: Backend, shape: number[], dims: number[], keepdim = false, offset = 0) => {
    const n = shape.reduce((p, q) => p * q, 1);
    const data = Float32Array.from({ length: n + offset }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 7)));
    const base = tensor(data, { shape: [n + offset], backend: be });
    const x = base.slice(0, offset, n + offset).reshape(shape);
    const y = x.sum(dims, keepdim);
    const out = { shape: [...y.shape], data: y.dataSync() as Float32Array };
    for (const t of [base, x, y]) t.dispose();
    return out;
  };

  it('gives bitwise the composed (transposed) result: rows off a multiple of 4, several leading dims, keepdim, an offset view, mean', () => {
    for (const [shape, dims, keepdim, offset] of [
      [[512, 384], [0], false, 0],
      [[7, 5], [0], true, 0],
      [[1, 9], [0], false, 3],
      [[3, 2, 17], [0, 1], false, 1],
      [[8, 64, 128], [0], true, 0],
      [[6, 4, 5], [1, 0], false, 0],
    ] as [number[], number[], boolean, number][]) {
      const f = sumOn(fused, shape, dims, keepdim, offset);
      const c = sumOn(composed, shape, dims, keepdim, offset);
      expect(f.shape, `${shape} over ${dims}`).toEqual(c.shape);
      expect(f.data, `${shape} over ${dims}`).toEqual(c.data);
    }
    const x = tensor(Float32Array.from({ length: 30 }, (_, i) => i * 0.1), { shape: [5, 6], backend: fused });
    const m = x.mean(0);
    expect(m.dataSync()).toEqual(tensor(Float32Array.from({ length: 30 }, (_, i) => i * 0.1), { shape: [5, 6], backend: composed }).mean(0).dataSync());
    x.dispose();
    m.dispose();
  });

  it('backward: bias-like gradients equal the composed ones (float64)', () => {
    both('sum over rows', () => (x) => x.sum(0), [h([9, 5])]);
    both('sum over two leading dims', () => (x) => x.sum([0, 1], true).mul(x.sum([0, 1], true)), [h([3, 5, 7])]);
  });

  it('is used only for sums over leading dims of contiguous floats', () => {
    const be = new CpuBackend();
    let calls = 0;
    const original = be.overrides.sumColumns!;
    Object.defineProperty(be, 'overrides', { value: { ...be.overrides, sumColumns: (a: Parameters<typeof original>[0]) => (calls++, original(a)) } });
    const x = tensor(Float32Array.from({ length: 24 }, (_, i) => i), { shape: [2, 3, 4], backend: be });
    const xi = tensor(Int32Array.from({ length: 24 }, (_, i) => i), { shape: [2, 3, 4], dtype: 'int32', backend: be });
    const t = x.transpose(0, 2);
    const results = [x.sum(0), x.sum([0, 1]), x.sum(2), x.sum(1), x.sum(), t.sum(0), xi.sum(0)];
    expect(calls).toBe(2);
    expect(Array.from(results[0]!.dataSync())).toEqual([12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34]);
    expect(Array.from(results[1]!.dataSync())).toEqual([60, 66, 72, 78]);
    expect(Array.from(results[6]!.dataSync())).toEqual([12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34]);
    for (const r of [x, xi, t, ...results]) r.dispose();
  });

  it('the SIMD kernel (float32 in the arena) equals the JavaScript one bit for bit: odd and even widths, row counts around multiples of 4, offsets', () => {
    const be = new CpuBackend();
    for (let rows = 1; rows <= 13; rows++) {
      for (const cols of [1, 2, 3, 7, 16, 37]) {
        const offset = (rows * 3) % 5;
        const data = Float32Array.from({ length: offset + rows * cols }, (_, i) => Math.fround(Math.sin(i * 1.7) * 10 ** ((i % 5) - 2)));
        const x = be.upload(data, 'float32');
        const out = be.allocate(cols, 'float32');
        expect((x as unknown as { ptr: number }).ptr, 'x lives in the arena').toBeGreaterThanOrEqual(0);
        be.overrides.sumColumns!({ x, offset, rows, cols, out });
        expect((be as unknown as { columns: unknown }).columns, 'the WebAssembly kernel ran').not.toBeNull();
        const want = new Float32Array(cols);
        sumColumnsJs(data, offset, rows, cols, want);
        expect(be.readSync(out), `${rows} x ${cols} from ${offset}`).toEqual(want);
        be.release(x);
        be.release(out);
      }
    }
  });

  it('checks its geometry', () => {
    const be = new CpuBackend();
    const s = be.upload(new Float32Array(6), 'float32');
    const out = be.allocate(3, 'float32');
    expect(() => be.overrides.sumColumns!({ x: s, offset: 1, rows: 2, cols: 3, out })).toThrow('sumColumns: rows 2 x cols 3 from offset 1 exceed the storage of 6 elements');
    expect(() => be.overrides.sumColumns!({ x: s, offset: 0, rows: 1, cols: 6, out })).toThrow('sumColumns: output storage holds 3 elements, needs 6');
    be.release(s);
    be.release(out);
  });
});

describe('norm rows on float32 arena blocks (WebAssembly) against the JavaScript rows', () => {
  it('LayerNorm with and without bias, RMSNorm: out, mean and rstd bit for bit, odd and even widths', () => {
    const be = new CpuBackend();
    for (const cols of [1, 2, 3, 5, 8, 13, 64, 129]) {
      for (const kind of ['layer', 'layer-no-bias', 'rms'] as const) {
        const rows = 1 + (cols % 7);
        const f32 = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 1.3 + seed) * 3 + (seed % 3)));
        const xs = f32(rows * cols, 1);
        const ws = f32(cols, 2);
        const bs = f32(cols, 3);
        const x = be.upload(xs, 'float32');
        const weight = be.upload(ws, 'float32');
        const bias = kind === 'layer' ? be.upload(bs, 'float32') : null;
        const out = be.allocate(rows * cols, 'float32');
        const mean = kind === 'rms' ? null : be.allocate(rows, 'float32');
        const rstd = be.allocate(rows, 'float32');
        if (kind === 'rms') be.overrides.rmsNorm!({ x, weight, rows, cols, eps: 1e-6, out, rstd });
        else be.overrides.layerNorm!({ x, weight, bias, rows, cols, eps: 1e-5, out, mean: mean!, rstd });
        expect((be as unknown as { norms: unknown }).norms, 'the WebAssembly rows ran').not.toBeNull();
        const want = { out: new Float32Array(rows * cols), mean: new Float32Array(rows), rstd: new Float32Array(rows) };
        normRowsJs({ x: xs, weight: ws, bias: kind === 'layer' ? bs : null, rows, cols, eps: kind === 'rms' ? 1e-6 : 1e-5, out: want.out, mean: kind === 'rms' ? null : want.mean, rstd: want.rstd });
        const what = `${kind}, ${rows} x ${cols}`;
        expect(be.readSync(out), `${what}: out`).toEqual(want.out);
        expect(be.readSync(rstd), `${what}: rstd`).toEqual(want.rstd);
        if (mean) expect(be.readSync(mean), `${what}: mean`).toEqual(want.mean);
        for (const st of [x, weight, bias, out, mean, rstd]) if (st) be.release(st);
      }
    }
  });
});

describe('norm backward rows on float32 arena blocks (WebAssembly) against the JavaScript rows', () => {
  it('LayerNorm with and without a bias gradient, RMSNorm: dx, dweight and dbias bit for bit', () => {
    const be = new CpuBackend();
    for (const cols of [1, 2, 3, 5, 8, 13, 64, 129]) {
      for (const kind of ['layer', 'layer-no-dbias', 'rms'] as const) {
        const rows = 1 + (cols % 7);
        const f32 = (n: number, seed: number, scale = 1) => Float32Array.from({ length: n }, (_, i) => Math.fround((Math.sin(i * 1.3 + seed) * 3 + (seed % 3)) * scale));
        const host = { x: f32(rows * cols, 1), mean: f32(rows, 4, 0.1), rstd: Float32Array.from(f32(rows, 5), (v) => Math.fround(0.5 + Math.abs(v))), w: f32(cols, 2), g: f32(rows * cols, 3) };
        const up = (d: Float32Array) => be.upload(d, 'float32');
        const [x, rstd, weight, grad] = [up(host.x), up(host.rstd), up(host.w), up(host.g)];
        const mean = kind === 'rms' ? null : up(host.mean);
        const dx = be.allocate(rows * cols, 'float32');
        const dweight = be.allocate(cols, 'float32');
        const dbias = kind === 'layer' ? be.allocate(cols, 'float32') : null;
        if (kind === 'rms') be.overrides.rmsNormBackward!({ x, rstd, weight, grad, rows, cols, dx, dweight });
        else be.overrides.layerNormBackward!({ x, mean: mean!, rstd, weight, grad, rows, cols, dx, dweight, dbias });
        expect((be as unknown as { normsBackward: unknown }).normsBackward, 'the WebAssembly rows ran').not.toBeNull();
        const want = { dx: new Float32Array(rows * cols), dw: new Float32Array(cols), db: new Float32Array(cols) };
        normBackwardRowsJs({ x: host.x, mean: kind === 'rms' ? null : host.mean, rstd: host.rstd, weight: host.w, grad: host.g, rows, cols, dx: want.dx, dweight: want.dw, dbias: kind === 'layer' ? want.db : null });
        const what = `${kind}, ${rows} x ${cols}`;
        expect(be.readSync(dx), `${what}: dx`).toEqual(want.dx);
        expect(be.readSync(dweight), `${what}: dweight`).toEqual(want.dw);
        if (dbias) expect(be.readSync(dbias), `${what}: dbias`).toEqual(want.db);
        for (const st of [x, rstd, weight, grad, mean, dx, dweight, dbias]) if (st) be.release(st);
      }
    }
  });
});

describe('attention semantics', () => {
  for (const [name, be] of [['fused', fused], ['composed', composed]] as const) {
    it(`${name}: fully masked rows give zeros and zero gradients, not NaN`, () => {
      const q = tensor(normals(2 * 3 * 2), { shape: [1, 2, 3, 2], backend: be, requiresGrad: true });
      const k = tensor(normals(4 * 2), { shape: [1, 1, 4, 2], backend: be, requiresGrad: true });
      const v = tensor(normals(4 * 2), { shape: [1, 1, 4, 2], backend: be, requiresGrad: true });
      const m = tensor([0, 0, -Infinity, 0, -Infinity, -Infinity, -Infinity, -Infinity, 0, -Infinity, -Infinity, -Infinity], { shape: [3, 4], backend: be });
      const y = scaledDotProductAttention(q, k, v, { mask: m });
      const out = Array.from(y.dataSync());
      expect(out.slice(2, 4)).toEqual([0, 0]);
      expect(out.slice(8, 10)).toEqual([0, 0]);
      expect(out.every(Number.isFinite)).toBe(true);
      // The third row attends to key 0 only: its output is v[0].
      const v0 = Array.from(v.dataSync().slice(0, 2));
      expect(out[4]).toBeCloseTo(v0[0]!, 6);
      expect(out[5]).toBeCloseTo(v0[1]!, 6);
      y.sum().backward();
      const gq = Array.from(q.grad!.dataSync());
      expect(gq.slice(2, 6)).toEqual([0, 0, 0, 0]);
      for (const t of [q.grad!, k.grad!, v.grad!]) expect(Array.from(t.dataSync()).every(Number.isFinite)).toBe(true);
      for (const t of [q, k, v, m, y]) t.dispose();
    });
  }

  it('equals softmax(q k^T / sqrt(D)) v written out by hand', () => {
    const q = tensor([[[[1, 0], [0, 1]]]]);
    const k = tensor([[[[1, 0], [0, 1], [1, 1]]]]);
    const v = tensor([[[[1, 2], [3, 4], [5, 6]]]]);
    const y = scaledDotProductAttention(q, k, v).dataSync();
    const s = 1 / Math.sqrt(2);
    const rows = [[s, 0, s], [0, s, s]];
    const want = rows.flatMap((r) => {
      const e = r.map(Math.exp);
      const z = e[0]! + e[1]! + e[2]!;
      return [(e[0]! * 1 + e[1]! * 3 + e[2]! * 5) / z, (e[0]! * 2 + e[1]! * 4 + e[2]! * 6) / z];
    });
    want.forEach((w, i) => expect(y[i]).toBeCloseTo(w, 6));
  });

  for (const [name, be] of [['fused', fused], ['composed', composed]] as const) {
    it(`${name}: frees every intermediate (live tensors return to baseline)`, () => {
      const opts = { backend: be, requiresGrad: true };
      const q = tensor(normals(2 * 4 * 3), { shape: [1, 2, 4, 3], ...opts });
      const k = tensor(normals(5 * 3), { shape: [1, 1, 5, 3], ...opts });
      const v = tensor(normals(5 * 3), { shape: [1, 1, 5, 3], ...opts });
      const logits = tensor(normals(12), { shape: [3, 4], ...opts });
      const mask = tensor([0, 0, -Infinity, 0, 0], { shape: [5], backend: be });
      const targets = tensor(new Int32Array([1, -100, 3]), { backend: be });
      const base = liveTensorCount();
      const storages = be.memory().storages;
      for (let step = 0; step < 2; step++) {
        const y = scaledDotProductAttention(q, k, v, { mask });
        const r = crossEntropyWithLogsumexp(logits, targets);
        const z = layerNorm(y, null, null);
        const loss = tidy(() => z.sum().add(r.loss).add(r.logsumexp.square().sum()).add(rmsNorm(logits, null).sum()));
        loss.backward();
        for (const t of [y, r.loss, r.logsumexp, r.count, z, loss]) t.dispose();
        for (const t of [q, k, v, logits]) t.zeroGrad();
        expect(liveTensorCount()).toBe(base);
        expect(be.memory().storages).toBe(storages);
      }
    });
  }
});

describe('fused kernels: inputs and errors', () => {
  it('layerNorm and rmsNorm read contiguous views that start at an offset', () => {
    const big = tensor([[1, 2, 3], [10, 20, 40], [5, 5, 6]]);
    const x = big.narrow(0, 1, 2);
    expect(x.isContiguous && x.offset > 0).toBe(true);
    const close = (a: Tensor, b: Tensor) => Array.from(a.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(b.dataSync()[i]!, 6));
    close(layerNorm(x, null, null), layerNorm(x.clone(), null, null));
    close(rmsNorm(x, null), rmsNorm(x.clone(), null));
  });

  it('crossEntropy: a target out of range names the row and the class count', () => {
    const logits = tensor(normals(6), { shape: [2, 3], dtype: 'float32' });
    expect(() => crossEntropy(logits, tensor(new Int32Array([0, 3])))).toThrow('crossEntropy: target 3 of row 1 is out of range for 3 classes (ignoreIndex is -100)');
    expect(() => crossEntropyWithLogsumexp(logits, tensor(new Int32Array([0, 1, 2])))).toThrow('crossEntropyWithLogsumexp: logits [2,3] must be targets [3] plus a class dim');
    expect(() => crossEntropy(logits, tensor(new Int32Array([0, 1])), { labelSmoothing: 1 })).toThrow('crossEntropy: labelSmoothing must be in [0, 1), got 1');
  });

  it('crossEntropyWithLogsumexp returns logsumexp for every row and the non-ignored count', () => {
    const logits = tensor([[0, Math.log(3)], [1, 1]]);
    const r = crossEntropyWithLogsumexp(logits, tensor(new Int32Array([1, -100])), { reduction: 'none' });
    expect(r.loss.dataSync()[0]).toBeCloseTo(Math.log(4 / 3), 6);
    expect(r.loss.dataSync()[1]).toBe(0);
    expect(r.logsumexp.dataSync()[0]).toBeCloseTo(Math.log(4), 6);
    expect(r.logsumexp.dataSync()[1]).toBeCloseTo(1 + Math.log(2), 6);
    expect(r.count.itemSync()).toBe(1);
  });

  it('scaledDotProductAttention validates shapes, heads, masks and scale', () => {
    const t = (...shape: number[]) => tensor(normals(shape.reduce((a, b) => a * b, 1)), { shape, dtype: 'float32' });
    expect(() => scaledDotProductAttention(t(2, 3, 4), t(2, 1, 3, 4), t(2, 1, 3, 4))).toThrow('scaledDotProductAttention: q must be rank 4 [batch, heads, length, headDim], got [2,3,4]');
    expect(() => scaledDotProductAttention(t(1, 3, 2, 4), t(1, 2, 5, 4), t(1, 2, 5, 4))).toThrow('scaledDotProductAttention: key/value heads 2 must divide query heads 3 (grouped-query attention)');
    expect(() => scaledDotProductAttention(t(1, 2, 2, 4), t(1, 2, 5, 3), t(1, 2, 5, 4))).toThrow('scaledDotProductAttention: q head size 4 differs from k head size 3');
    expect(() => scaledDotProductAttention(t(1, 2, 2, 4), t(1, 2, 5, 4), t(1, 2, 4, 4))).toThrow('scaledDotProductAttention: k [1,2,5,4] and v [1,2,4,4] must agree in heads and length');
    expect(() => scaledDotProductAttention(t(1, 2, 2, 4), t(1, 2, 5, 4), t(1, 2, 5, 4), { mask: t(2, 4) })).toThrow(
      'scaledDotProductAttention: mask [2,4] is not broadcastable to [B, H, Lq, Lk] = [1,2,2,5]',
    );
    expect(() => scaledDotProductAttention(t(1, 2, 2, 4), t(1, 2, 5, 4), t(1, 2, 5, 4), { scale: NaN })).toThrow('scaledDotProductAttention: scale must be a finite number, got NaN');
  });
});

describe('README', () => {
  it('runs the attention and z-loss example', () => {
    const q = randn([2, 8, 16, 32], { requiresGrad: true });
    const k = randn([2, 2, 16, 32], { requiresGrad: true }); // 2 key/value heads for 8 query heads
    const v = randn([2, 2, 16, 32], { requiresGrad: true });
    const causal = tensor(Float32Array.from({ length: 16 * 16 }, (_, e) => (e % 16 > Math.floor(e / 16) ? -Infinity : 0)), { shape: [16, 16] });
    const y = scaledDotProductAttention(q, k, v, { mask: causal }); // [2, 8, 16, 32]

    const logits = randn([6, 10], { requiresGrad: true });
    const targets = tensor(new Int32Array([3, -100, 0, 9, 9, 1]));
    const { loss, logsumexp, count } = crossEntropyWithLogsumexp(logits, targets);
    const zLoss = where(targets.ne(-100), logsumexp.square(), 0).sum().div(count.maximum(1)).mul(1e-4);
    loss.add(zLoss).add(y.mean()).backward();

    expect(y.shape).toEqual([2, 8, 16, 32]);
    expect(count.itemSync()).toBe(5);
    for (const t of [q, k, v, logits]) expect(Array.from(t.grad!.dataSync()).every(Number.isFinite)).toBe(true);
    // Causal: the first query row attends only to key 0, so it equals v[.., 0, :].
    expect(Array.from(y.dataSync().slice(0, 32))).toEqual(Array.from(v.dataSync().slice(0, 32)).map((x) => expect.closeTo(x, 5)));
  });
});

describe('CPU attention: scalar kernel for small problems, composed GEMMs for large ones', () => {
  it('the size rule', () => {
    expect(attentionFitsHost([1, 2, 8, 16], 8, 16)).toBe(true);
    expect(attentionFitsHost([2, 4, 64, 16], 64, 16)).toBe(false); // 2*4*64*64*32 multiply-adds
    expect(2 * 4 * 64 * 64 * 32).toBeGreaterThan(HOST_ATTENTION_MAX_WORK);
  });

  it('a large attention (composed) equals the scalar kernel run on the same data', () => {
    const [B, H, L, D] = [2, 4, 64, 16];
    const n = B * H * L * D;
    const [qd, kd, vd] = [normals(n), normals(n), normals(n)];
    const mask = Float64Array.from({ length: L * L }, (_, i) => (i % L > Math.floor(i / L) ? -Infinity : 0)); // causal
    const mk = (d: Float64Array, shape: number[]) => tensor(d, { shape, dtype: 'float64', backend: fused });
    const got = scaledDotProductAttention(mk(qd, [B, H, L, D]), mk(kd, [B, H, L, D]), mk(vd, [B, H, L, D]), { mask: mk(mask, [L, L]) }).dataSync();
    const strides = [H * L * D, L * D, D, 1];
    const view = (data: Float64Array) => ({ data, offset: 0, shape: [B, H, L, D], strides });
    const want = new Float64Array(n);
    attentionHost(view(qd), view(kd), view(vd), { data: mask, offset: 0, shape: [B, H, L, L], strides: [0, 0, L, 1] }, 1 / Math.sqrt(D), want, new Float64Array(B * H * L));
    for (let i = 0; i < n; i++) if (Math.abs(got[i]! - want[i]!) > 1e-12 * (1 + Math.abs(want[i]!))) throw new Error(`[${i}]: composed ${got[i]} vs scalar kernel ${want[i]}`);
  });
});
