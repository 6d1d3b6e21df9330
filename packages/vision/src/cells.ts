/**
 * Mapping between a ViT's token grid and an object grid of square cells (the shapes world lays
 * `grid × grid` cells of `cell` pixels at `offset` from the image edge): which cell each token's
 * centre falls in, and per-cell mean pooling of token features. Used to pretrain and probe the
 * default encoder on per-cell object attributes (docs/method.md 14).
 */
import type { TokenGrid } from './patchify.js';

/** Pixel layout of an object grid (the shapes world's `GridLayout` fits). */
export interface CellLayout {
  /** Image side in pixels. */
  imageSize: number;
  /** Cells per side. */
  grid: number;
  /** Cell side in pixels. */
  cell: number;
  /** Pixels between the image edge and the first cell. */
  offset: number;
}

/**
 * For each token of `tokens` (row-major), the row-major index of the cell containing the centre
 * of its `patchSize` patch, or -1 when the centre lies in the margin outside every cell.
 */
export function tokenCells(layout: CellLayout, tokens: TokenGrid, patchSize: number): Int32Array {
  const { grid, cell, offset, imageSize } = layout;
  if (tokens.height * patchSize > imageSize || tokens.width * patchSize > imageSize) {
    throw new Error(`tokenCells: a ${tokens.height}x${tokens.width} grid of ${patchSize}px patches does not fit a ${imageSize}px image`);
  }
  const out = new Int32Array(tokens.height * tokens.width);
  const cellOf = (centre: number) => {
    const k = Math.floor((centre - offset) / cell);
    return k >= 0 && k < grid ? k : -1;
  };
  for (let r = 0; r < tokens.height; r++) {
    const cr = cellOf(r * patchSize + patchSize / 2);
    for (let c = 0; c < tokens.width; c++) {
      const cc = cellOf(c * patchSize + patchSize / 2);
      out[r * tokens.width + c] = cr < 0 || cc < 0 ? -1 : cr * grid + cc;
    }
  }
  return out;
}

/**
 * Mean of the token features of each cell: `features [B, N, d]` (row-major host array) and the
 * token->cell map give `[B, numCells, d]`. Throws when a cell has no token.
 */
export function poolCells(features: ArrayLike<number>, batch: number, dim: number, cells: Int32Array, numCells: number): Float32Array {
  const n = cells.length;
  if (features.length !== batch * n * dim) throw new Error(`poolCells: ${features.length} values for batch ${batch} x ${n} tokens x ${dim}`);
  const counts = new Int32Array(numCells);
  for (const k of cells) if (k >= 0) counts[k]! += 1;
  counts.forEach((c, k) => {
    if (c === 0) throw new Error(`poolCells: cell ${k} contains no token centre`);
  });
  const out = new Float32Array(batch * numCells * dim);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < n; t++) {
      const k = cells[t]!;
      if (k < 0) continue;
      const src = (b * n + t) * dim;
      const dst = (b * numCells + k) * dim;
      const w = 1 / counts[k]!;
      for (let j = 0; j < dim; j++) out[dst + j] += features[src + j]! * w;
    }
  }
  return out;
}
