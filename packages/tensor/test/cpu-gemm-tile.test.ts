/** The GEMM's float32 micro-tile: every candidate gives bitwise the same products; the setting, its calibration and its errors. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MatmulWorkspace, cpuGemmTile, matmulHost, setCpuGemmTile, setCpuMatmulKernel, setCpuThreads } from '../src/cpu/matmul.js';
import { GEMM_BLOCKING, GEMM_SHAPES, WasmGemm } from '../src/cpu/wasm/gemm.js';
import { GEMM_F32_TILES, GEMM_TILE_NAMES, type GemmTileName, calibrateGemmTile, parseGemmTile } from '../src/cpu/wasm/gemm-tile.js';
import { gemmModuleBytes, gemmStridedModuleBytes } from '../src/cpu/wasm/gemm-module.js';
import { gemmThreadsAvailable } from '../src/cpu/wasm/gemm-threads.js';
import { wasmApi } from '../src/cpu/wasm/wasm-api.js';
import { lcg } from './lcg.js';

/** The operands' random stream (`withRand` swaps it so that every tile sees the same operands). */
let current: () => number = lcg(5);
const fill = (n: number) => Float32Array.from({ length: n }, () => current() * 2 - 1);

/** Bitwise comparison (NaN-safe); returns the first differing index or -1. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

/** How many products of the last `products` call took the in-place path. */
let dense = 0;

/** Products on one instance: packed `run` with row-major and column-major B, and `runDense` with k-major and row-major A (`run` where it declines). */
function products(g: WasmGemm, cases: readonly (readonly [number, number, number])[]): Float32Array[] {
  const outs: Float32Array[] = [];
  dense = 0;
  for (const [rows, K, N] of cases) {
    const a = fill(rows * K + 3);
    const b = fill(K * N + 3);
    const rowOff = Float64Array.from({ length: rows }, (_, r) => 1 + r * K);
    for (const bCols of [false, true]) {
      const out = new Float32Array(rows * N).fill(NaN);
      g.run('f32', a, rowOff, rows, 1, b, 2, bCols ? 1 : N, bCols ? K : 1, K, N, out, 0);
      outs.push(out);
    }
    for (const kMajor of [true, false]) {
      // A k-major A reads the same buffer as A^T: its product differs from the row-major one.
      const out = new Float32Array(rows * N).fill(NaN);
      if (g.runDense(a, 1, kMajor ? 1 : K, kMajor ? rows : 1, rows, b, 2, N, 1, K, N, out, 0)) dense++;
      else g.run('f32', a, kMajor ? Float64Array.from({ length: rows }, (_, r) => 1 + r) : rowOff, rows, kMajor ? rows : 1, b, 2, N, 1, K, N, out, 0);
      outs.push(out);
    }
  }
  return outs;
}

afterEach(() => {
  setCpuGemmTile('auto');
  setCpuMatmulKernel('auto', { accumulate: 'float64' });
  setCpuThreads('auto');
});

describe('GEMM micro-tiles', () => {
  // Tile edges of every candidate (1, 2, 3, 4, 5, 8, 9, 16, 17 rows / columns), K past a block, N past a block.
  const cases = [[1, 1, 1], [3, 5, 7], [5, 9, 17], [9, 33, 8], [17, 300, 40], [64, 64, 96], [130, 16, 97], [2, 20, 1100]] as const;

  it('every candidate gives bitwise the 4x16 products (packed and in place, every layout)', () => {
    const results = GEMM_TILE_NAMES.map((name) => {
      const g = new WasmGemm([GEMM_F32_TILES[name]]);
      const outs = withRand(lcg(17), () => products(g, cases));
      expect(dense, `${name}: products read in place`).toBeGreaterThanOrEqual(cases.length + 3); // every k-major A and the narrow row-major ones
      return { name, outs };
    });
    const [ref, ...rest] = results;
    for (const { name, outs } of rest) {
      outs.forEach((o, i) => {
        expect(firstDifference(o, ref!.outs[i]!), `${name}, product ${i}`).toBe(-1);
      });
    }
  });

  it('threaded instances of every tile equal one thread of 4x16, bit for bit', () => {
    if (!gemmThreadsAvailable()) return;
    const [rows, K, N] = [300, 150, 70];
    const a = fill(rows * K);
    const b = fill(K * N);
    const rowOff = Float64Array.from({ length: rows }, (_, r) => r * K);
    const run = (g: WasmGemm) => {
      const out = new Float32Array(rows * N);
      g.run('f32', a, rowOff, rows, 1, b, 0, N, 1, K, N, out, 0);
      g.close();
      return out;
    };
    const ref = run(new WasmGemm([GEMM_F32_TILES['4x16']]));
    for (const name of GEMM_TILE_NAMES) {
      const g = new WasmGemm([GEMM_F32_TILES[name]], GEMM_BLOCKING, 2);
      expect(g.threads).toBe(2);
      expect(firstDifference(run(g), ref), name).toBe(-1);
    }
  });

  it('every candidate module validates and stays under 4 KiB, beside the f64 kernel', () => {
    const wa = wasmApi()!;
    for (const name of GEMM_TILE_NAMES) {
      for (const shared of [null, 16384]) {
        const bytes = gemmModuleBytes([GEMM_SHAPES[0]!, GEMM_F32_TILES[name]], shared);
        expect(wa.validate(bytes)).toBe(true);
        expect(bytes.length).toBeLessThan(4096);
        expect(gemmStridedModuleBytes(GEMM_F32_TILES[name], shared).length).toBeLessThan(4096);
      }
    }
  });

  it('calibrateGemmTile keeps the fastest candidate, after an untimed call each', () => {
    let now = 0;
    const spy = vi.spyOn(performance, 'now').mockImplementation(() => now);
    try {
      const calls: string[] = [];
      const cost: Record<GemmTileName, number> = { '4x16': 3, '4x8': 2, '2x16': 2.5 };
      const probe = (name: GemmTileName) => () => {
        calls.push(name);
        now += cost[name];
      };
      const c = calibrateGemmTile({ '4x16': probe('4x16'), '4x8': probe('4x8'), '2x16': probe('2x16') }, 2);
      expect(c).toEqual({ tile: '4x8', ms: { '4x16': 3, '4x8': 2, '2x16': 2.5 } });
      expect(calls).toEqual(['4x16', '4x8', '2x16', '4x16', '4x8', '2x16', '4x16', '4x8', '2x16']);
      // Ties keep the earlier candidate.
      cost['4x16'] = 2;
      expect(calibrateGemmTile({ '4x16': probe('4x16'), '4x8': probe('4x8'), '2x16': probe('2x16') }, 1).tile).toBe('4x16');
      expect(() => calibrateGemmTile({ '4x16': probe('4x16'), '4x8': probe('4x8'), '2x16': probe('2x16') }, 1, [])).toThrow('calibrateGemmTile: no candidate tiles');
    } finally {
      spy.mockRestore();
    }
  });

  it("setCpuGemmTile validates, cpuGemmTile reports, and 'auto' chooses one of the candidates once", () => {
    const auto = cpuGemmTile();
    expect(auto.setting).toBe('auto');
    expect(GEMM_TILE_NAMES).toContain(auto.tile);
    expect(Object.keys(auto.ms!).sort()).toEqual([...GEMM_TILE_NAMES].sort());
    expect(cpuGemmTile()).toEqual(auto); // timed once per process
    setCpuGemmTile('2x16');
    expect(cpuGemmTile()).toEqual({ setting: '2x16', tile: '2x16', ms: null });
    expect(() => setCpuGemmTile('8x8' as GemmTileName)).toThrow("setCpuGemmTile: tile must be 'auto' or one of 4x16, 4x8, 2x16, got \"8x8\"");
    expect(cpuGemmTile().tile).toBe('2x16'); // a rejected call changes nothing
    expect(() => parseGemmTile(4, 'UNIHETERO_CPU_GEMM_TILE')).toThrow("setCpuGemmTile: UNIHETERO_CPU_GEMM_TILE must be 'auto' or one of 4x16, 4x8, 2x16, got 4");
  });

  it('matmulHost rebuilds its GEMM when the tile changes, with bitwise the same results', () => {
    setCpuThreads(1);
    setCpuMatmulKernel('wasm', { accumulate: 'float32' });
    const ws = new MatmulWorkspace();
    const [M, K, N] = [70, 90, 110];
    const a = { data: fill(M * K), offset: 0, strides: [0, K, 1] };
    const b = { data: fill(K * N), offset: 0, strides: [0, 1, K] };
    const outs = GEMM_TILE_NAMES.map((name) => {
      setCpuGemmTile(name);
      const out = new Float32Array(M * N);
      matmulHost(a, b, 1, M, K, N, out, ws);
      expect(ws.wasmTile).toBe(name);
      return out;
    });
    for (const o of outs.slice(1)) expect(firstDifference(o, outs[0]!)).toBe(-1);
  });

  it('UNIHETERO_CPU_GEMM_TILE sets the initial tile; bad values throw', async () => {
    try {
      vi.resetModules();
      vi.stubEnv('UNIHETERO_CPU_GEMM_TILE', '4x8');
      const m = await import('../src/cpu/matmul.js');
      expect(m.cpuGemmTile()).toEqual({ setting: '4x8', tile: '4x8', ms: null });
      vi.resetModules();
      vi.stubEnv('UNIHETERO_CPU_GEMM_TILE', 'fast');
      await expect(import('../src/cpu/matmul.js')).rejects.toThrow("setCpuGemmTile: UNIHETERO_CPU_GEMM_TILE must be 'auto' or one of 4x16, 4x8, 2x16, got \"fast\"");
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});

/** Runs `fn` with the operands drawn from `r`. */
function withRand<T>(r: () => number, fn: () => T): T {
  const saved = current;
  current = r;
  try {
    return fn();
  } finally {
    current = saved;
  }
}
