/**
 * Renders scenes to RGB images by stamping cached shape masks onto the background.
 *
 * Shapes are centred in their grid cell (see raster.ts for the geometry and sizes). The only
 * randomness (background texture, colour jitter) comes from a stream seeded by `textureSeed`, so
 * `render(scene, seed)` is a pure function.
 */
import type { ResolvedWorldConfig } from './config.js';
import { createImage } from './image.js';
import { cellOrigin, gridLayout, shapeMask, type GridLayout } from './raster.js';
import { streamFor } from './rng.js';
import { cellIndex } from './text.js';
import type { RgbImage, Scene, SceneObject } from './types.js';

/** Checks a scene against a world: known shapes and colours, cells on the 3x3 grid, no shared cell. */
export function validateScene(scene: Scene, config: ResolvedWorldConfig, op = 'validateScene'): void {
  if (!scene || !Array.isArray(scene.objects)) throw new Error(`${op}: expected a scene { objects: [...] }`);
  const used = new Set<number>();
  scene.objects.forEach((o: SceneObject, i) => {
    if (!config.shapes.includes(o.shape)) throw new Error(`${op}: object ${i} has shape '${o.shape}', not one of ${config.shapes.join(', ')}`);
    if (!config.colours.includes(o.colour)) throw new Error(`${op}: object ${i} has colour '${o.colour}', not one of ${config.colours.join(', ')}`);
    if (o.size !== 'small' && o.size !== 'large') throw new Error(`${op}: object ${i} has size '${String(o.size)}', expected small or large`);
    const { row, col } = o.cell ?? ({} as never);
    if (!Number.isInteger(row) || !Number.isInteger(col) || row < 0 || row > 2 || col < 0 || col > 2) {
      throw new Error(`${op}: object ${i} has cell ${JSON.stringify(o.cell)}, expected row and col in 0..2`);
    }
    const idx = cellIndex(o.cell);
    if (used.has(idx)) throw new Error(`${op}: objects share the cell row ${row}, col ${col}`);
    used.add(idx);
  });
}

/** Renders the scenes of one world; masks are computed once per (shape, size). */
export class SceneRenderer {
  /** The pixel layout of the grid. */
  readonly layout: GridLayout;
  private readonly masks = new Map<string, Float32Array>();

  /** A renderer for a resolved world config. */
  constructor(readonly config: ResolvedWorldConfig) {
    this.layout = gridLayout(config.imageSize, config.grid);
  }

  /** The coverage mask (`cell x cell`, values in [0, 1]) of a shape and size, cached. */
  mask(shape: SceneObject['shape'], size: SceneObject['size']): Float32Array {
    const key = `${shape}:${size}`;
    let m = this.masks.get(key);
    if (!m) {
      m = shapeMask(shape, size, this.layout.cell, 0, 0, this.config.antialias);
      this.masks.set(key, m);
    }
    return m;
  }

  /** Renders `scene`; `textureSeed` drives the background texture and colour jitter (if enabled). */
  render(scene: Scene, textureSeed = 0): RgbImage {
    validateScene(scene, this.config, 'render');
    const { imageSize: n, background: bg, texture, textureAmplitude: amp, colourJitter, palette } = this.config;
    const img = createImage(n, n, bg);
    const d = img.data;
    const needRandom = (texture === 'noise' && amp > 0) || colourJitter > 0;
    const gen = needRandom ? streamFor(textureSeed, 0x7e7) : undefined;
    if (texture === 'noise' && amp > 0) {
      for (let i = 0; i < n * n; i++) {
        const off = gen!.int(2 * amp + 1) - amp;
        for (let c = 0; c < 3; c++) d[i * 3 + c] = Math.min(255, Math.max(0, bg[c]! + off));
      }
    } else if (texture === 'checker' && amp > 0) {
      for (let y = 0; y < n; y++) {
        for (let x = 0; x < n; x++) {
          const off = ((x >> 1) + (y >> 1)) % 2 === 0 ? amp : -amp;
          for (let c = 0; c < 3; c++) d[(y * n + x) * 3 + c] = Math.min(255, Math.max(0, bg[c]! + off));
        }
      }
    }
    const cell = this.layout.cell;
    for (const o of scene.objects) {
      const base = palette[o.colour]!;
      const col = colourJitter > 0 ? base.map((v) => Math.min(255, Math.max(0, v + gen!.int(2 * colourJitter + 1) - colourJitter))) : base;
      const m = this.mask(o.shape, o.size);
      const { x: x0, y: y0 } = cellOrigin(this.layout, o.cell);
      for (let y = 0; y < cell; y++) {
        for (let x = 0; x < cell; x++) {
          const a = m[y * cell + x]!;
          if (a === 0) continue;
          const p = ((y0 + y) * n + x0 + x) * 3;
          if (a === 1) {
            d[p] = col[0]!;
            d[p + 1] = col[1]!;
            d[p + 2] = col[2]!;
          } else {
            for (let c = 0; c < 3; c++) d[p + c] = Math.round(a * col[c]! + (1 - a) * d[p + c]!);
          }
        }
      }
    }
    return img;
  }
}
