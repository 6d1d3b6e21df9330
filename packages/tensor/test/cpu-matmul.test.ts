import { describe, expect, it } from 'vitest';
import type { DType, Storage, TypedArray, View } from '../src/backend.js';
import { CpuBackend } from '../src/cpu/index.js';
import { lcg } from './lcg.js';
import { matmulReference } from './matmul-reference.js';

const be = new CpuBackend();

/** A logical [B, R, C] matrix stored contiguously or transposed (column-major per batch), with an offset. */
interface Mat {
  view: View;
  get(b: number, r: number, c: number): number;
}
function makeMat(B: number, R: number, C: number, opts: { transposed?: boolean; broadcast?: boolean; offset?: number; dtype?: DType; seed: number }): Mat {
  const rand = lcg(opts.seed);
  const dtype = opts.dtype ?? 'float32';
  const offset = opts.offset ?? 0;
  const realB = opts.broadcast ? 1 : B;
  const n = offset + realB * R * C;
  const data =
    dtype === 'float32' ? new Float32Array(n) : dtype === 'float64' ? new Float64Array(n) : new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = dtype === 'int32' ? Math.floor(rand() * 2001) - 1000 : rand() * 2 - 1;
  const storage: Storage = be.upload(data, dtype);
  const sB = opts.broadcast ? 0 : R * C;
  const [sR, sC] = opts.transposed ? [1, R] : [C, 1];
  return {
    view: { storage, shape: [B, R, C], strides: [sB, sR, sC], offset },
    get: (b, r, c) => data[offset + b * sB + r * sR + c * sC]!,
  };
}

function check(got: TypedArray, ref: Float64Array, mag: Float64Array, rel: number): void {
  expect(got.length).toBe(ref.length);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const err = Math.abs(got[i]! - ref[i]!) - rel * (mag[i]! + 1e-30);
    if (!(err <= 0)) worst = Math.max(worst, Number.isNaN(err) ? Infinity : err);
  }
  expect(worst).toBe(0);
}

function run(B: number, M: number, K: number, N: number, o: { ta?: boolean; tb?: boolean; bcastA?: boolean; bcastB?: boolean; dtype?: DType; seed?: number }): void {
  const dtype = o.dtype ?? 'float32';
  const seed = o.seed ?? M * 10007 + K * 101 + N;
  const a = makeMat(B, M, K, { transposed: o.ta, broadcast: o.bcastA, offset: 3, dtype, seed });
  const b = makeMat(B, K, N, { transposed: o.tb, broadcast: o.bcastB, offset: 5, dtype, seed: seed + 1 });
  const out = be.allocate(B * M * N, dtype);
  be.matmul(a.view, b.view, out);
  const { ref, mag } = matmulReference(a, b, B, M, K, N);
  const got = be.readSync(out);
  if (dtype === 'int32') {
    expect(Array.from(got)).toEqual(Array.from(ref, (v) => v | 0));
  } else {
    // float32: the WASM path accumulates in float32 like BLAS (a few ulp of sum|a*b|); 1e-6 = 17 ulp.
    check(got, ref, mag, dtype === 'float32' ? 1e-6 : 1e-14);
  }
  be.release(out);
}

const SIZES = [1, 3, 17, 33, 65, 129];

describe('CpuBackend matmul (float32) vs a naive triple loop', () => {
  it('all size combinations from {1,3,17,33,65,129}, contiguous', () => {
    for (const M of SIZES) for (const K of SIZES) for (const N of SIZES) run(1, M, K, N, {});
  });

  it('transposed A and/or B (strided views)', () => {
    const layouts = [
      { ta: true, tb: false },
      { ta: false, tb: true },
      { ta: true, tb: true },
    ];
    let t = 0;
    for (const M of SIZES)
      for (const K of SIZES)
        for (const N of SIZES) {
          if ((M + K + N + t++) % 3 !== 0) continue; // a third of the combinations per layout keeps this fast
          for (const l of layouts) run(1, M, K, N, l);
        }
  });

  it('batched, with a batch-broadcast (stride 0) B or A', () => {
    run(3, 17, 33, 65, {});
    run(4, 33, 17, 9, { bcastB: true });
    run(4, 2, 17, 9, { bcastB: true });
    run(2, 65, 129, 33, { bcastB: true, tb: true });
    run(3, 33, 65, 17, { bcastA: true, ta: true });
    run(5, 1, 64, 3, { bcastA: true });
  });

  it('blocking edges: K beyond one K block, N beyond one N block, M beyond one M block', () => {
    run(1, 70, 300, 20, {});
    run(1, 9, 20, 600, { tb: true });
    run(2, 131, 257, 37, { ta: true });
  });

  it('degenerate sizes: K = 0 gives zeros, M or N = 0 writes nothing', () => {
    const a = be.allocate(6, 'float32');
    const b = be.allocate(6, 'float32');
    const out = be.upload(new Float32Array([5, 5, 5, 5]), 'float32');
    be.matmul({ storage: a, shape: [1, 2, 0], strides: [0, 0, 1], offset: 0 }, { storage: b, shape: [1, 0, 2], strides: [0, 2, 1], offset: 0 }, out);
    expect(Array.from(be.readSync(out))).toEqual([0, 0, 0, 0]);
    const o2 = be.upload(new Float32Array([7]), 'float32');
    be.matmul({ storage: a, shape: [1, 0, 3], strides: [0, 3, 1], offset: 0 }, { storage: b, shape: [1, 3, 2], strides: [0, 2, 1], offset: 0 }, o2);
    expect(Array.from(be.readSync(o2))).toEqual([7]);
  });

  it('propagates NaN and Inf', () => {
    const n = 8;
    const ad = new Float32Array(n * n).fill(1);
    ad[2 * n + 5] = NaN;
    const bd = new Float32Array(n * n).fill(1);
    bd[3 * n + 6] = Infinity;
    const out = be.allocate(n * n, 'float32');
    const v = (s: Storage): View => ({ storage: s, shape: [1, n, n], strides: [0, n, 1], offset: 0 });
    be.matmul(v(be.upload(ad, 'float32')), v(be.upload(bd, 'float32')), out);
    const o = be.readSync(out);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const want = i === 2 ? NaN : j === 6 ? Infinity : n;
        expect(o[i * n + j]).toBe(want);
      }
  });

  it('rejects mismatched shapes with a clear message', () => {
    const s = be.allocate(64, 'float32');
    const out = be.allocate(64, 'float32');
    expect(() => be.matmul({ storage: s, shape: [1, 2, 3], strides: [0, 3, 1], offset: 0 }, { storage: s, shape: [1, 4, 5], strides: [0, 5, 1], offset: 0 }, out)).toThrow(
      'matmul: inner dimensions differ: [1,2,3] @ [1,4,5]',
    );
    expect(() => be.matmul({ storage: s, shape: [2, 3], strides: [3, 1], offset: 0 }, { storage: s, shape: [3, 2], strides: [2, 1], offset: 0 }, out)).toThrow(
      'matmul: expected rank-3 views, got [2,3] @ [3,2]',
    );
    expect(() => be.matmul({ storage: s, shape: [1, 8, 8], strides: [0, 8, 1], offset: 0 }, { storage: s, shape: [1, 8, 8], strides: [0, 8, 1], offset: 0 }, be.allocate(10, 'float32'))).toThrow(
      'matmul: output storage holds 10 elements, needs 64',
    );
  });
});

describe('CpuBackend matmul (float64, int32)', () => {
  it('float64 matches the naive loop to 1e-14 relative, including transposed and broadcast views', () => {
    for (const [M, K, N] of [[1, 1, 1], [3, 17, 5], [17, 33, 65], [65, 3, 33], [129, 17, 3]] as const) {
      run(1, M, K, N, { dtype: 'float64' });
      run(2, M, K, N, { dtype: 'float64', ta: true, tb: true, bcastB: true });
    }
  });

  it('int32 is exact', () => {
    run(2, 5, 7, 3, { dtype: 'int32' });
    run(1, 17, 33, 9, { dtype: 'int32', ta: true, tb: true });
  });
});
