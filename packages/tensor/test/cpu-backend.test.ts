import { describe, expect, it } from 'vitest';
import type { DType, Storage, TypedArray, View } from '../src/backend.js';
import type { BinaryOp, UnaryOp } from '../src/expr/library.js';
import { CpuBackend, CpuStorage } from '../src/cpu/index.js';
import { kernels } from '../src/runtime/kernels.js';
import { lcg } from './lcg.js';

const be = new CpuBackend();

function up(values: number[], dtype: DType = 'float64'): Storage {
  const arr = dtype === 'float32' ? Float32Array.from(values) : dtype === 'float64' ? Float64Array.from(values) : Int32Array.from(values);
  return be.upload(arr, dtype);
}
function contig(shape: readonly number[]): number[] {
  const s: number[] = [];
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d]!;
  }
  return s;
}
function view(storage: Storage, shape: number[], strides = contig(shape), offset = 0): View {
  return { storage, shape, strides, offset };
}
function flat(values: number[], dtype: DType = 'float64'): View {
  return view(up(values, dtype), [values.length]);
}
function vals(s: Storage): number[] {
  return Array.from(be.readSync(s));
}
function unary(op: UnaryOp, values: number[], params?: { a?: number; b?: number }, dtype: DType = 'float64', outDtype?: DType): number[] {
  const out = be.allocate(values.length, outDtype ?? (['not', 'isnan', 'isinf'].includes(op) ? 'int32' : dtype));
  kernels.unary(be, op, flat(values, dtype), out, params);
  return vals(out);
}
function binary(op: BinaryOp, a: number[], b: number[], dtype: DType = 'float64', outDtype?: DType): number[] {
  const bool = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or'].includes(op);
  const out = be.allocate(a.length, outDtype ?? (bool ? 'int32' : dtype));
  kernels.binary(be, op, flat(a, dtype), flat(b, dtype), out);
  return vals(out);
}
/** Element offset of a multi-index. */
function offsetOf(idx: number[], strides: readonly number[], offset: number): number {
  let o = offset;
  for (let d = 0; d < idx.length; d++) o += idx[d]! * strides[d]!;
  return o;
}
/** All multi-indices of a shape in row-major order. */
function* indices(shape: readonly number[]): Generator<number[]> {
  const n = shape.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    yield idx.slice();
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

const EDGE = [-Infinity, -2.5, -1.5, -1, -0.5, -0, 0, 0.5, 1, 1.5, 2.5, 3, Infinity, NaN];

describe('CpuBackend storage', () => {
  it('allocates zero-filled storages of each dtype and reports info', () => {
    for (const dtype of ['float32', 'float64', 'int32'] as const) {
      const s = be.allocate(5, dtype);
      expect(s).toBeInstanceOf(CpuStorage);
      expect(s.dtype).toBe(dtype);
      expect(s.size).toBe(5);
      expect(vals(s)).toEqual([0, 0, 0, 0, 0]);
      expect(be.supportsDType(dtype)).toBe(true);
    }
    expect((be.allocate(3, 'float32') as CpuStorage).data).toBeInstanceOf(Float32Array);
    expect((be.allocate(3, 'float64') as CpuStorage).data).toBeInstanceOf(Float64Array);
    expect((be.allocate(3, 'int32') as CpuStorage).data).toBeInstanceOf(Int32Array);
    expect(be.name).toBe('cpu');
    expect(be.info.kind).toBe('cpu');
    expect(() => be.allocate(-1, 'float32')).toThrow('cpu: allocate: size must be a non-negative integer, got -1');
    expect(() => be.allocate(2, 'bool' as DType)).toThrow("cpu: unsupported dtype 'bool'");
  });

  it('upload copies and casts; read/readSync return copies; write checks length', async () => {
    const src = new Float64Array([1.7, -2.7, 3.5]);
    const s = be.upload(src, 'int32');
    src[0] = 100;
    expect(vals(s)).toEqual([1, -2, 3]);
    const r = be.readSync(s);
    r[0] = 42;
    expect(vals(s)).toEqual([1, -2, 3]);
    const p = await be.read(s);
    expect(p).toBeInstanceOf(Int32Array);
    expect(Array.from(p)).toEqual([1, -2, 3]);
    be.write(s, new Int32Array([7, 8, 9]));
    expect(vals(s)).toEqual([7, 8, 9]);
    expect(() => be.write(s, new Int32Array(2))).toThrow('cpu: write: data has 2 elements but the storage holds 3');
    const f = be.upload(new Float64Array([0.1]), 'float32');
    expect(vals(f)[0]).toBe(Math.fround(0.1));
    kernels.fill(be, f, 2.5);
    expect(vals(f)).toEqual([2.5]);
    be.flush();
    await be.sync();
  });

  it('counts live storages and bytes; release then use throws', async () => {
    const b = new CpuBackend();
    expect(b.memory()).toEqual({ storages: 0, bytesInUse: 0, bytesPooled: 0 });
    const s1 = b.allocate(10, 'float32');
    const s2 = b.allocate(3, 'float64');
    const s3 = b.upload(new Int32Array([1, 2]), 'int32');
    expect(b.memory()).toEqual({ storages: 3, bytesInUse: 40 + 24 + 8, bytesPooled: 0 });
    b.release(s2);
    expect(b.memory()).toEqual({ storages: 2, bytesInUse: 48, bytesPooled: 0 });
    expect((s2 as CpuStorage).released).toBe(true);
    expect(() => b.readSync(s2)).toThrow('cpu: storage used after release');
    await expect(b.read(s2)).rejects.toThrow('cpu: storage used after release');
    expect(() => (s2 as CpuStorage).data).toThrow('cpu: storage used after release');
    expect(() => kernels.unary(b, 'neg', view(s2, [3]), s1)).toThrow('cpu: storage used after release');
    expect(() => kernels.fill(b, s2, 1)).toThrow('cpu: storage used after release');
    expect(() => b.release(s2)).toThrow('cpu: storage used after release');
    expect(() => new CpuBackend().release(s1)).toThrow('belongs to another CpuBackend');
    b.destroy();
    expect(b.memory()).toEqual({ storages: 0, bytesInUse: 0, bytesPooled: 0 });
    expect(() => b.allocate(1, 'float32')).toThrow('cpu: allocate: backend used after destroy');
    expect(() => (s3 as CpuStorage).data).toThrow('destroyed');
  });

  it('rejects views that reach outside their storage', () => {
    const s = up([1, 2, 3, 4, 5, 6]);
    const out = be.allocate(6, 'float64');
    expect(() => kernels.unary(be, 'neg', view(s, [2, 3], [3, 1], 1), out)).toThrow(
      'elementwise: input 0 view [2,3] strides [3,1] offset 1 reaches element 6 of a storage of 6',
    );
    expect(() => kernels.unary(be, 'neg', view(s, [4, 3]), out)).toThrow('reaches element 11');
    expect(() => kernels.unary(be, 'neg', view(s, [6]), be.allocate(2, 'float64'))).toThrow('elementwise: output 0 view [6] strides [1] offset 0 reaches element 5 of a storage of 2');
  });
});

describe('CpuBackend unary', () => {
  const mathOps: [UnaryOp, (x: number) => number][] = [
    ['neg', (x) => -x],
    ['abs', Math.abs],
    ['exp', Math.exp],
    ['log', Math.log],
    ['sqrt', Math.sqrt],
    ['rsqrt', (x) => 1 / Math.sqrt(x)],
    ['reciprocal', (x) => 1 / x],
    ['square', (x) => x * x],
    ['sin', Math.sin],
    ['cos', Math.cos],
    ['tanh', Math.tanh],
    ['floor', Math.floor],
    ['ceil', Math.ceil],
  ];
  for (const [op, f] of mathOps) {
    it(`${op} matches Math on edge values (float64 exact, float32 rounded)`, () => {
      expect(unary(op, EDGE)).toEqual(EDGE.map(f));
      const f32in = EDGE.map(Math.fround);
      expect(unary(op, EDGE, undefined, 'float32')).toEqual(f32in.map((x) => Math.fround(f(x))));
    });
  }

  it('sign: sign(0) = 0, sign(NaN) = 0 (torch.sign), +-1 elsewhere', () => {
    expect(unary('sign', [-3, -0, 0, 2, Infinity, -Infinity, NaN])).toEqual([-1, 0, 0, 1, 1, -1, 0]);
    expect(unary('sign', [-7, 0, 9], undefined, 'int32')).toEqual([-1, 0, 1]);
  });

  it('round is half-to-even', () => {
    expect(unary('round', [0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 0.4, 0.6, -0.6, 1e300, Infinity, NaN])).toEqual([
      0, 2, 2, 4, -0, -2, -2, 0, 1, -1, 1e300, Infinity, NaN,
    ]);
    expect(Object.is(unary('round', [-0.4])[0], -0)).toBe(true);
    expect(unary('round', [2.5, 0.49999997], undefined, 'float32')).toEqual([2, 0]);
  });

  it('erf, gelu and gelu_tanh match float64 references', () => {
    const xs = [-3, -1, -0.5, 0.5, 1, 2];
    const erf = [-0.9999779095030014, -0.8427007929497149, -0.5204998778130465, 0.5204998778130465, 0.8427007929497149, 0.9953222650189527];
    const gelu = [-0.004049694094890287, -0.15865525393145707, -0.15426876936299344, 0.34573123063700656, 0.8413447460685429, 1.9544997361036416];
    const geluT = [-0.0036373920817729943, -0.15880800939172324, -0.15428599017485606, 0.34571400982514394, 0.8411919906082768, 1.954597694087775];
    const close = (got: number[], want: number[], rel: number) =>
      got.forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThanOrEqual(rel * Math.abs(want[i]!)));
    close(unary('erf', xs), erf, 1e-15);
    close(unary('gelu', xs), gelu, 1e-14);
    close(unary('gelu_tanh', xs), geluT, 1e-14);
    // The negative tail keeps relative accuracy: gelu(-10) = -10 * Phi(-10).
    close(unary('gelu', [-10]), [-7.619853024160593e-23], 1e-13);
    expect(unary('erf', [0, -0, Infinity, -Infinity, NaN, 30, -30])).toEqual([0, -0, 1, -1, NaN, 1, -1]);
    // -inf * Phi(-inf) = -inf * 0 = NaN, as the formula PyTorch evaluates
    expect(unary('gelu', [0, Infinity, -Infinity])).toEqual([0, Infinity, NaN]);
  });

  it('sigmoid, silu, softplus, relu are stable and propagate NaN', () => {
    expect(unary('sigmoid', [0, 1000, -1000, NaN])).toEqual([0.5, 1, 0, NaN]);
    expect(unary('sigmoid', [2])[0]).toBeCloseTo(1 / (1 + Math.exp(-2)), 15);
    expect(unary('silu', [0, 1000, -1000, 2])).toEqual([0, 1000, -0, 2 / (1 + Math.exp(-2))]);
    expect(unary('softplus', [0, 1000, -1000, 1, -1, NaN])).toEqual([Math.LN2, 1000, 0, 1 + Math.log1p(Math.exp(-1)), Math.log1p(Math.exp(-1)), NaN]);
    expect(unary('relu', [-1, 0, 2, NaN, -Infinity, Infinity])).toEqual([0, 0, 2, NaN, 0, Infinity]);
    expect(unary('relu', [-3, 4], undefined, 'int32')).toEqual([0, 4]);
  });

  it('scalar ops, pow with C semantics, clamp', () => {
    expect(unary('add_scalar', [1, 2], { a: 0.5 })).toEqual([1.5, 2.5]);
    expect(unary('mul_scalar', [1, -2], { a: 3 })).toEqual([3, -6]);
    expect(unary('rsub_scalar', [1, 2], { a: 10 })).toEqual([9, 8]);
    expect(unary('rdiv_scalar', [2, 0, -0], { a: 1 })).toEqual([0.5, Infinity, -Infinity]);
    expect(unary('pow_scalar', [2, -8, 0, 9, NaN, 1], { a: 0.5 })).toEqual([Math.SQRT2, NaN, 0, 3, NaN, 1]);
    expect(unary('pow_scalar', [3, NaN, -2], { a: 0 })).toEqual([1, 1, 1]);
    expect(unary('pow_scalar', [3, -2], { a: 2 })).toEqual([9, 4]);
    expect(unary('pow_scalar', [-1, 1], { a: Infinity })).toEqual([1, 1]);
    expect(unary('rpow_scalar', [NaN, Infinity, 3], { a: 1 })).toEqual([1, 1, 1]);
    expect(unary('rpow_scalar', [3, -1, 0.5], { a: 2 })).toEqual([8, 0.5, Math.SQRT2]);
    expect(unary('clamp', [-5, 0.5, 5, NaN], { a: -1, b: 1 })).toEqual([-1, 0.5, 1, NaN]);
    expect(unary('clamp', [-5, 5], { a: 0 })).toEqual([0, 5]);
    expect(unary('clamp', [-5, 5], { b: 0 })).toEqual([-5, 0]);
    expect(unary('clamp', [-5, 5], { a: 2, b: 1 })).toEqual([1, 1]);
    expect(() => unary('add_scalar', [1])).toThrow('unary add_scalar: missing parameter a');
  });

  it('int32 scalar ops wrap like int32 arithmetic', () => {
    expect(unary('mul_scalar', [2 ** 30, 3], { a: 4 }, 'int32')).toEqual([0, 12]);
    expect(unary('square', [65536, -3], undefined, 'int32')).toEqual([0, 9]);
    expect(unary('pow_scalar', [3, -2, 2], { a: 3 }, 'int32')).toEqual([27, -8, 8]);
    expect(unary('neg', [-(2 ** 31), 5], undefined, 'int32')).toEqual([-(2 ** 31), -5]);
    expect(() => unary('pow_scalar', [2], { a: -1 }, 'int32')).toThrow('pow: integers to negative integer powers are not allowed');
  });

  it('not, isnan, isinf write int32 0/1', () => {
    expect(unary('not', [0, -0, 1, NaN, -2])).toEqual([1, 1, 0, 0, 0]);
    expect(unary('isnan', [0, NaN, Infinity])).toEqual([0, 1, 0]);
    expect(unary('isinf', [0, NaN, Infinity, -Infinity])).toEqual([0, 0, 1, 1]);
    const o = be.allocate(2, 'float32');
    kernels.unary(be, 'isnan', flat([1, NaN]), o);
    expect(vals(o)).toEqual([0, 1]);
  });

  it('reads transposed, broadcast (stride 0), offset and rank-0 views', () => {
    const s = up([1, 2, 3, 4, 5, 6]); // [2,3]
    const out = be.allocate(6, 'float64');
    kernels.unary(be, 'neg', view(s, [3, 2], [1, 3]), out); // transpose
    expect(vals(out)).toEqual([-1, -4, -2, -5, -3, -6]);
    kernels.unary(be, 'square', view(s, [2, 3], [0, 1], 3), out); // row 1 broadcast over 2 rows
    expect(vals(out)).toEqual([16, 25, 36, 16, 25, 36]);
    const o1 = be.allocate(1, 'float64');
    kernels.unary(be, 'exp', view(s, [], [], 0), o1);
    expect(vals(o1)).toEqual([Math.E]);
    kernels.unary(be, 'abs', view(s, [3, 0], [1, 3]), o1); // empty: no-op
    expect(vals(o1)).toEqual([Math.E]);
  });
});

describe('CpuBackend binary', () => {
  const a = [3, -3, 7, -7, 0, 2.5, NaN, Infinity];
  const b = [2, 2, -2, -2, 0, 0.5, 1, Infinity];
  const cases: [BinaryOp, (x: number, y: number) => number][] = [
    ['add', (x, y) => x + y],
    ['sub', (x, y) => x - y],
    ['mul', (x, y) => x * y],
    ['div', (x, y) => x / y],
    ['atan2', Math.atan2],
    ['eq', (x, y) => +(x === y)],
    ['ne', (x, y) => +(x !== y)],
    ['lt', (x, y) => +(x < y)],
    ['le', (x, y) => +(x <= y)],
    ['gt', (x, y) => +(x > y)],
    ['ge', (x, y) => +(x >= y)],
    ['and', (x, y) => +(x !== 0 && y !== 0)],
    ['or', (x, y) => +(x !== 0 || y !== 0)],
  ];
  for (const [op, f] of cases) {
    it(`${op} matches the reference on edge values`, () => {
      expect(binary(op, a, b)).toEqual(a.map((x, i) => f(x, b[i]!)));
    });
  }

  it('pow uses C pow semantics', () => {
    expect(binary('pow', [2, -8, 1, -1, 0, NaN, 4], [3, 1 / 3, NaN, Infinity, -1, 0, 0.5])).toEqual([8, NaN, 1, 1, Infinity, 1, 2]);
    expect(binary('pow', [2, -3, 5], [10, 3, 0], 'int32')).toEqual([1024, -27, 1]);
  });

  it('maximum/minimum propagate NaN from either side', () => {
    expect(binary('maximum', [1, NaN, 3, -Infinity], [2, 1, NaN, -5])).toEqual([2, NaN, NaN, -5]);
    expect(binary('minimum', [1, NaN, 3, Infinity], [2, 1, NaN, 5])).toEqual([1, NaN, NaN, 5]);
  });

  it('int32: division truncates toward zero, multiply wraps, division by zero throws', () => {
    expect(binary('div', [7, -7, 7, -7, 0], [2, 2, -2, -2, 5], 'int32')).toEqual([3, -3, -3, 3, 0]);
    expect(binary('mul', [2 ** 30, 46341, -3], [4, 46341, 5], 'int32')).toEqual([0, (46341 * 46341) | 0, -15]);
    expect(binary('add', [2 ** 31 - 1], [1], 'int32')).toEqual([-(2 ** 31)]);
    expect(() => binary('div', [1], [0], 'int32')).toThrow('div: integer division by zero');
  });

  it('comparisons of float32 inputs write int32', () => {
    const out = be.allocate(3, 'int32');
    kernels.binary(be, 'lt', flat([1, 2, 3], 'float32'), flat([2, 2, 2], 'float32'), out);
    expect(be.readSync(out)).toBeInstanceOf(Int32Array);
    expect(vals(out)).toEqual([1, 0, 0]);
    const mask = be.allocate(3, 'float32'); // float masks (used by autograd) get the same 0/1 values
    kernels.binary(be, 'ge', flat([1, 2, 3], 'float32'), flat([2, 2, 2], 'float32'), mask);
    expect(vals(mask)).toEqual([0, 1, 1]);
    expect(() => kernels.binary(be, 'add', flat([1]), flat([1], 'float32'), be.allocate(1, 'float64'))).toThrow(
      'binary add: operand dtypes differ: float64 and float32',
    );
    expect(() => kernels.binary(be, 'add', flat([1, 2]), flat([1, 2, 3]), be.allocate(3, 'float64'))).toThrow(
      'binary add: operand shapes differ: [2] and [3]',
    );
  });

  it('relu_grad, sigmoid_grad and tanh_grad follow their definitions', () => {
    expect(binary('relu_grad', [-1, 0, 2, NaN], [5, 5, 5, 5])).toEqual([0, 0, 5, 0]);
    const y = [0.25, 0.5, 0.9];
    expect(binary('sigmoid_grad', y, [2, 2, 2])).toEqual(y.map((v) => 2 * v * (1 - v)));
    expect(binary('tanh_grad', y, [2, 2, 2])).toEqual(y.map((v) => 2 * (1 - v * v)));
  });

  it('fused derivative kernels match central differences of the forward kernels (float64)', () => {
    const xs = [-4, -2.3, -1, -0.3, 0.2, 0.7, 1.5, 3.1, 6];
    const h = 1e-6;
    const g = xs.map((_, i) => 0.5 + i * 0.25);
    const pairs: [BinaryOp, UnaryOp][] = [
      ['gelu_grad', 'gelu'],
      ['gelu_tanh_grad', 'gelu_tanh'],
      ['silu_grad', 'silu'],
      ['softplus_grad', 'softplus'],
      ['erf_grad', 'erf'],
    ];
    for (const [gradOp, fwd] of pairs) {
      const got = binary(gradOp, xs, g);
      const fp = unary(fwd, xs.map((x) => x + h));
      const fm = unary(fwd, xs.map((x) => x - h));
      got.forEach((v, i) => expect(Math.abs(v - (g[i]! * (fp[i]! - fm[i]!)) / (2 * h))).toBeLessThan(1e-8));
    }
  });

  it('broadcasts with stride 0 and reads transposed views', () => {
    const s = up([1, 2, 3, 4, 5, 6]); // [2,3]
    const r = up([10, 20, 30]);
    const c = up([100, 200]);
    const out = be.allocate(6, 'float64');
    kernels.binary(be, 'add', view(s, [2, 3]), view(r, [2, 3], [0, 1]), out);
    expect(vals(out)).toEqual([11, 22, 33, 14, 25, 36]);
    kernels.binary(be, 'sub', view(c, [2, 3], [1, 0]), view(s, [2, 3]), out);
    expect(vals(out)).toEqual([99, 98, 97, 196, 195, 194]);
    kernels.binary(be, 'mul', view(s, [3, 2], [1, 3]), view(s, [3, 2], [1, 3]), out);
    expect(vals(out)).toEqual([1, 16, 4, 25, 9, 36]);
    const one = be.allocate(1, 'float64');
    kernels.binary(be, 'mul', view(s, [], [], 5), view(r, [], [], 2), one);
    expect(vals(one)).toEqual([180]);
  });

  it('walks arbitrary strided views of rank 0..8 like a naive index computation', () => {
    const rand = lcg(7);
    for (let trial = 0; trial < 90; trial++) {
      const rank = trial % 9;
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(rand() * (rank > 5 ? 2 : 3)));
      // Random strides: broadcast (0), permuted or gapped.
      const mk = (allowZero: boolean): number[] => {
        const perm = shape.map((_, i) => i).sort(() => rand() - 0.5);
        const st = new Array<number>(rank);
        let acc = 1 + Math.floor(rand() * 2);
        for (const d of perm) {
          st[d] = allowZero && rand() < 0.2 ? 0 : acc;
          acc *= shape[d]! + (rand() < 0.3 ? 1 : 0);
        }
        return st;
      };
      const span = (st: number[], off: number): number => off + 1 + shape.reduce((p, n, d) => p + (n - 1) * st[d]!, 0);
      const stA = mk(true);
      const stB = mk(true);
      const stD = mk(false);
      const offA = Math.floor(rand() * 10);
      const offB = Math.floor(rand() * 10);
      const aData = Float64Array.from({ length: span(stA, offA) }, () => Math.round(rand() * 1000) / 10);
      const bData = Float64Array.from({ length: span(stB, offB) }, () => Math.round(rand() * 1000) / 10);
      const sa = be.upload(aData, 'float64');
      const sb = be.upload(bData, 'float64');
      const n = shape.reduce((x, y) => x * y, 1);
      const out = be.allocate(n, 'float64');
      kernels.binary(be, 'sub', view(sa, shape, stA, offA), view(sb, shape, stB, offB), out);
      const uout = be.allocate(n, 'float64');
      kernels.unary(be, 'neg', view(sa, shape, stA, offA), uout);
      const dst = be.allocate(span(stD, 3), 'float32');
      kernels.copy(be, view(sa, shape, stA, offA), view(dst, shape, stD, 3));
      const got = vals(out);
      const ugot = vals(uout);
      const dd = vals(dst);
      let i = 0;
      for (const idx of indices(shape)) {
        const av = aData[offsetOf(idx, stA, offA)]!;
        expect(got[i]).toBe(av - bData[offsetOf(idx, stB, offB)]!);
        expect(ugot[i]).toBe(-av);
        expect(dd[offsetOf(idx, stD, 3)]).toBe(Math.fround(av));
        i++;
      }
      expect(i).toBe(n);
    }
  });
});

describe('CpuBackend where and copy', () => {
  it('where selects by cond != 0 (NaN counts as true) with broadcasting', () => {
    const cond = up([1, 0, NaN, -2], 'float64');
    const a = up([1, 2, 3, 4]);
    const b = up([9]);
    const out = be.allocate(4, 'float64');
    kernels.where(be, view(cond, [4]), view(a, [4]), view(b, [4], [0]), out);
    expect(vals(out)).toEqual([1, 9, 3, 4]);
    const ci = up([0, 1], 'int32');
    const ai = up([5, 6, 7], 'int32');
    const bi = up([-1, -2, -3], 'int32');
    const o2 = be.allocate(6, 'int32');
    kernels.where(be, view(ci, [2, 3], [1, 0]), view(ai, [2, 3], [0, 1]), view(bi, [2, 3], [0, 1]), o2);
    expect(vals(o2)).toEqual([-1, -2, -3, 5, 6, 7]);
  });

  it('copy casts float -> int32 truncating toward zero into a strided destination', () => {
    const src = up([1.9, -1.9, 2.5, -2.5, 0.2, -0.7], 'float32');
    const dst = be.allocate(12, 'int32');
    // write the [2,3] source transposed into column 1 and 2 of a [3,4] destination
    kernels.copy(be, view(src, [3, 2], [1, 3]), view(dst, [3, 2], [4, 1], 1));
    expect(vals(dst)).toEqual([0, 1, -2, 0, 0, -1, 0, 0, 0, 2, 0, 0]);
  });

  it('copy float64 -> float32 rounds to nearest; int32 -> float64 exact; broadcast source', () => {
    const s = up([0.1, 1 / 3]);
    const d = be.allocate(2, 'float32');
    kernels.copy(be, view(s, [2]), view(d, [2]));
    expect(vals(d)).toEqual([Math.fround(0.1), Math.fround(1 / 3)]);
    const i = up([2 ** 31 - 1, -5], 'int32');
    const f = be.allocate(2, 'float64');
    kernels.copy(be, view(i, [2]), view(f, [2]));
    expect(vals(f)).toEqual([2 ** 31 - 1, -5]);
    const one = up([7]);
    const big = be.allocate(6, 'float64');
    kernels.copy(be, view(one, [2, 3], [0, 0]), view(big, [2, 3]));
    expect(vals(big)).toEqual([7, 7, 7, 7, 7, 7]);
    expect(() => kernels.copy(be, view(one, [1]), view(big, [2]))).toThrow('copy: shapes differ: [1] -> [2]');
  });
});

describe('CpuBackend reduce and softmax', () => {
  const x = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8]; // [3,4]
  const run = (op: Parameters<typeof kernels.reduce>[1], data: number[], rows: number, cols: number, offset = 0, dtype: DType = 'float64'): number[] => {
    const out = be.allocate(rows, op === 'argmax' || op === 'argmin' ? 'int32' : dtype);
    kernels.reduce(be, op, up(data, dtype), offset, rows, cols, out);
    return vals(out);
  };
  it('sum, prod, max, min, argmax, argmin per row', () => {
    expect(run('sum', x, 3, 4)).toEqual([9, 22, 21]);
    expect(run('prod', x, 3, 4)).toEqual([12, 540, 600]);
    expect(run('max', x, 3, 4)).toEqual([4, 9, 8]);
    expect(run('min', x, 3, 4)).toEqual([1, 2, 3]);
    expect(run('argmax', [1, 7, 7, 2, 5, 5], 2, 3)).toEqual([1, 1]);
    expect(run('argmin', [1, 7, 1, 2, 5, 2], 2, 3)).toEqual([0, 0]);
    expect(run('sum', x, 2, 4, 4)).toEqual([22, 21]);
    expect(run('sum', [1, 2, 3], 1, 3, 0, 'int32')).toEqual([6]);
    expect(run('prod', [65536, 65536, 3], 1, 3, 0, 'int32')).toEqual([0]);
  });

  it('NaN propagates through max/min/sum and argmax/argmin pick the first NaN', () => {
    expect(run('max', [1, NaN, 3], 1, 3)).toEqual([NaN]);
    expect(run('min', [NaN, 1, 3], 1, 3)).toEqual([NaN]);
    expect(run('sum', [1, NaN, 3], 1, 3)).toEqual([NaN]);
    expect(run('argmax', [1, NaN, 9, NaN], 1, 4)).toEqual([1]);
    expect(run('argmin', [1, 0, NaN, NaN], 1, 4)).toEqual([2]);
    expect(run('argmax', [NaN, 5], 1, 2)).toEqual([0]);
    expect(run('max', [-Infinity, -Infinity], 1, 2)).toEqual([-Infinity]);
  });

  it('logsumexp is stable; -inf rows give -inf, +inf gives +inf', () => {
    const r = run('logsumexp', [1, 2, 3, 1000, 1000, 1000, -Infinity, -Infinity, -Infinity, 1, Infinity, 2], 4, 3);
    expect(r[0]).toBeCloseTo(3.40760596444438, 14);
    expect(r[1]).toBeCloseTo(1000 + Math.log(3), 12);
    expect(r[2]).toBe(-Infinity);
    expect(r[3]).toBe(Infinity);
    expect(run('logsumexp', [NaN, 1], 1, 2)).toEqual([NaN]);
  });

  it('empty rows: sum 0, prod 1, logsumexp -inf; max of an empty row throws', () => {
    expect(run('sum', [], 2, 0)).toEqual([0, 0]);
    expect(run('prod', [], 2, 0)).toEqual([1, 1]);
    expect(run('logsumexp', [], 1, 0)).toEqual([-Infinity]);
    expect(() => run('max', [], 1, 0)).toThrow('reduce max: cannot reduce an empty row');
    expect(() => run('sum', [1, 2], 1, 3)).toThrow('reduce sum: rows 1 x cols 3 from offset 0 exceed the storage of 2 elements');
  });

  it('float32 sums accumulate in float64', () => {
    const n = 100001;
    const data = new Float32Array(n).fill(0.1);
    const out = be.allocate(1, 'float32');
    kernels.reduce(be, 'sum', be.upload(data, 'float32'), 0, 1, n, out);
    expect(vals(out)[0]).toBe(Math.fround(n * Math.fround(0.1)));
  });

  it('softmax and log-softmax are stable and correct', () => {
    const data = [1, 2, 3, 1000, 1001, 1002, -Infinity, 0, -Infinity];
    const s = up(data);
    const out = be.allocate(9, 'float64');
    kernels.softmax(be, s, 0, 3, 3, out, false);
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const z = e[0]! + e[1]! + e[2]!;
    const want = [...e.map((v) => v / z), ...e.map((v) => v / z), 0, 1, 0];
    vals(out).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 15));
    kernels.softmax(be, s, 0, 3, 3, out, true);
    vals(out).forEach((v, i) => expect(v).toBeCloseTo(Math.log(want[i]!), 13));
    const o2 = be.allocate(3, 'float64');
    kernels.softmax(be, s, 3, 1, 3, o2, false);
    vals(o2).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 15));
    // an all -inf row is NaN, as in PyTorch
    kernels.softmax(be, up([-Infinity, -Infinity]), 0, 1, 2, o2, false);
    expect(vals(o2).slice(0, 2)).toEqual([NaN, NaN]);
  });
});

describe('CpuBackend gather and scatterAdd', () => {
  it('gathers along the middle axis with strided and broadcast indices', () => {
    // x [2, 3, 2]
    const x = up([0, 1, 10, 11, 20, 21, 100, 101, 110, 111, 120, 121]);
    const idx = up([2, 0, 1, 1], 'int32'); // index [2, 2, 1] broadcast over inner 2 via stride 0
    const out = be.allocate(8, 'float64');
    be.gather(view(x, [2, 3, 2]), view(idx, [2, 2, 2], [2, 1, 0]), out);
    expect(vals(out)).toEqual([20, 21, 0, 1, 110, 111, 110, 111]);
    const o1 = be.allocate(2, 'float64');
    expect(() => be.gather(view(x, [1, 3, 2]), view(up([7, 0], 'int32'), [1, 1, 2]), o1)).toThrow(
      'gather: index 7 out of range for dimension of size 3',
    );
    expect(() => be.gather(view(x, [1, 3, 2]), view(up([-1, 0], 'int32'), [1, 1, 2]), o1)).toThrow(
      'gather: index -1 out of range for dimension of size 3',
    );
    expect(() => be.gather(view(x, [1, 3, 2]), view(up([0, 0]), [1, 1, 2]), o1)).toThrow('gather: index must be int32, got float64');
  });

  it('scatterAdd accumulates repeated indices and leaves the target unchanged on a bad index', () => {
    const target = up([0, 0, 0, 0, 0, 0]); // [1, 3, 2]
    const idx = up([0, 2, 0, 2, 1, 0], 'int32'); // [1, 3, 2]
    const src = up([1, 2, 3, 4, 5, 6]);
    be.scatterAdd(target, view(idx, [1, 3, 2]), view(src, [1, 3, 2]));
    // column 0: idx 0,0,1 <- 1,3,5 ; column 1: idx 2,2,0 <- 2,4,6
    expect(vals(target)).toEqual([4, 6, 5, 0, 0, 6]);
    const before = vals(target);
    expect(() => be.scatterAdd(target, view(up([0, 5], 'int32'), [1, 1, 2]), view(src, [1, 1, 2]))).toThrow(
      'scatterAdd: index 5 out of range for dimension of size 3',
    );
    expect(vals(target)).toEqual(before);
    // embedding-style backward: index [1, 4, 1] broadcast over inner 3, src rows
    const grad = be.allocate(6, 'float32'); // [1, 2, 3]
    be.scatterAdd(grad, view(up([1, 0, 1, 1], 'int32'), [1, 4, 3], [0, 1, 0]), view(up([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 'float32'), [1, 4, 3]));
    expect(vals(grad)).toEqual([4, 5, 6, 1 + 7 + 10, 2 + 8 + 11, 3 + 9 + 12]);
  });
});

describe('CpuBackend fused norms', () => {
  const rows = 3;
  const cols = 5;
  const rand = lcg(3);
  const xv = Array.from({ length: rows * cols }, () => rand() * 4 - 2);
  const wv = Array.from({ length: cols }, () => rand() + 0.5);
  const bv = Array.from({ length: cols }, () => rand() - 0.5);

  it('layerNorm writes out, mean and rstd (biased variance)', () => {
    for (const [w, b] of [[wv, bv], [null, null], [wv, null], [null, bv]] as const) {
      const out = be.allocate(rows * cols, 'float64');
      const mean = be.allocate(rows, 'float64');
      const rstd = be.allocate(rows, 'float64');
      be.overrides.layerNorm!({ x: up(xv), weight: w ? up([...w]) : null, bias: b ? up([...b]) : null, rows, cols, eps: 1e-5, out, mean, rstd });
      const o = vals(out);
      for (let r = 0; r < rows; r++) {
        const row = xv.slice(r * cols, (r + 1) * cols);
        const mu = row.reduce((p, q) => p + q, 0) / cols;
        const v = row.reduce((p, q) => p + (q - mu) ** 2, 0) / cols;
        const rs = 1 / Math.sqrt(v + 1e-5);
        expect(vals(mean)[r]).toBeCloseTo(mu, 14);
        expect(vals(rstd)[r]).toBeCloseTo(rs, 12);
        row.forEach((q, i) => expect(o[r * cols + i]).toBeCloseTo((q - mu) * rs * (w ? w[i]! : 1) + (b ? b[i]! : 0), 12));
      }
    }
  });

  it('rmsNorm writes out and rstd', () => {
    for (const w of [wv, null]) {
      const out = be.allocate(rows * cols, 'float32');
      const rstd = be.allocate(rows, 'float32');
      be.overrides.rmsNorm!({ x: up(xv, 'float32'), weight: w ? up(w, 'float32') : null, rows, cols, eps: 1e-6, out, rstd });
      const o = vals(out);
      const xf = xv.map(Math.fround);
      for (let r = 0; r < rows; r++) {
        const row = xf.slice(r * cols, (r + 1) * cols);
        const rs = 1 / Math.sqrt(row.reduce((p, q) => p + q * q, 0) / cols + 1e-6);
        expect(vals(rstd)[r]).toBeCloseTo(rs, 6);
        row.forEach((q, i) => expect(o[r * cols + i]).toBeCloseTo(q * rs * (w ? Math.fround(w[i]!) : 1), 5));
      }
    }
  });
});

// Keep the typed-array type referenced for readers of the helpers above.
export type _T = TypedArray;
