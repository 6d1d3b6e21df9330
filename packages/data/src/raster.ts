/**
 * Exact rasterisation of the shapes world's shapes.
 *
 * A grid of `grid x grid` square cells of `cell = floor(imageSize / grid)` pixels is centred in the
 * image (`offset = floor((imageSize - grid * cell) / 2)`). Each shape is defined analytically around
 * the cell centre `(x0 + cell/2 + jx, y0 + cell/2 + jy)` with a radius `r = fraction * cell`
 * (small 0.28, large 0.43); a pixel belongs to the shape when its centre `(x + 0.5, y + 0.5)` is inside
 * (or, with antialiasing, with the fraction of a 4x4 sub-pixel grid that is inside). Large shapes
 * leave at least a one-pixel background ring at the border of their cell, so objects never touch.
 */
import type { Cell, ShapeName, SizeName } from './types.js';

/** Radius of each size as a fraction of the cell side. */
export const SIZE_FRACTION: Readonly<Record<SizeName, number>> = Object.freeze({ small: 0.28, large: 0.43 });

/** Pixel layout of the grid for one image size. */
export interface GridLayout {
  imageSize: number;
  grid: number;
  /** Side of a cell in pixels. */
  cell: number;
  /** Pixels between the image edge and the first cell (both axes). */
  offset: number;
}

/** The grid layout for an image size and grid side; throws when cells would be too small. */
export function gridLayout(imageSize: number, grid: number): GridLayout {
  if (!Number.isInteger(imageSize) || imageSize < 8) throw new Error(`gridLayout: imageSize must be an integer >= 8, got ${imageSize}`);
  if (!Number.isInteger(grid) || grid < 2 || grid > 4) throw new Error(`gridLayout: grid must be 2, 3 or 4, got ${grid}`);
  const cell = Math.floor(imageSize / grid);
  if (cell < 8) throw new Error(`gridLayout: cells of ${cell} px (imageSize ${imageSize} / grid ${grid}) are too small; need >= 8 px`);
  return { imageSize, grid, cell, offset: Math.floor((imageSize - grid * cell) / 2) };
}

const STAR_POINTS = 5;
const STAR_INNER = 0.5;
const STAR_VERTS: Array<[number, number]> = (() => {
  const v: Array<[number, number]> = [];
  for (let k = 0; k < 2 * STAR_POINTS; k++) {
    const a = -Math.PI / 2 + (k * Math.PI) / STAR_POINTS;
    const rad = k % 2 === 0 ? 1 : STAR_INNER;
    v.push([rad * Math.cos(a), rad * Math.sin(a)]);
  }
  return v;
})();

function inPolygon(x: number, y: number, verts: ReadonlyArray<readonly [number, number]>): boolean {
  let inside = false;
  for (let i = 0, j = verts.length - 1; i < verts.length; j = i++) {
    const [xi, yi] = verts[i]!;
    const [xj, yj] = verts[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Whether the point `(dx, dy)` (relative to the centre, y down) lies inside `shape` of radius `r`. */
export function insideShape(shape: ShapeName, dx: number, dy: number, r: number): boolean {
  const ax = Math.abs(dx);
  const ay = Math.abs(dy);
  switch (shape) {
    case 'circle':
      return dx * dx + dy * dy <= r * r;
    case 'square':
      return ax <= 0.8 * r && ay <= 0.8 * r;
    case 'diamond':
      return ax + ay <= r;
    case 'triangle':
      // apex (0, -r), base corners (+-r, 0.75 r)
      return dy <= 0.75 * r && dy >= -r && ax <= (dy + r) / 1.75;
    case 'cross':
      return (ax <= 0.33 * r && ay <= r) || (ay <= 0.33 * r && ax <= r);
    case 'ring': {
      const d2 = dx * dx + dy * dy;
      return d2 <= r * r && d2 >= 0.55 * 0.55 * r * r;
    }
    case 'star':
      return inPolygon(dx / r, dy / r, STAR_VERTS);
    default:
      throw new Error(`insideShape: unknown shape '${String(shape)}'`);
  }
}

/**
 * Coverage mask of one shape inside a cell: a `cell * cell` Float32Array (row-major) of values in
 * [0, 1] (exactly 0 or 1 without antialiasing), for a shape centred at `cell/2 + (jx, jy)`.
 */
export function shapeMask(shape: ShapeName, size: SizeName, cell: number, jx = 0, jy = 0, antialias = false): Float32Array {
  const r = SIZE_FRACTION[size] * cell;
  const c = cell / 2;
  const out = new Float32Array(cell * cell);
  const ss = antialias ? 4 : 1;
  for (let y = 0; y < cell; y++) {
    for (let x = 0; x < cell; x++) {
      let hit = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const px = x + (sx + 0.5) / ss;
          const py = y + (sy + 0.5) / ss;
          if (insideShape(shape, px - c - jx, py - c - jy, r)) hit++;
        }
      }
      out[y * cell + x] = hit / (ss * ss);
    }
  }
  return out;
}

/** Top-left pixel of a cell. */
export function cellOrigin(layout: GridLayout, cell: Cell): { x: number; y: number } {
  return { x: layout.offset + cell.col * layout.cell, y: layout.offset + cell.row * layout.cell };
}
