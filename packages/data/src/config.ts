/**
 * Configuration of a shapes world: image size, vocabulary of attributes, rendering options, split
 * fractions and held-out colour-shape pairs. `resolveWorldConfig` validates and fills defaults.
 */
import { ALL_SHAPES, DEFAULT_BACKGROUND, DEFAULT_PALETTE, DEFAULT_SHAPES, type RGB, type ShapeName } from './types.js';

/** Background texture: flat colour, per-pixel grain, or a 2-pixel checkerboard (both +-amplitude). */
export type Texture = 'none' | 'noise' | 'checker';

/** A colour-shape pair. */
export interface ColourShape {
  colour: string;
  shape: ShapeName;
}

/** Fractions of the scene space given to each split (the held-out split is defined by its pairs). */
export interface SplitFractions {
  train: number;
  validation: number;
  test: number;
  encoder: number;
}

/** User-facing world options; every field is optional. */
export interface WorldConfig {
  /** Seeds everything: the held-out pairs, the split partition and every sample (default 0). */
  seed?: number;
  /** Image side in pixels (default 32); the grid is always 3x3. */
  imageSize?: number;
  /** Shapes in use (default `DEFAULT_SHAPES`, six shapes; add 'star' for >= 48 px images). */
  shapes?: readonly ShapeName[];
  /** Named colours (default `DEFAULT_PALETTE`, 8 colours); names must be lowercase words. */
  palette?: Readonly<Record<string, RGB>>;
  /** Background colour (default `DEFAULT_BACKGROUND`). */
  background?: RGB;
  /** Background texture (default 'none'). */
  texture?: Texture;
  /** Texture amplitude in 8-bit units (default 6). */
  textureAmplitude?: number;
  /** Fewest objects per scene (default 1). */
  minObjects?: number;
  /** Most objects per scene (default 3). */
  maxObjects?: number;
  /** Antialiased edges (4x4 supersampling; default false, so rendered images are exact two-tone). */
  antialias?: boolean;
  /** Per-object uniform colour jitter in [-j, j] per channel, 8-bit units (default 0). */
  colourJitter?: number;
  /** Held-out colour-shape pairs: a count chosen from the seed (default 6) or an explicit list. */
  heldOut?: number | readonly ColourShape[];
  /** Split fractions of the scene space (default train 0.7, validation 0.05, test 0.1, encoder 0.15). */
  splits?: Partial<SplitFractions>;
}

/** A validated config with every default filled in. */
export interface ResolvedWorldConfig {
  seed: number;
  imageSize: number;
  grid: 3;
  shapes: readonly ShapeName[];
  colours: readonly string[];
  palette: Readonly<Record<string, RGB>>;
  background: RGB;
  texture: Texture;
  textureAmplitude: number;
  minObjects: number;
  maxObjects: number;
  antialias: boolean;
  colourJitter: number;
  heldOut: number | readonly ColourShape[];
  splits: SplitFractions;
}

const DEFAULT_SPLITS: SplitFractions = { train: 0.7, validation: 0.05, test: 0.1, encoder: 0.15 };

function checkRgb(what: string, c: unknown): RGB {
  if (!Array.isArray(c) || c.length !== 3 || c.some((v) => !Number.isInteger(v) || v < 0 || v > 255)) {
    throw new Error(`ShapesWorld: ${what} must be three integers in [0, 255], got ${JSON.stringify(c)}`);
  }
  return [c[0], c[1], c[2]] as RGB;
}

function colourDistance(a: RGB, b: RGB): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/** Validates a world config and fills in the defaults; errors name the offending option and value. */
export function resolveWorldConfig(config: WorldConfig = {}): ResolvedWorldConfig {
  const seed = config.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`ShapesWorld: seed must be a non-negative safe integer, got ${seed}`);
  const imageSize = config.imageSize ?? 32;
  if (!Number.isInteger(imageSize) || imageSize < 24 || imageSize > 1024) {
    throw new Error(`ShapesWorld: imageSize must be an integer in [24, 1024], got ${imageSize}`);
  }
  const shapes = [...(config.shapes ?? DEFAULT_SHAPES)];
  if (shapes.length < 2) throw new Error(`ShapesWorld: need at least 2 shapes, got [${shapes.join(', ')}]`);
  for (const s of shapes) if (!(ALL_SHAPES as readonly string[]).includes(s)) throw new Error(`ShapesWorld: unknown shape '${s}'; known: ${ALL_SHAPES.join(', ')}`);
  if (new Set(shapes).size !== shapes.length) throw new Error(`ShapesWorld: duplicate shapes in [${shapes.join(', ')}]`);
  const rawPalette = config.palette ?? DEFAULT_PALETTE;
  const colours = Object.keys(rawPalette);
  if (colours.length < 4) throw new Error(`ShapesWorld: the palette needs at least 4 colours (questions have 4 options), got ${colours.length}`);
  const palette: Record<string, RGB> = {};
  for (const name of colours) {
    if (!/^[a-z]+$/.test(name)) throw new Error(`ShapesWorld: colour names must be lowercase words, got '${name}'`);
    if ((ALL_SHAPES as readonly string[]).includes(name)) throw new Error(`ShapesWorld: colour name '${name}' is also a shape name`);
    palette[name] = checkRgb(`palette.${name}`, rawPalette[name]);
  }
  const background = checkRgb('background', config.background ?? DEFAULT_BACKGROUND);
  for (const name of colours) {
    const d = colourDistance(palette[name]!, background);
    if (d < 80) throw new Error(`ShapesWorld: colour '${name}' is only ${d.toFixed(1)} from the background (need >= 80 for the judge)`);
  }
  for (let i = 0; i < colours.length; i++) {
    for (let j = i + 1; j < colours.length; j++) {
      const d = colourDistance(palette[colours[i]!]!, palette[colours[j]!]!);
      if (d < 40) throw new Error(`ShapesWorld: colours '${colours[i]}' and '${colours[j]}' are only ${d.toFixed(1)} apart (need >= 40)`);
    }
  }
  const texture = config.texture ?? 'none';
  if (!['none', 'noise', 'checker'].includes(texture)) throw new Error(`ShapesWorld: texture must be 'none', 'noise' or 'checker', got '${texture}'`);
  const textureAmplitude = config.textureAmplitude ?? 6;
  if (!Number.isInteger(textureAmplitude) || textureAmplitude < 0 || textureAmplitude > 24) {
    throw new Error(`ShapesWorld: textureAmplitude must be an integer in [0, 24] (a mild texture), got ${textureAmplitude}`);
  }
  const minObjects = config.minObjects ?? 1;
  const maxObjects = config.maxObjects ?? 3;
  if (!Number.isInteger(minObjects) || !Number.isInteger(maxObjects) || minObjects < 1 || maxObjects > 9 || minObjects > maxObjects) {
    throw new Error(`ShapesWorld: need integers 1 <= minObjects <= maxObjects <= 9, got minObjects ${minObjects}, maxObjects ${maxObjects}`);
  }
  const colourJitter = config.colourJitter ?? 0;
  if (!Number.isInteger(colourJitter) || colourJitter < 0 || colourJitter > 24) {
    throw new Error(`ShapesWorld: colourJitter must be an integer in [0, 24], got ${colourJitter}`);
  }
  const heldOut = config.heldOut ?? Math.min(6, shapes.length, colours.length);
  if (typeof heldOut === 'number') {
    const most = Math.min(shapes.length, colours.length);
    if (!Number.isInteger(heldOut) || heldOut < 0 || heldOut > most) {
      throw new Error(`ShapesWorld: heldOut count must be an integer in [0, ${most}] (one pair per shape and colour at most), got ${heldOut}`);
    }
  } else {
    for (const p of heldOut) {
      if (!shapes.includes(p.shape) || !colours.includes(p.colour)) {
        throw new Error(`ShapesWorld: held-out pair ${p.colour} ${p.shape} uses a shape or colour not in the world`);
      }
    }
    if (heldOut.length >= shapes.length * colours.length) throw new Error('ShapesWorld: cannot hold out every colour-shape pair');
  }
  const splits: SplitFractions = { ...DEFAULT_SPLITS, ...config.splits };
  let total = 0;
  for (const [k, v] of Object.entries(splits)) {
    if (!(typeof v === 'number' && v > 0 && v < 1)) throw new Error(`ShapesWorld: split fraction ${k} must be in (0, 1), got ${v}`);
    total += v;
  }
  if (Math.abs(total - 1) > 1e-9) throw new Error(`ShapesWorld: split fractions must sum to 1, got ${total} (${JSON.stringify(splits)})`);
  return {
    seed,
    imageSize,
    grid: 3,
    shapes,
    colours,
    palette,
    background,
    texture,
    textureAmplitude,
    minObjects,
    maxObjects,
    antialias: config.antialias ?? false,
    colourJitter,
    heldOut,
    splits,
  };
}
