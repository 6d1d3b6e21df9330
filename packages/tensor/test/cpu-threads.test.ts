/** Threaded WASM GEMM: bitwise equal to one thread for every shape, blocking edge and accumulation; the thread setting and its errors. */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/cpu/index.js';
import { cpuThreads, setCpuThreads } from '../src/cpu/matmul.js';
import { GEMM_SHAPES, GEMM_THREAD_MIN_WORK, WasmGemm, wasmSimdSupported } from '../src/cpu/wasm/gemm.js';
import { gemmThreadsAvailable } from '../src/cpu/wasm/gemm-threads.js';
import { Generator, matmul, randn } from '../src/index.js';

function filled(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** `rows x K` A (row pitch `K + 1`, so rows are offset views) times `K x N` B (row-major, or column-major when `bCols`). */
function product(gemm: WasmGemm, acc: 'f32' | 'f64', rows: number, K: number, N: number, bCols: boolean): Float32Array {
  const a = filled(rows * (K + 1), 1);
  const b = filled(K * N, 2);
  const rowOff = new Float64Array(rows);
  for (let r = 0; r < rows; r++) rowOff[r] = r * (K + 1);
  const out = new Float32Array(rows * N).fill(NaN);
  gemm.run(acc, a, rowOff, rows, 1, b, 0, bCols ? 1 : N, bCols ? K : 1, K, N, out, 0);
  return out;
}

/** Index of the first element whose bits differ (-1 when none; `toEqual` is slow on big arrays). */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

const canThread = wasmSimdSupported() && gemmThreadsAvailable();

describe.runIf(canThread)('threaded WASM GEMM', () => {
  const one = new WasmGemm(GEMM_SHAPES, undefined, 1);
  const two = new WasmGemm(GEMM_SHAPES, undefined, 2);
  const three = new WasmGemm(GEMM_SHAPES, undefined, 3);
  // A small blocking forces several row blocks, column blocks and K blocks at modest sizes.
  const smallBlocks = { kc: 32, mc: 16, nc: 64, cElements: 4096 };
  const oneSmall = new WasmGemm(GEMM_SHAPES, smallBlocks, 1);
  const twoSmall = new WasmGemm(GEMM_SHAPES, smallBlocks, 2);
  afterAll(() => {
    for (const g of [one, two, three, oneSmall, twoSmall]) g.close();
  });

  it('starts the asked number of threads', () => {
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    expect(three.threads).toBe(3);
  });

  const cases: [number, number, number][] = [
    [1536, 128, 384], // a linear layer of the demo model
    [257, 300, 131], // every edge: rows, K and N off the micro-tile and K past one block
    [128, 1536, 128], // a weight gradient: few rows, long K
  ];
  for (const [rows, K, N] of cases) {
    for (const acc of ['f32', 'f64'] as const) {
      for (const bCols of [false, true]) {
        it(`${rows}x${K}x${N} ${acc}${bCols ? ', B column-major' : ''}: 2 and 3 threads equal 1 bit for bit`, () => {
          expect(rows * K * N).toBeGreaterThanOrEqual(GEMM_THREAD_MIN_WORK);
          const ref = product(one, acc, rows, K, N, bCols);
          expect(ref.every(Number.isFinite)).toBe(true);
          expect(firstDifference(product(two, acc, rows, K, N, bCols), ref)).toBe(-1);
          expect(firstDifference(product(three, acc, rows, K, N, bCols), ref)).toBe(-1);
        });
      }
    }
  }

  it('several row, column and K blocks: equal bit for bit', () => {
    const ref = product(oneSmall, 'f32', 301, 150, 200, false);
    expect(firstDifference(product(twoSmall, 'f32', 301, 150, 200, false), ref)).toBe(-1);
    expect(firstDifference(product(twoSmall, 'f64', 301, 150, 200, true), product(oneSmall, 'f64', 301, 150, 200, true))).toBe(-1);
  });

  it('restarts its workers after close()', () => {
    const g = new WasmGemm(GEMM_SHAPES, undefined, 2);
    const ref = product(one, 'f32', 512, 64, 128, false);
    expect(firstDifference(product(g, 'f32', 512, 64, 128, false), ref)).toBe(-1);
    g.close();
    expect(firstDifference(product(g, 'f32', 512, 64, 128, false), ref)).toBe(-1);
    g.close();
  });
});

describe('setCpuThreads', () => {
  afterEach(() => setCpuThreads('auto'));

  it('matmul on the CPU backend gives the same bits for 1 and 2 threads', () => {
    const b = new CpuBackend();
    const x = randn([700, 96], { backend: b, generator: new Generator(3) });
    const w = randn([96, 160], { backend: b, generator: new Generator(4) });
    setCpuThreads(1);
    const ref = matmul(x, w).dataSync();
    setCpuThreads(2);
    expect(cpuThreads().setting).toBe(2);
    expect(cpuThreads().threads).toBe(canThread ? 2 : 1);
    expect(firstDifference(matmul(x, w).dataSync(), ref)).toBe(-1);
    b.destroy();
  });

  it('batched attention-sized matmuls (split by whole products) give the same bits for 1 and 2 threads, row-major and transposed A', () => {
    const b = new CpuBackend();
    const q = randn([8, 4, 64, 32], { backend: b, generator: new Generator(5) });
    const k = randn([8, 4, 64, 32], { backend: b, generator: new Generator(6) }).transpose(-1, -2).contiguous();
    const s = randn([8, 4, 64, 64], { backend: b, generator: new Generator(7) });
    const run = () => [matmul(q, k).dataSync(), matmul(s.transpose(-1, -2), q).dataSync()];
    setCpuThreads(1);
    const ref = run();
    setCpuThreads(2);
    run().forEach((r, i) => expect(firstDifference(r, ref[i]!), `product ${i}`).toBe(-1));
    b.destroy();
  });

  it('reports the setting and resolves auto to at least one thread', () => {
    setCpuThreads('auto');
    const t = cpuThreads();
    expect(t.setting).toBe('auto');
    expect(t.threads).toBeGreaterThanOrEqual(1);
    expect(t.threads).toBeLessThanOrEqual(4);
    expect(t.available).toBe(gemmThreadsAvailable());
  });

  it('rejects bad counts with the value', () => {
    expect(() => setCpuThreads(0)).toThrow("setCpuThreads: threads must be 'auto' or an integer from 1 to 64, got 0");
    expect(() => setCpuThreads(1.5)).toThrow('got 1.5');
    expect(() => setCpuThreads('many' as never)).toThrow('got "many"');
    expect(() => new WasmGemm(GEMM_SHAPES, undefined, 0)).toThrow('WasmGemm: threads must be a positive integer, got 0');
  });
});
