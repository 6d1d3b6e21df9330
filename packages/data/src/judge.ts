/**
 * The deterministic image judge: reads the objects back out of any image of a world, and scores an
 * image against a scene or caption. Exact on rendered images; robust to the blur and colour noise
 * of generated ones.
 *
 * Per image: the background colour is the per-channel median. Per grid cell: pixels farther than
 * 35 % of the smallest palette-to-background distance from the background are foreground; a cell
 * with fewer than `minPixels` of them is empty. The colour is the palette colour `c` that best
 * explains the foreground as mixes `bg + a (c - bg)`, `a` in [0, 1] (least squares: exactly what
 * blur and antialiasing produce). The alpha map of that colour is then matched (sum of squared
 * differences) against every shape and size as a hard mask, antialiased, and Gaussian-blurred
 * (sigma 0.5, 0.8, 1.2 px), each shifted by up to `maxShift` px, and against the empty cell; the
 * best match gives shape and size (or no object, when the empty cell fits best).
 */
import { defaultWorld, ShapesWorld } from './world.js';
import { blurPlane, checkImage } from './image.js';
import { cellOrigin, shapeMask } from './raster.js';
import { cellIndex, POSITION_NAMES } from './text.js';
import { SIZES, type RGB, type RgbImage, type Scene, type SceneObject, type ShapeName, type SizeName } from './types.js';

/** An object read from an image, with how well it matched. */
export interface JudgedObject extends SceneObject {
  /** Foreground pixels in the cell. */
  pixels: number;
  /** RMS residual (8-bit units) of the foreground under the chosen colour. */
  colourResidual: number;
  /** Mean squared alpha difference to the best-matching template (0 = exact). */
  shapeError: number;
}

/** Judge options. */
export interface JudgeOptions {
  /** Fewest foreground pixels for a cell to count as occupied (default: 30 % of the smallest shape's area, at least 3). */
  minPixels?: number;
  /** Largest template shift in pixels tried when matching shapes (default 1). */
  maxShift?: number;
}

/** How one target object fared. */
export interface ObjectScore {
  target: SceneObject;
  /** The judged object in the target's cell, if any. */
  found?: JudgedObject;
  position: boolean;
  colour: boolean;
  shape: boolean;
  size: boolean;
  /** All four attributes right. */
  exact: boolean;
}

/** An image scored against its intended scene. */
export interface ImageScore {
  objects: ObjectScore[];
  /** Judged objects in cells the target leaves empty. */
  extra: JudgedObject[];
  /** Fractions of target objects with each attribute right (position = an object in the right cell). */
  position: number;
  colour: number;
  shape: number;
  size: number;
  /** Fraction of target objects with every attribute right. */
  objectAccuracy: number;
  /** The judged object count equals the target's. */
  count: boolean;
  /** Whole-caption accuracy: every object exact and nothing extra. */
  exact: boolean;
}

interface Template {
  shape: ShapeName;
  size: SizeName;
  values: Float32Array;
}

const BLURS = [0.5, 0.8, 1.2];

/** A judge for one world (templates precomputed). */
export class Judge {
  /** The world whose images this judge reads. */
  readonly world: ShapesWorld;
  private readonly templates: Template[] = [];
  private readonly minPixels: number;
  private readonly threshold: number;
  private readonly colours: { name: string; rgb: RGB }[];

  /** A judge for `world` (default: the default world). */
  constructor(world: ShapesWorld = defaultWorld(), options: JudgeOptions = {}) {
    this.world = world;
    const { cell } = world.layout;
    const maxShift = options.maxShift ?? 1;
    if (!Number.isInteger(maxShift) || maxShift < 0 || maxShift > 3) throw new Error(`Judge: maxShift must be an integer in [0, 3], got ${maxShift}`);
    let smallest = Infinity;
    for (const shape of world.config.shapes) {
      for (const size of SIZES) {
        const hard = shapeMask(shape, size, cell, 0, 0, false);
        smallest = Math.min(smallest, hard.reduce((a, b) => a + b, 0));
        const variants: Float32Array[] = [hard, shapeMask(shape, size, cell, 0, 0, true)];
        for (const s of BLURS) variants.push(Float32Array.from(blurPlane(hard, cell, cell, s)));
        for (const v of variants) {
          for (let dy = -maxShift; dy <= maxShift; dy++) {
            for (let dx = -maxShift; dx <= maxShift; dx++) this.templates.push({ shape, size, values: shift(v, cell, dx, dy) });
          }
        }
      }
    }
    this.minPixels = options.minPixels ?? Math.max(3, Math.round(0.3 * smallest));
    if (!Number.isInteger(this.minPixels) || this.minPixels < 1) throw new Error(`Judge: minPixels must be a positive integer, got ${this.minPixels}`);
    const bg = world.config.background;
    this.colours = world.config.colours.map((name) => ({ name, rgb: world.config.palette[name]! }));
    const minDist = Math.min(...this.colours.map((c) => Math.hypot(c.rgb[0] - bg[0], c.rgb[1] - bg[1], c.rgb[2] - bg[2])));
    this.threshold = 0.35 * minDist;
  }

  /** Reads the objects out of an image (row-major by cell). */
  judge(image: RgbImage): JudgedObject[] {
    checkImage(image, 'judge');
    const n = this.world.config.imageSize;
    if (image.width !== n || image.height !== n) throw new Error(`judge: image is ${image.width}x${image.height}, the world renders ${n}x${n}`);
    const bg = medianColour(image);
    const { cell } = this.world.layout;
    const px = image.data;
    const out: JudgedObject[] = [];
    const rel = new Float64Array(cell * cell * 3);
    const fg = new Uint8Array(cell * cell);
    const alpha = new Float32Array(cell * cell);
    for (let row = 0; row < 3; row++) {
      for (let col = 0; col < 3; col++) {
        const { x: x0, y: y0 } = cellOrigin(this.world.layout, { row, col });
        let count = 0;
        for (let y = 0; y < cell; y++) {
          for (let x = 0; x < cell; x++) {
            const i = y * cell + x;
            const p = ((y0 + y) * n + x0 + x) * 3;
            const r = px[p]! - bg[0];
            const g = px[p + 1]! - bg[1];
            const b = px[p + 2]! - bg[2];
            rel[i * 3] = r;
            rel[i * 3 + 1] = g;
            rel[i * 3 + 2] = b;
            const on = r * r + g * g + b * b > this.threshold * this.threshold ? 1 : 0;
            fg[i] = on;
            count += on;
          }
        }
        if (count < this.minPixels) continue;
        let best = -1;
        let bestRes = Infinity;
        this.colours.forEach((c, k) => {
          const vr = c.rgb[0] - bg[0];
          const vg = c.rgb[1] - bg[1];
          const vb = c.rgb[2] - bg[2];
          const vv = vr * vr + vg * vg + vb * vb;
          let res = 0;
          for (let i = 0; i < cell * cell; i++) {
            if (!fg[i]) continue;
            const r = rel[i * 3]!;
            const g = rel[i * 3 + 1]!;
            const b = rel[i * 3 + 2]!;
            const a = Math.min(1, Math.max(0, (r * vr + g * vg + b * vb) / vv));
            res += (r - a * vr) ** 2 + (g - a * vg) ** 2 + (b - a * vb) ** 2;
          }
          if (res < bestRes) {
            bestRes = res;
            best = k;
          }
        });
        const c = this.colours[best]!;
        const vr = c.rgb[0] - bg[0];
        const vg = c.rgb[1] - bg[1];
        const vb = c.rgb[2] - bg[2];
        const vv = vr * vr + vg * vg + vb * vb;
        for (let i = 0; i < cell * cell; i++) {
          alpha[i] = Math.min(1, Math.max(0, (rel[i * 3]! * vr + rel[i * 3 + 1]! * vg + rel[i * 3 + 2]! * vb) / vv));
        }
        // The empty cell is a candidate too: scattered noise pixels fit it better than any shape.
        let bestT: Template | undefined;
        let bestErr = 0;
        for (let i = 0; i < cell * cell; i++) bestErr += alpha[i]! * alpha[i]!;
        for (const t of this.templates) {
          let e = 0;
          const v = t.values;
          for (let i = 0; i < v.length && e < bestErr; i++) e += (alpha[i]! - v[i]!) ** 2;
          if (e < bestErr) {
            bestErr = e;
            bestT = t;
          }
        }
        if (bestT === undefined) continue;
        out.push({
          shape: bestT.shape,
          colour: c.name,
          size: bestT.size,
          cell: { row, col },
          pixels: count,
          colourResidual: Math.sqrt(bestRes / (3 * count)),
          shapeError: bestErr / (cell * cell),
        });
      }
    }
    return out;
  }

  /** Scores an image against a scene, an object list, or a caption (parsed with the world's vocabulary). */
  score(image: RgbImage, target: Scene | readonly SceneObject[] | string): ImageScore {
    const objects = typeof target === 'string' ? this.world.parseCaption(target) : Array.isArray(target) ? target : (target as Scene).objects;
    if (objects.length === 0) throw new Error('score: the target has no objects');
    return scoreObjects(this.judge(image), objects);
  }
}

/** Compares judged objects with target objects cell by cell. */
export function scoreObjects(judged: readonly JudgedObject[], targets: readonly SceneObject[]): ImageScore {
  const byCell = new Map<number, JudgedObject>();
  for (const j of judged) byCell.set(cellIndex(j.cell), j);
  const targetCells = new Set<number>();
  const objects: ObjectScore[] = targets.map((t) => {
    const idx = cellIndex(t.cell);
    if (targetCells.has(idx)) throw new Error(`score: two target objects at the ${POSITION_NAMES[idx]}`);
    targetCells.add(idx);
    const f = byCell.get(idx);
    const colour = f !== undefined && f.colour === t.colour;
    const shape = f !== undefined && f.shape === t.shape;
    const size = f !== undefined && f.size === t.size;
    return { target: t, found: f, position: f !== undefined, colour, shape, size, exact: colour && shape && size };
  });
  const extra = judged.filter((j) => !targetCells.has(cellIndex(j.cell)));
  const frac = (k: keyof Omit<ObjectScore, 'target' | 'found'>): number => objects.filter((o) => o[k]).length / objects.length;
  const objectAccuracy = frac('exact');
  return {
    objects,
    extra,
    position: frac('position'),
    colour: frac('colour'),
    shape: frac('shape'),
    size: frac('size'),
    objectAccuracy,
    count: judged.length === targets.length,
    exact: objectAccuracy === 1 && extra.length === 0,
  };
}

/** Running means of image scores (per attribute, per object, and whole-caption accuracy). */
export class ScoreTally {
  private n = 0;
  private objects = 0;
  private sums = { position: 0, colour: 0, shape: 0, size: 0, exactObjects: 0, exactImages: 0, count: 0, extra: 0 };

  /** Adds one image's score. */
  add(score: ImageScore): this {
    this.n++;
    this.objects += score.objects.length;
    for (const o of score.objects) {
      this.sums.position += +o.position;
      this.sums.colour += +o.colour;
      this.sums.shape += +o.shape;
      this.sums.size += +o.size;
      this.sums.exactObjects += +o.exact;
    }
    this.sums.exactImages += +score.exact;
    this.sums.count += +score.count;
    this.sums.extra += score.extra.length;
    return this;
  }

  /** Accuracies over every object added (attributes) and every image added (exact, count). */
  summary(): { images: number; objects: number; position: number; colour: number; shape: number; size: number; objectAccuracy: number; exact: number; count: number; extraPerImage: number } {
    const o = Math.max(1, this.objects);
    const n = Math.max(1, this.n);
    return {
      images: this.n,
      objects: this.objects,
      position: this.sums.position / o,
      colour: this.sums.colour / o,
      shape: this.sums.shape / o,
      size: this.sums.size / o,
      objectAccuracy: this.sums.exactObjects / o,
      exact: this.sums.exactImages / n,
      count: this.sums.count / n,
      extraPerImage: this.sums.extra / n,
    };
  }
}

const judges = new WeakMap<ShapesWorld, Judge>();

function judgeFor(world: ShapesWorld): Judge {
  let j = judges.get(world);
  if (!j) {
    j = new Judge(world);
    judges.set(world, j);
  }
  return j;
}

/** Reads the objects out of an image of `world` (default world) with a cached judge. */
export function judge(image: RgbImage, world: ShapesWorld = defaultWorld()): JudgedObject[] {
  return judgeFor(world).judge(image);
}

/** Scores an image against a scene, objects or caption, with a cached judge for `world`. */
export function score(image: RgbImage, target: Scene | readonly SceneObject[] | string, world: ShapesWorld = defaultWorld()): ImageScore {
  return judgeFor(world).score(image, target);
}

function shift(src: Float32Array, cell: number, dx: number, dy: number): Float32Array {
  if (dx === 0 && dy === 0) return src;
  const out = new Float32Array(cell * cell);
  for (let y = 0; y < cell; y++) {
    const sy = y - dy;
    if (sy < 0 || sy >= cell) continue;
    for (let x = 0; x < cell; x++) {
      const sx = x - dx;
      if (sx >= 0 && sx < cell) out[y * cell + x] = src[sy * cell + sx]!;
    }
  }
  return out;
}

/** Per-channel median colour of an image (the background estimate). */
export function medianColour(image: RgbImage): RGB {
  const hw = image.width * image.height;
  const out: number[] = [];
  for (let c = 0; c < 3; c++) {
    const hist = new Uint32Array(256);
    for (let i = 0; i < hw; i++) hist[image.data[i * 3 + c]!]!++;
    let acc = 0;
    let v = 0;
    for (; v < 256; v++) {
      acc += hist[v]!;
      if (acc * 2 >= hw) break;
    }
    out.push(v);
  }
  return out as unknown as RGB;
}
