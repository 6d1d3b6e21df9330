/**
 * Which float32 micro-tile the WebAssembly GEMM uses on this machine. The fastest tile depends on
 * the CPU, not on the product: V8 keeps only 16 SIMD registers on x64, and how much spilling a
 * tile's live vectors cost differs between cores (4 x 16 was fastest on an AMD EPYC, 4 x 8 and
 * 2 x 16 are 10-20% faster than it on an Intel Xeon; docs/benchmarks.md). Every candidate sums each
 * output element over K in the same order, so the choice changes speed, never results (bitwise;
 * tested). `'auto'` times the candidates once per process on two small products (a packed and an
 * in-place one, about 40 ms with compiling them) and keeps the fastest.
 */
import type { GemmShape } from './gemm-module.js';

/** A float32 micro-tile by name: rows x columns of C per kernel call. */
export type GemmTileName = '4x16' | '4x8' | '2x16';

/** The float32 tiles `'auto'` chooses from (each K-unrolled by 2). */
export const GEMM_F32_TILES: Readonly<Record<GemmTileName, GemmShape>> = {
  '4x16': { elem: 'f32', mr: 4, nr: 16, ku: 2 },
  '4x8': { elem: 'f32', mr: 4, nr: 8, ku: 2 },
  '2x16': { elem: 'f32', mr: 2, nr: 16, ku: 2 },
};

/** The tile names, in `GEMM_F32_TILES` order. */
export const GEMM_TILE_NAMES = Object.keys(GEMM_F32_TILES) as GemmTileName[];

/** A tile setting: one tile, or `'auto'` (time the candidates once, keep the fastest). */
export type GemmTileSetting = GemmTileName | 'auto';

/** Validates a tile setting; `source` names where it came from in the error. */
export function parseGemmTile(value: unknown, source: string): GemmTileSetting {
  if (value === 'auto' || (typeof value === 'string' && (GEMM_TILE_NAMES as string[]).includes(value))) return value as GemmTileSetting;
  throw new Error(`setCpuGemmTile: ${source} must be 'auto' or one of ${GEMM_TILE_NAMES.join(', ')}, got ${JSON.stringify(value)}`);
}

/** The outcome of timing the candidates: the chosen tile and each candidate's best time (ms for both probe products). */
export interface GemmTileCalibration {
  readonly tile: GemmTileName;
  readonly ms: Readonly<Record<GemmTileName, number>>;
}

/** One candidate for `calibrateGemmTile`: runs the probe products once on that tile's kernels. */
export type GemmTileProbe = () => void;

/**
 * Times `probes[name]()` for every tile in `names`, interleaved over `rounds` rounds after one
 * untimed call each (V8 compiles WebAssembly in tiers: the first calls may run unoptimised code),
 * and returns the tile with the smallest best time. Ties keep the earlier name.
 */
export function calibrateGemmTile(probes: Readonly<Record<GemmTileName, GemmTileProbe>>, rounds = 4, names: readonly GemmTileName[] = GEMM_TILE_NAMES): GemmTileCalibration {
  if (names.length === 0) throw new Error('calibrateGemmTile: no candidate tiles');
  const best = Object.fromEntries(names.map((n) => [n, Infinity])) as Record<GemmTileName, number>;
  for (const n of names) probes[n]();
  for (let r = 0; r < rounds; r++) {
    for (const n of names) {
      const t0 = performance.now();
      probes[n]();
      best[n] = Math.min(best[n], performance.now() - t0);
    }
  }
  let tile = names[0]!;
  for (const n of names) if (best[n] < best[tile]) tile = n;
  return { tile, ms: best };
}
