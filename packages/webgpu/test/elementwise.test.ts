import { kernels } from '@unihetero/tensor';
/**
 * Elementwise kernel parity with the CPU reference backend: every UnaryOp and BinaryOp of the
 * contract (float32, and int32 where the front end sends int32), where, copy/cast and fill, on
 * contiguous, transposed, broadcast (stride 0) and offset views.
 */
import { describe, expect, it } from 'vitest';
import type { BinaryOp, UnaryOp, UnaryParams } from '@unihetero/tensor';
import { vec4Eligible } from '../src/kernels/elementwise-wgsl.js';
import { ELEMENTWISE, EXACT, expectClose, ints, normals, onBoth, uniforms, useBackends, view, type Tol } from './helpers.js';

const b = useBackends();
const N = 257; // not a multiple of the workgroup size

/** Values that exercise rounding ties, zeros and signs. */
const ties = Float32Array.from([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, -3.5, 0, -0, 1e-8, 7.4999, ...normals(N - 12, 4)]);

interface UnaryCase {
  op: UnaryOp;
  data: () => Float32Array;
  params?: UnaryParams;
  tol?: Tol;
}

const away = () => Float32Array.from(uniforms(N, 0.2, 3), (v, i) => (i % 2 ? v : -v));
const unaryCases: UnaryCase[] = [
  { op: 'neg', data: () => normals(N) },
  { op: 'abs', data: () => normals(N) },
  { op: 'sign', data: () => ties },
  { op: 'exp', data: () => normals(N, 3) },
  { op: 'log', data: () => uniforms(N, 0.01, 10) },
  { op: 'sqrt', data: () => uniforms(N, 0, 10) },
  { op: 'rsqrt', data: () => uniforms(N, 0.01, 10) },
  { op: 'reciprocal', data: away },
  { op: 'square', data: () => normals(N) },
  { op: 'sin', data: () => normals(N, 3) },
  { op: 'cos', data: () => normals(N, 3) },
  { op: 'tanh', data: () => normals(N, 3) },
  { op: 'erf', data: () => normals(N, 2) },
  { op: 'sigmoid', data: () => normals(N, 6) },
  { op: 'relu', data: () => normals(N) },
  { op: 'gelu', data: () => normals(N, 3) },
  { op: 'gelu_tanh', data: () => normals(N, 3) },
  { op: 'silu', data: () => normals(N, 4) },
  { op: 'softplus', data: () => normals(N, 8) },
  { op: 'floor', data: () => ties },
  { op: 'ceil', data: () => ties },
  { op: 'round', data: () => ties },
  { op: 'not', data: () => Float32Array.from(ints(N, -2, 3)) },
  { op: 'add_scalar', data: () => normals(N), params: { a: 0.75 } },
  { op: 'mul_scalar', data: () => normals(N), params: { a: -1.25 } },
  { op: 'rsub_scalar', data: () => normals(N), params: { a: 2 } },
  { op: 'rdiv_scalar', data: away, params: { a: 3 } },
  { op: 'pow_scalar', data: () => uniforms(N, 0.1, 3), params: { a: 1.7 } },
  { op: 'pow_scalar', data: () => normals(N, 2), params: { a: 3 } },
  { op: 'pow_scalar', data: away, params: { a: -2 } },
  { op: 'pow_scalar', data: () => uniforms(N, 0, 4), params: { a: 0.5 } },
  { op: 'rpow_scalar', data: () => normals(N, 2), params: { a: 1.5 } },
  { op: 'clamp', data: () => normals(N), params: { a: -0.5, b: 0.7 } },
  { op: 'clamp', data: () => normals(N), params: { a: -Infinity, b: 0.3 } },
  { op: 'isnan', data: () => Float32Array.from([NaN, Infinity, -Infinity, 0, 1, ...normals(N - 5)]) },
  { op: 'isinf', data: () => Float32Array.from([NaN, Infinity, -Infinity, 0, 1, ...normals(N - 5)]) },
];

const INT_OUT = new Set<UnaryOp>(['not', 'isnan', 'isinf']);

describe('unary float32', () => {
  for (const c of unaryCases) {
    it(`${c.op}${c.params ? ` ${JSON.stringify(c.params)}` : ''}`, async () => {
      const data = c.data();
      const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
        const out = alloc(N, INT_OUT.has(c.op) ? 'int32' : 'float32');
        kernels.unary(be, c.op, view(up(data), [N]), out, c.params);
        return [out];
      });
      expectClose(c.op, g[0]!, w[0]!, c.tol ?? ELEMENTWISE);
    });
  }

  it('reads transposed, broadcast and offset views', async () => {
    const data = normals(64);
    const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
      const x = up(data);
      const t = alloc(24);
      kernels.unary(be, 'exp', view(x, [4, 6], [1, 8], 3), t); // transposed window at an offset
      const bc = alloc(5 * 7 * 3);
      kernels.unary(be, 'tanh', view(x, [5, 7, 3], [0, 3, 1], 2), bc); // broadcast along dim 0
      const r9 = alloc(2 * 2 * 2 * 2 * 2 * 2 * 2 * 2);
      kernels.unary(be, 'neg', view(x, [2, 2, 2, 2, 2, 2, 2, 2], [1, 2, 4, 8, 16, 32, 0, 0]), r9); // rank 8 after merging
      return [t, bc, r9];
    });
    g.forEach((r, i) => expectClose(`view ${i}`, r, w[i]!, ELEMENTWISE));
  });
});

describe('unary int32', () => {
  const cases: [UnaryOp, UnaryParams?][] = [
    ['neg'], ['abs'], ['sign'], ['square'], ['relu'], ['floor'], ['ceil'], ['round'], ['not'], ['isnan'], ['isinf'],
    ['add_scalar', { a: 3 }], ['mul_scalar', { a: -2 }], ['rsub_scalar', { a: 5 }],
    ['clamp', { a: -3, b: 4 }], ['clamp', { a: -Infinity, b: 2 }], ['clamp', { a: -1, b: Infinity }],
  ];
  for (const [op, params] of cases) {
    it(`${op}${params ? ` ${JSON.stringify(params)}` : ''}`, async () => {
      const data = ints(N, -20, 20);
      const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
        const out = alloc(N, 'int32');
        kernels.unary(be, op, view(up(data), [N]), out, params);
        return [out];
      });
      expect(g[0]).toBeInstanceOf(Int32Array);
      expectClose(op, g[0]!, w[0]!, EXACT);
    });
  }
});

const COMPARE = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or']);

describe('binary float32', () => {
  const small = () => Float32Array.from(ints(N, -3, 4)); // ties for comparisons, zeros for and/or
  const cases: [BinaryOp, () => Float32Array, () => Float32Array][] = [
    ['add', () => normals(N), () => normals(N)],
    ['sub', () => normals(N), () => normals(N)],
    ['mul', () => normals(N), () => normals(N)],
    ['div', () => normals(N), () => Float32Array.from(uniforms(N, 0.2, 3), (v, i) => (i % 3 ? v : -v))],
    ['pow', () => uniforms(N, 0.1, 3), () => normals(N, 2)],
    ['pow', () => small(), () => Float32Array.from(ints(N, -2, 4))],
    ['maximum', () => small(), () => normals(N, 2)],
    ['minimum', () => small(), () => normals(N, 2)],
    ['atan2', () => normals(N), () => normals(N)],
    ['eq', small, small],
    ['ne', small, small],
    ['lt', small, small],
    ['le', small, small],
    ['gt', small, small],
    ['ge', small, small],
    ['and', small, small],
    ['or', small, small],
    ['relu_grad', () => normals(N), () => normals(N)],
    ['gelu_grad', () => normals(N, 3), () => normals(N)],
    ['gelu_tanh_grad', () => normals(N, 3), () => normals(N)],
    ['silu_grad', () => normals(N, 4), () => normals(N)],
    ['softplus_grad', () => normals(N, 6), () => normals(N)],
    ['sigmoid_grad', () => uniforms(N, 0, 1), () => normals(N)],
    ['tanh_grad', () => uniforms(N, -1, 1), () => normals(N)],
    ['erf_grad', () => normals(N, 2), () => normals(N)],
  ];
  for (const [op, da, db] of cases) {
    it(op, async () => {
      const x = da();
      const y = db();
      const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
        const out = alloc(N, COMPARE.has(op) ? 'int32' : 'float32');
        kernels.binary(be, op, view(up(x), [N]), view(up(y), [N]), out);
        return [out];
      });
      expectClose(op, g[0]!, w[0]!, COMPARE.has(op) ? EXACT : ELEMENTWISE);
    });
  }

  it('broadcasts (stride 0) and reads transposed operands', async () => {
    const x = normals(12);
    const y = normals(5);
    const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
      const out = alloc(3 * 4 * 5);
      // a: [3,4,5] from a transposed [4,3] with a broadcast last dim; b: [5] broadcast over [3,4]
      kernels.binary(be, 'mul', view(up(x), [3, 4, 5], [1, 3, 0]), view(up(y), [3, 4, 5], [0, 0, 1]), out);
      return [out];
    });
    expectClose('broadcast mul', g[0]!, w[0]!, ELEMENTWISE);
  });
});

describe('binary int32', () => {
  const ops: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or'];
  for (const op of ops) {
    it(op, async () => {
      const x = ints(N, -50, 50);
      const y = Int32Array.from(ints(N, -7, 8), (v) => (op === 'div' && v === 0 ? 3 : v));
      const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
        const out = alloc(N, 'int32');
        kernels.binary(be, op, view(up(x), [N]), view(up(y), [N]), out);
        return [out];
      });
      expectClose(op, g[0]!, w[0]!, EXACT);
    });
  }
});

describe('where, copy, fill', () => {
  it('where with an int32 condition and broadcast branches', async () => {
    const cond = ints(4 * 6, 0, 2);
    const a = normals(6);
    const c = normals(4 * 6);
    const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
      const out = alloc(24);
      kernels.where(be, view(up(cond), [4, 6]), view(up(a), [4, 6], [0, 1]), view(up(c), [4, 6], [1, 4]), out);
      return [out];
    });
    expectClose('where', g[0]!, w[0]!, EXACT);
  });

  it('where with a float32 condition', async () => {
    const cond = Float32Array.from(ints(30, -1, 2));
    const a = normals(30);
    const c = normals(30);
    const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
      const out = alloc(30);
      kernels.where(be, view(up(cond), [30]), view(up(a), [30]), view(up(c), [30]), out);
      return [out];
    });
    expectClose('where f32 cond', g[0]!, w[0]!, EXACT);
  });

  it('copies strided views into strided views and casts', async () => {
    const x = normals(60, 10);
    const xi = ints(60, -100, 100);
    const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
      const xs = up(x);
      const dst = alloc(130);
      kernels.copy(be, view(xs, [3, 4, 5], [1, 15, 3]), view(dst, [3, 4, 5], [2, 30, 6], 1)); // permuted -> permuted window
      const asInt = alloc(60, 'int32');
      kernels.copy(be, view(xs, [60]), view(asInt, [60])); // float32 -> int32 truncates toward zero
      const asFloat = alloc(60);
      kernels.copy(be, view(up(xi), [6, 10], [1, 6]), view(asFloat, [6, 10])); // int32 -> float32, transposed
      return [dst, asInt, asFloat];
    });
    g.forEach((r, i) => expectClose(`copy ${i}`, r, w[i]!, EXACT));
  });

  it('fills float32 and int32 storages', async () => {
    const [g, w] = await onBoth(b, ({ be, alloc }) => {
      const f = alloc(1000);
      kernels.fill(be, f, -2.5);
      const i = alloc(7, 'int32');
      kernels.fill(be, i, 42);
      return [f, i];
    });
    expectClose('fill f32', g[0]!, w[0]!, EXACT);
    expectClose('fill i32', g[1]!, w[1]!, EXACT);
  });
});

/** The same bits (NaNs included). */
function sameBits(what: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));
  expect(bits(got), what).toEqual(bits(want));
}

describe('four elements per invocation (vec4 bindings)', () => {
  it('vec4Eligible: unit inner stride, inner extent and offsets / other strides multiples of 4; single scalars anywhere', () => {
    const v = (shape: number[], strides: number[], offset = 0) => ({ shape, strides, offset });
    expect(vec4Eligible([v([256], [1]), v([256], [1], 4)])).toBe(true);
    expect(vec4Eligible([v([256], [1]), v([256], [1], 2)])).toBe(false);
    expect(vec4Eligible([v([257], [1])])).toBe(false);
    expect(vec4Eligible([v([8, 64], [64, 1]), v([8, 64], [256, 1], 8), v([8, 64], [0, 0], 3)])).toBe(true);
    expect(vec4Eligible([v([8, 64], [64, 1]), v([8, 64], [1, 8])])).toBe(false);
    expect(vec4Eligible([v([8, 64], [64, 1]), v([8, 64], [66, 1])])).toBe(false);
    expect(vec4Eligible([v([8, 64], [64, 1]), v([8, 64], [1, 1])])).toBe(false); // overlapping rows one element apart
    expect(vec4Eligible([v([], [])])).toBe(false);
  });

  // 256 elements take the vec4 kernel, 257 the scalar one: the first 256 results must be the same bits.
  for (const c of unaryCases) {
    it(`unary ${c.op}${c.params ? ` ${JSON.stringify(c.params)}` : ''}: the scalar kernel's bits`, async () => {
      const data = c.data();
      const [g] = await onBoth(b, ({ be, up, alloc }) => {
        const dtype = INT_OUT.has(c.op) ? 'int32' : 'float32';
        const x = up(data);
        const o4 = alloc(256, dtype);
        kernels.unary(be, c.op, view(x, [256]), o4, c.params);
        const o1 = alloc(N, dtype);
        kernels.unary(be, c.op, view(x, [N]), o1, c.params);
        return [o4, o1];
      });
      sameBits(c.op, g[0]!, g[1]!.slice(0, 256));
    });
  }

  it('binary float32 and int32 ops: the scalar kernel\'s bits and the CPU\'s values', async () => {
    const x = normals(N, 3);
    const y = Float32Array.from(uniforms(N, 0.2, 3), (v, i) => (i % 3 ? v : -v));
    const xi = ints(N, -50, 50);
    const yi = Int32Array.from(ints(N, -7, 8), (v) => (v === 0 ? 3 : v));
    const ops: BinaryOp[] = ['add', 'mul', 'div', 'pow', 'maximum', 'lt', 'gelu_grad'];
    const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
      const outs = [];
      for (const op of ops) {
        const dtype = COMPARE.has(op) ? 'int32' : 'float32';
        const o4 = alloc(256, dtype);
        kernels.binary(be, op, view(up(x), [256]), view(up(y), [256]), o4);
        const o1 = alloc(N, dtype);
        kernels.binary(be, op, view(up(x), [N]), view(up(y), [N]), o1);
        outs.push(o4, o1);
      }
      for (const op of ['add', 'div', 'maximum'] as BinaryOp[]) {
        const o4 = alloc(256, 'int32');
        kernels.binary(be, op, view(up(xi), [256]), view(up(yi), [256]), o4);
        outs.push(o4);
      }
      return outs;
    });
    ops.forEach((op, k) => {
      sameBits(op, g[2 * k]!, g[2 * k + 1]!.slice(0, 256));
      expectClose(op, g[2 * k]!, w[2 * k]!, COMPARE.has(op) ? EXACT : ELEMENTWISE);
    });
    for (let k = 2 * ops.length; k < g.length; k++) expectClose(`int32 ${k}`, g[k]!, w[k]!, EXACT);
  });

  it('strided views with a contiguous last dimension (head transposes), broadcast rows, single scalars, offsets', async () => {
    const x = normals(2 * 8 * 3 * 16 + 4, 5);
    const r = normals(16, 6);
    const s = normals(3, 7);
    const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
      const xs = up(x);
      // [2, 3, 8, 16] read from storage laid out [2, 8, 3, 16] at offset 4 (a transpose of dims 1 and 2).
      const t = alloc(2 * 3 * 8 * 16);
      kernels.copy(be, view(xs, [2, 3, 8, 16], [384, 16, 48, 1], 4), view(t, [2, 3, 8, 16]));
      // The same transpose times a broadcast row, plus a single scalar (stride 0 everywhere, odd offset).
      const m = alloc(2 * 3 * 8 * 16);
      kernels.binary(be, 'mul', view(xs, [2, 3, 8, 16], [384, 16, 48, 1], 4), view(up(r), [2, 3, 8, 16], [0, 0, 0, 1]), m);
      const a = alloc(2 * 3 * 8 * 16);
      kernels.binary(be, 'add', view(m, [2, 3, 8, 16]), view(up(s), [2, 3, 8, 16], [0, 0, 0, 0], 1), a);
      // Written into a strided destination window.
      const d = alloc(2 * 3 * 8 * 32);
      kernels.copy(be, view(t, [2, 3, 8, 16]), view(d, [2, 3, 8, 16], [768, 256, 32, 1], 16));
      // Overlapping rows one element apart (a sliding window): not vec4-aligned, so the scalar kernel.
      const win = alloc(8 * 64);
      kernels.copy(be, view(xs, [8, 64], [1, 1]), view(win, [8, 64]));
      return [t, m, a, d, win];
    });
    g.forEach((r2, i) => expectClose(`strided vec4 ${i}`, r2, w[i]!, EXACT));
  });

  it('updates in place (the output is an input\'s storage)', async () => {
    const x = normals(512, 8);
    const y = normals(512, 9);
    const [g, w] = await onBoth(b, ({ be, up }) => {
      const xs = up(x);
      kernels.binary(be, 'sub', view(xs, [512]), view(up(y), [512]), xs);
      return [xs];
    });
    expectClose('in place', g[0]!, w[0]!, EXACT);
  });
});
