import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TypedArray, View } from '../src/backend.js';
import { CpuBackend } from '../src/cpu/index.js';
import { type CpuMatmulAccumulate, type CpuMatmulKernel, MatmulWorkspace, cpuMatmulKernel, matmulHost, setCpuMatmulKernel, setCpuThreads } from '../src/cpu/matmul.js';
import { FunctionBody, ModuleBuilder, ValType, sleb, uleb } from '../src/cpu/wasm/emitter.js';
import { GEMM_DENSE_ROW_MAJOR_MAX_N, GEMM_DENSE_TIGHT_MAX_K, GEMM_SHAPES, WasmGemm, wasmSimdSupported } from '../src/cpu/wasm/gemm.js';
import { gemmModuleBytes, gemmStridedModuleBytes, simdProbeBytes } from '../src/cpu/wasm/gemm-module.js';
import { wasmApi } from '../src/cpu/wasm/wasm-api.js';
import { sumColumnsModuleBytes } from '../src/cpu/wasm/columns.js';
import { normBackwardModuleBytes, normRowsModuleBytes } from '../src/cpu/wasm/norms.js';
import { lcg } from './lcg.js';
import { matmulReference } from './matmul-reference.js';

const WA = wasmApi()!;

/** A logical `[B, R, C]` float32 operand with strides `[sB, sR, sC]` and an offset into a filled buffer. */
interface Operand {
  data: Float32Array;
  offset: number;
  strides: [number, number, number];
  get(b: number, r: number, c: number): number;
}

type Layout = 'rows' | 'cols' | 'padded';

/** Builds an operand laid out row-major, column-major ("transposed") or row-major with a padded row pitch (a sliced view). */
function operand(B: number, R: number, C: number, layout: Layout, broadcast: boolean, seed: number): Operand {
  const rand = lcg(seed);
  const offset = 7;
  const pitch = layout === 'padded' ? C + 3 : C;
  const per = layout === 'cols' ? R * C : R * pitch;
  const realB = broadcast ? 1 : B;
  const data = new Float32Array(offset + realB * per + 3);
  for (let i = 0; i < data.length; i++) data[i] = rand() * 2 - 1;
  const strides: [number, number, number] = [broadcast ? 0 : per, layout === 'cols' ? 1 : pitch, layout === 'cols' ? R : 1];
  return { data, offset, strides, get: (b, r, c) => data[offset + b * strides[0] + r * strides[1] + c * strides[2]]! };
}

/** Largest `|got - ref| / sum|a b|` (Infinity for a NaN). */
function worstRelError(got: TypedArray, ref: Float64Array, mag: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const e = Math.abs(got[i]! - ref[i]!) / (mag[i]! + 1e-30);
    worst = Math.max(worst, Number.isNaN(e) ? Infinity : e);
  }
  return worst;
}

/** Tolerance per path, relative to `sum_k |a_ik b_kj|`. */
const TOL: Record<string, number> = { js: 2e-7, 'wasm/float64': 2e-7, 'wasm/float32': 1e-5 };
const PATHS: { kind: CpuMatmulKernel; accumulate: CpuMatmulAccumulate; tol: number }[] = [
  { kind: 'js', accumulate: 'float64', tol: TOL.js! },
  { kind: 'wasm', accumulate: 'float64', tol: TOL['wasm/float64']! },
  { kind: 'wasm', accumulate: 'float32', tol: TOL['wasm/float32']! },
];

interface Case {
  B: number;
  M: number;
  K: number;
  N: number;
  la?: Layout;
  lb?: Layout;
  bcastA?: boolean;
  bcastB?: boolean;
}

/** Runs `matmulHost` on one case under the current kernel selection and returns the worst relative error. */
function runCase(c: Case, ws: MatmulWorkspace, seed: number): number {
  const { B, M, K, N } = c;
  const a = operand(B, M, K, c.la ?? 'rows', c.bcastA ?? false, seed);
  const b = operand(B, K, N, c.lb ?? 'rows', c.bcastB ?? false, seed + 1);
  const out = new Float32Array(B * M * N).fill(NaN);
  matmulHost(a, b, B, M, K, N, out, ws);
  const { ref, mag } = matmulReference(a, b, B, M, K, N);
  return worstRelError(out, ref, mag);
}

afterEach(() => setCpuMatmulKernel('auto', { accumulate: 'float64' }));

describe('wasm emitter', () => {
  it('encodes LEB128 like the spec examples', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(uleb(0xffffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(sleb(0)).toEqual([0]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(-64)).toEqual([0x40]);
    expect(sleb(-65)).toEqual([0xbf, 0x7f]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(() => uleb(-1)).toThrow('wasm emitter: uleb expects a u32, got -1');
    expect(() => sleb(2 ** 31)).toThrow('wasm emitter: sleb expects an i32, got 2147483648');
  });

  it('rejects unbalanced blocks and bad parameter indices', () => {
    const f = new FunctionBody([ValType.i32]);
    expect(() => f.end()).toThrow('wasm emitter: end() without an open block');
    expect(() => f.param(1)).toThrow('wasm emitter: parameter 1 out of range (function has 1)');
    f.block();
    expect(() => f.encode()).toThrow('wasm emitter: function body has 1 unclosed block(s)');
  });

  it('builds a scalar module that runs: loops, branches, locals, calls', () => {
    const mb = new ModuleBuilder();
    // square(x) = x * x; sumSquares(n) = sum_{i < n} square(i) with a do-while loop guarded by a block.
    const sq = mb.func([ValType.i32], [ValType.i32]);
    sq.body.get(0).get(0).i32Mul();
    const ss = mb.func([ValType.i32], [ValType.i32]);
    const f = ss.body;
    const acc = f.local(ValType.i32);
    const i = f.local(ValType.i32);
    f.block();
    f.get(0).i32Eqz().brIf(0);
    f.loop();
    f.get(acc).get(i).call(sq.index).i32Add().set(acc);
    f.get(i).i32Const(1).i32Add().tee(i).get(0).i32LtU().brIf(0);
    f.end();
    f.end();
    f.get(acc);
    mb.exportFunc('sumSquares', ss.index);
    const bytes = mb.encode();
    expect(WA.validate(bytes)).toBe(true);
    const inst = new WA.Instance(new WA.Module(bytes), {});
    const fn = inst.exports['sumSquares'] as (n: number) => number;
    expect([0, 1, 2, 5, 100].map(fn)).toEqual([0, 0, 1, 30, 328350]);
  });

  it('the GEMM module validates and stays under the 4 KiB synchronous-compile limit of browsers', () => {
    expect(wasmSimdSupported()).toBe(true); // Node 20 has WebAssembly SIMD: the fast path must be live in CI
    expect(WA.validate(simdProbeBytes())).toBe(true);
    const bytes = gemmModuleBytes(GEMM_SHAPES);
    expect(WA.validate(bytes)).toBe(true);
    expect(bytes.length).toBeLessThan(4096);
    expect(() => gemmModuleBytes([{ elem: 'f32', mr: 4, nr: 6, ku: 2 }])).toThrow('gemmModuleBytes: bad f32 micro-tile mr=4 nr=6 ku=2');
    expect(() => gemmModuleBytes([GEMM_SHAPES[0]!, GEMM_SHAPES[0]!])).toThrow('gemmModuleBytes: two f64 kernels requested');
    for (const shared of [null, 16384]) {
      const strided = gemmStridedModuleBytes(GEMM_SHAPES[1]!, shared);
      expect(WA.validate(strided)).toBe(true);
      expect(strided.length).toBeLessThan(4096);
    }
  });
});

describe('the row-kernel modules (column sums, norm rows)', () => {
  it('validate and stay under the 4 KiB synchronous-compile limit of browsers', () => {
    for (const bytes of [sumColumnsModuleBytes(), normRowsModuleBytes(), normBackwardModuleBytes()]) {
      expect(WA.validate(bytes)).toBe(true);
      expect(bytes.length).toBeLessThan(4096);
    }
  });
});

describe('WasmGemm.runDense (operands read in place, no packing)', () => {
  const rand = lcg(11);
  const fill = (n: number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);

  /** runDense against the packed run() on the same operands: bitwise the same, or declined. */
  function compare(g: WasmGemm, rows: number, K: number, N: number, aKMajor: boolean, bRowMajor: boolean): boolean {
    const ao = 3;
    const bo = 5;
    const ad = fill(ao + rows * K + 2);
    const bd = fill(bo + K * N + 2);
    const sar = aKMajor ? 1 : K;
    const sak = aKMajor ? rows : 1;
    const [sbk, sbn] = bRowMajor ? [N, 1] : [1, K];
    const rowOff = Float64Array.from({ length: rows }, (_, r) => ao + r * sar);
    const want = new Float32Array(rows * N + 4).fill(9);
    const got = new Float32Array(rows * N + 4).fill(9);
    g.run('f32', ad, rowOff, rows, sak, bd, bo, sbk, sbn, K, N, want, 2);
    if (!g.runDense(ad, ao, sar, sak, rows, bd, bo, sbk, sbn, K, N, got, 2)) return false;
    expect(got).toEqual(want);
    return true;
  }

  it('gives bitwise the packed result for row-major and k-major A, row- and column-major B, at every tile edge', () => {
    const g = new WasmGemm();
    let taken = 0;
    // [97, 16, 97] and [13, 33, 17] leave C in one copy (N off the tile: the last panel spills into the next row first).
    for (const [rows, K, N] of [[1, 1, 1], [5, 7, 3], [13, 33, 17], [97, 16, 97], [97, 97, 16], [64, 300, 40], [130, 64, 96], [7, 520, 33], [9, 20, 112], [6, 80, 100]] as const) {
      for (const aKMajor of [false, true]) for (const bRowMajor of [false, true]) if (compare(g, rows, K, N, aKMajor, bRowMajor)) taken++;
    }
    // All but a row-major A wider than GEMM_DENSE_ROW_MAJOR_MAX_N whose C cannot leave in one copy
    // (N = 112 on the tile) or whose K is past GEMM_DENSE_TIGHT_MAX_K (80): 2 + 2 cases.
    expect(taken).toBe(36);
    expect([GEMM_DENSE_ROW_MAJOR_MAX_N, GEMM_DENSE_TIGHT_MAX_K]).toEqual([96, 64]);
  });

  it('blocks K, N and the resident C rows as run() does (small blocking)', () => {
    const g = new WasmGemm(GEMM_SHAPES, { kc: 8, mc: 8, nc: 32, cElements: 256 });
    for (const [rows, K, N] of [[37, 29, 70], [9, 17, 33]] as const) {
      for (const aKMajor of [false, true]) for (const bRowMajor of [false, true]) expect(compare(g, rows, K, N, aKMajor, bRowMajor)).toBe(true);
    }
  });

  it('declines what it does not cover, doing nothing: strided A, a wide row-major product', () => {
    const g = new WasmGemm();
    const out = new Float32Array(8 * 200).fill(4);
    const a = fill(64 * 64);
    // A with a padded row pitch is not dense.
    expect(g.runDense(a, 0, 20, 1, 8, a, 0, 8, 1, 16, 8, out, 0)).toBe(false);
    // A row-major A with N above the crossover is left to packing.
    expect(g.runDense(a, 0, 16, 1, 8, fill(16 * 192), 0, 192, 1, 16, 192, out, 0)).toBe(false);
    expect(out.every((v) => v === 4)).toBe(true);
  });

  it('runDenseBatch splits a batch of small products across threads by whole products, bitwise the one-thread result', () => {
    const one = new WasmGemm();
    const threaded = new WasmGemm(GEMM_SHAPES, undefined, 2);
    try {
      if (threaded.threads < 2) return;
      expect(one.runDenseBatch(fill(8), 0, 2, 1, 2, fill(8), 0, 2, 2, new Float32Array(16), 0, 2)).toBe(false); // one thread
      for (const [batch, rows, K, N] of [[32, 64, 32, 64], [33, 61, 40, 37], [5, 130, 200, 48]] as const) {
        for (const aKMajor of [false, true]) {
          const ad = fill(3 + batch * rows * K);
          const bd = fill(5 + batch * K * N);
          const [sar, sak] = aKMajor ? [1, rows] : [K, 1];
          const want = new Float32Array(2 + batch * rows * N).fill(NaN);
          for (let b = 0; b < batch; b++) expect(one.runDense(ad, 3 + b * rows * K, sar, sak, rows, bd, 5 + b * K * N, N, 1, K, N, want, 2 + b * rows * N)).toBe(true);
          const got = new Float32Array(2 + batch * rows * N).fill(NaN);
          expect(threaded.runDenseBatch(ad, 3, sar, sak, rows, bd, 5, K, N, got, 2, batch)).toBe(true);
          expect(got, `${batch} x ${rows}x${K}x${N}, ${aKMajor ? 'k-major' : 'row-major'} A`).toEqual(want);
        }
      }
      const out = new Float32Array(4 * 64 * 64).fill(4);
      expect(threaded.runDenseBatch(fill(4 * 64 * 8), 0, 8, 1, 64, fill(4 * 8 * 64), 0, 8, 64, out, 0, 4)).toBe(false); // 131072 multiply-adds: too small
      expect(threaded.runDenseBatch(fill(4 * 64 * 300), 0, 300, 1, 64, fill(4 * 300 * 64), 0, 300, 64, out, 0, 4)).toBe(false); // K past one block
      expect(out.every((v) => v === 4)).toBe(true);
    } finally {
      threaded.close();
    }
  });

  it('splits large products across threads with bitwise the one-thread result (k-major and narrow row-major A, B in place or packed, K past a block)', () => {
    const one = new WasmGemm();
    const threaded = new WasmGemm(GEMM_SHAPES, undefined, 2);
    try {
      if (threaded.threads < 2) return; // no worker threads in this engine (cpu-threads.test.ts fails loudly there)
      for (const [rows, K, N] of [[256, 256, 64], [130, 520, 40], [400, 64, 96], [97, 600, 48]] as const) {
        for (const aKMajor of [false, true]) {
          for (const bRowMajor of [false, true]) {
            const ad = fill(rows * K);
            const bd = fill(K * N);
            const [sar, sak] = aKMajor ? [1, rows] : [K, 1];
            const [sbk, sbn] = bRowMajor ? [N, 1] : [1, K];
            const want = new Float32Array(rows * N).fill(NaN);
            const got = new Float32Array(rows * N).fill(NaN);
            expect(one.runDense(ad, 0, sar, sak, rows, bd, 0, sbk, sbn, K, N, want, 0)).toBe(true);
            expect(threaded.runDense(ad, 0, sar, sak, rows, bd, 0, sbk, sbn, K, N, got, 0)).toBe(true);
            expect(got, `${rows}x${K}x${N} ${aKMajor ? 'k-major' : 'row-major'} A, B ${bRowMajor ? 'in place' : 'packed'}`).toEqual(want);
          }
        }
      }
      // A shallow row-major product whose C leaves in one copy on one thread is left to run() when
      // threaded: a share's spill past column N would land in the next share's rows.
      const [rows, K, N] = [300, 64, 120];
      const out = new Float32Array(rows * N).fill(4);
      expect(one.runDense(fill(rows * K), 0, K, 1, rows, fill(K * N), 0, N, 1, K, N, out, 0)).toBe(true);
      out.fill(4);
      expect(threaded.runDense(fill(rows * K), 0, K, 1, rows, fill(K * N), 0, N, 1, K, N, out, 0)).toBe(false);
      expect(out.every((v) => v === 4)).toBe(true);
    } finally {
      threaded.close();
    }
  });
});

describe('float32 matmul, JS and WASM paths, vs a float64 reference', () => {
  const SIZES = [1, 2, 5, 16, 17, 33];

  for (const p of PATHS) {
    const name = `${p.kind}${p.kind === 'wasm' ? `/${p.accumulate}` : ''}`;

    it(`${name}: all size combinations from {1,2,5,16,17,33}`, () => {
      setCpuMatmulKernel(p.kind, { accumulate: p.accumulate });
      const ws = new MatmulWorkspace();
      let worst = 0;
      for (const M of SIZES) for (const K of SIZES) for (const N of SIZES) worst = Math.max(worst, runCase({ B: 1, M, K, N }, ws, M * 1000 + K * 37 + N));
      expect(worst).toBeLessThanOrEqual(p.tol);
      expect(ws.wasm !== null).toBe(p.kind === 'wasm');
    });

    it(`${name}: random shapes with transposed, padded and batch-broadcast views`, () => {
      setCpuMatmulKernel(p.kind, { accumulate: p.accumulate });
      const ws = new MatmulWorkspace();
      const rand = lcg(99);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
      const layouts: Layout[] = ['rows', 'cols', 'padded'];
      let worst = 0;
      for (let t = 0; t < 24; t++) {
        const c: Case = {
          B: pick([1, 2, 3]),
          M: 1 + Math.floor(rand() * 70),
          K: 1 + Math.floor(rand() * 90),
          N: 1 + Math.floor(rand() * 70),
          la: pick(layouts),
          lb: pick(layouts),
        };
        c.bcastA = c.B > 1 && rand() < 0.3;
        c.bcastB = c.B > 1 && !c.bcastA && rand() < 0.5;
        worst = Math.max(worst, runCase(c, ws, 1000 + t));
      }
      expect(worst).toBeLessThanOrEqual(p.tol);
    });

    it(`${name}: blocking edges (K beyond a K block, N beyond an N block, rows beyond a C block)`, () => {
      setCpuMatmulKernel(p.kind, { accumulate: p.accumulate });
      const ws = new MatmulWorkspace();
      const worst = Math.max(
        runCase({ B: 1, M: 9, K: 600, N: 21 }, ws, 1),
        runCase({ B: 1, M: 5, K: 20, N: 1100, lb: 'cols' }, ws, 2),
        runCase({ B: 2, M: 131, K: 257, N: 37, la: 'cols' }, ws, 3),
        // 1100 rows x 1032 padded columns exceeds the 2^20-element resident C block: several row chunks.
        runCase({ B: 1, M: 1100, K: 3, N: 1030, lb: 'padded' }, ws, 4),
        // A batch-shared B folds the batch into the rows of one GEMM.
        runCase({ B: 5, M: 67, K: 40, N: 19, bcastB: true, la: 'padded' }, ws, 5),
      );
      expect(worst).toBeLessThanOrEqual(p.tol);
    });
  }

  it('zero-size problems: K = 0 writes zeros, M or N or batch = 0 writes nothing', () => {
    for (const p of PATHS) {
      setCpuMatmulKernel(p.kind, { accumulate: p.accumulate });
      const ws = new MatmulWorkspace();
      const a = { data: new Float32Array(8), offset: 0, strides: [0, 0, 1] };
      const b = { data: new Float32Array(8), offset: 0, strides: [0, 2, 1] };
      const out = new Float32Array(6).fill(5);
      matmulHost(a, b, 1, 3, 0, 2, out, ws);
      expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0]);
      const out2 = new Float32Array(2).fill(7);
      matmulHost(a, b, 1, 0, 3, 2, out2, ws);
      matmulHost(a, b, 1, 2, 3, 0, out2, ws);
      matmulHost(a, b, 0, 2, 3, 2, out2, ws);
      expect(Array.from(out2)).toEqual([7, 7]);
    }
  });

  it('propagates NaN and Inf only to the entries they touch (zero padding does not leak)', () => {
    for (const acc of ['float64', 'float32'] as const) {
      setCpuMatmulKernel('wasm', { accumulate: acc });
      const ws = new MatmulWorkspace();
      // Leave Inf in every packed buffer first: padding must be re-zeroed, not inherited.
      const inf = new Float32Array(40 * 40).fill(Infinity);
      matmulHost({ data: inf, offset: 0, strides: [0, 40, 1] }, { data: inf, offset: 0, strides: [0, 40, 1] }, 1, 40, 40, 40, new Float32Array(1600), ws);
      const M = 6;
      const K = 5;
      const N = 21; // none a multiple of the micro-tile: full and padded panels, padded rows and k steps
      const ad = new Float32Array(M * K).fill(1);
      ad[2 * K + 4] = NaN;
      const bd = new Float32Array(K * N).fill(1);
      bd[3 * N + 6] = Infinity;
      bd[1 * N + 2] = -Infinity;
      const out = new Float32Array(M * N);
      matmulHost({ data: ad, offset: 0, strides: [0, K, 1] }, { data: bd, offset: 0, strides: [0, N, 1] }, 1, M, K, N, out, ws);
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          const want = i === 2 ? NaN : j === 6 ? Infinity : j === 2 ? -Infinity : K;
          expect(out[i * N + j]).toBe(want);
        }
    }
  });

  it('float64 and int32 never take the WASM path (float64 stays exact to 1e-14 for gradcheck)', () => {
    setCpuMatmulKernel('wasm');
    const ws = new MatmulWorkspace();
    const M = 40;
    const K = 50;
    const N = 30;
    const rand = lcg(5);
    const ad = Float64Array.from({ length: M * K }, () => rand() * 2 - 1);
    const bd = Float64Array.from({ length: K * N }, () => rand() * 2 - 1);
    const out = new Float64Array(M * N);
    matmulHost({ data: ad, offset: 0, strides: [0, K, 1] }, { data: bd, offset: 0, strides: [0, N, 1] }, 1, M, K, N, out, ws);
    let worst = 0;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        let m = 0;
        for (let k = 0; k < K; k++) {
          s += ad[i * K + k]! * bd[k * N + j]!;
          m += Math.abs(ad[i * K + k]! * bd[k * N + j]!);
        }
        worst = Math.max(worst, Math.abs(out[i * N + j]! - s) / m);
      }
    expect(worst).toBeLessThan(1e-14);
    const ai = Int32Array.from({ length: M * K }, (_, i) => (i % 7) - 3);
    const bi = Int32Array.from({ length: K * N }, (_, i) => (i % 5) - 2);
    const oi = new Int32Array(M * N);
    matmulHost({ data: ai, offset: 0, strides: [0, K, 1] }, { data: bi, offset: 0, strides: [0, N, 1] }, 1, M, K, N, oi, ws);
    let s = 0;
    for (let k = 0; k < K; k++) s += ai[3 * K + k]! * bi[k * N + 4]!;
    expect(oi[3 * N + 4]).toBe(s);
    expect(ws.wasm).toBeNull();
  });
});

describe('WASM memory', () => {
  it('grows for a big matmul after small ones and stays correct for small ones afterwards', () => {
    setCpuThreads(1); // big products would otherwise go to the shared threaded instance
    setCpuMatmulKernel('wasm');
    const ws = new MatmulWorkspace();
    expect(runCase({ B: 1, M: 8, K: 8, N: 8 }, ws, 11)).toBeLessThanOrEqual(2e-7);
    const small = ws.wasm!.memoryBytes;
    expect(runCase({ B: 1, M: 300, K: 260, N: 700 }, ws, 12)).toBeLessThanOrEqual(2e-7);
    const big = ws.wasm!.memoryBytes;
    expect(big).toBeGreaterThan(small);
    expect(runCase({ B: 2, M: 3, K: 9, N: 5 }, ws, 13)).toBeLessThanOrEqual(2e-7);
    setCpuMatmulKernel('wasm', { accumulate: 'float32' });
    expect(runCase({ B: 1, M: 300, K: 260, N: 700 }, ws, 14)).toBeLessThanOrEqual(1e-5);
    expect(ws.wasm!.memoryBytes).toBe(big); // f32 blocks are half the size: no further growth
    ws.clear();
    expect(ws.wasm).toBeNull();
    setCpuThreads('auto');
  });

  it('WasmGemm rejects bad blocking and unknown kernels with clear messages', () => {
    expect(() => new WasmGemm(GEMM_SHAPES, { kc: 0, mc: 64, nc: 64, cElements: 1 })).toThrow('WasmGemm: bad blocking kc=0 mc=64 nc=64 cElements=1');
    const g = new WasmGemm([GEMM_SHAPES[0]!]);
    const one = new Float32Array(1);
    expect(() => g.run('f32', one, new Float64Array(1), 1, 1, one, 0, 1, 1, 1, 1, one, 0)).toThrow('WasmGemm.run: no f32 kernel in this instance');
  });
});

describe('kernel selection', () => {
  it('setCpuMatmulKernel validates its arguments and cpuMatmulKernel reports the selection', () => {
    expect(cpuMatmulKernel()).toEqual({ kind: 'auto', accumulate: 'float64', wasmAvailable: true });
    setCpuMatmulKernel('js');
    expect(cpuMatmulKernel().kind).toBe('js');
    setCpuMatmulKernel('wasm', { accumulate: 'float32' });
    expect(cpuMatmulKernel()).toEqual({ kind: 'wasm', accumulate: 'float32', wasmAvailable: true });
    expect(() => setCpuMatmulKernel('simd' as CpuMatmulKernel)).toThrow('setCpuMatmulKernel: kind must be one of js, wasm, auto, got "simd"');
    expect(() => setCpuMatmulKernel('auto', { accumulate: 'float16' as CpuMatmulAccumulate })).toThrow(
      'setCpuMatmulKernel: options.accumulate must be one of float64, float32, got "float16"',
    );
    expect(cpuMatmulKernel().kind).toBe('wasm'); // a rejected call changes nothing
  });

  it("'auto' uses WASM for large float32 problems only; 'js' never", () => {
    const ws = new MatmulWorkspace();
    setCpuMatmulKernel('auto');
    runCase({ B: 1, M: 3, K: 200, N: 200 }, ws, 21); // fewer than 4 rows: JS direct loops
    runCase({ B: 1, M: 16, K: 16, N: 8 }, ws, 22); // under the work threshold: JS
    expect(ws.wasm).toBeNull();
    setCpuMatmulKernel('js');
    runCase({ B: 1, M: 64, K: 64, N: 64 }, ws, 23);
    expect(ws.wasm).toBeNull();
    setCpuMatmulKernel('auto');
    runCase({ B: 1, M: 64, K: 64, N: 64 }, ws, 23);
    expect(ws.wasm).not.toBeNull();
  });

  it('the CPU backend follows the switch (same results within float32 rounding either way)', () => {
    const be = new CpuBackend();
    const M = 48;
    const K = 80;
    const N = 40;
    const rand = lcg(31);
    const a = be.upload(Float32Array.from({ length: M * K }, () => rand() * 2 - 1), 'float32');
    const b = be.upload(Float32Array.from({ length: N * K }, () => rand() * 2 - 1), 'float32');
    const va: View = { storage: a, shape: [1, M, K], strides: [0, K, 1], offset: 0 };
    const vb: View = { storage: b, shape: [1, K, N], strides: [0, 1, K], offset: 0 }; // b stored transposed
    const results: Float32Array[] = [];
    for (const [kind, accumulate] of [['js', 'float64'], ['wasm', 'float64'], ['wasm', 'float32']] as const) {
      setCpuMatmulKernel(kind, { accumulate });
      const out = be.allocate(M * N, 'float32');
      be.matmul(va, vb, out);
      results.push(be.readSync(out) as Float32Array);
      be.release(out);
    }
    for (let i = 0; i < M * N; i++) {
      expect(Math.abs(results[1]![i]! - results[0]![i]!)).toBeLessThanOrEqual(2 ** -22 * Math.max(1, Math.abs(results[0]![i]!)));
      expect(Math.abs(results[2]![i]! - results[0]![i]!)).toBeLessThanOrEqual(1e-5 * K);
    }
  });

  it('UNIHETERO_CPU_MATMUL / UNIHETERO_CPU_MATMUL_ACCUMULATE select the initial kernel; bad values throw', async () => {
    try {
      vi.resetModules();
      vi.stubEnv('UNIHETERO_CPU_MATMUL', 'js');
      vi.stubEnv('UNIHETERO_CPU_MATMUL_ACCUMULATE', 'float32');
      const m = await import('../src/cpu/matmul.js');
      expect(m.cpuMatmulKernel()).toEqual({ kind: 'js', accumulate: 'float32', wasmAvailable: true });
      vi.resetModules();
      vi.stubEnv('UNIHETERO_CPU_MATMUL', 'fast');
      await expect(import('../src/cpu/matmul.js')).rejects.toThrow('setCpuMatmulKernel: UNIHETERO_CPU_MATMUL must be one of js, wasm, auto, got "fast"');
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });

  it('without WebAssembly SIMD, auto falls back to JS and wasm is refused', async () => {
    try {
      vi.resetModules();
      vi.stubGlobal('WebAssembly', { validate: () => false, Module: WA.Module, Instance: WA.Instance });
      const m = await import('../src/cpu/matmul.js');
      expect(m.cpuMatmulKernel()).toEqual({ kind: 'auto', accumulate: 'float32', wasmAvailable: false });
      expect(() => m.setCpuMatmulKernel('wasm')).toThrow("setCpuMatmulKernel: 'wasm' requested but this engine has no WebAssembly SIMD support");
      const ws = new m.MatmulWorkspace();
      const M = 64;
      const a = operand(1, M, M, 'rows', false, 41);
      const b = operand(1, M, M, 'cols', false, 42);
      const out = new Float32Array(M * M);
      m.matmulHost(a, b, 1, M, M, M, out, ws);
      const { ref, mag } = matmulReference(a, b, 1, M, M, M);
      expect(worstRelError(out, ref, mag)).toBeLessThanOrEqual(2e-7);
      expect(ws.wasm).toBeNull();
      vi.stubGlobal('WebAssembly', undefined);
      vi.resetModules();
      const m2 = await import('../src/cpu/matmul.js');
      expect(m2.cpuMatmulKernel().wasmAvailable).toBe(false);
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });
});
