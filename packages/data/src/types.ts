/** Shared types and the default vocabulary of the shapes world. */

/** Every shape the renderer knows. */
export const ALL_SHAPES = ['circle', 'square', 'triangle', 'diamond', 'cross', 'star', 'ring'] as const;
/** A shape name. */
export type ShapeName = (typeof ALL_SHAPES)[number];

/**
 * The default shape set: six shapes that stay distinguishable by the judge at 32x32 (10 px cells),
 * even with blur and noise. `star` is excluded by default because a small star covers only 12 pixels
 * at that size and reads as a diamond; enable it (e.g. `shapes: ALL_SHAPES`) for 64x64 images.
 */
export const DEFAULT_SHAPES: readonly ShapeName[] = Object.freeze(['circle', 'square', 'triangle', 'diamond', 'cross', 'ring']);

/** The two object sizes. */
export const SIZES = ['small', 'large'] as const;
/** An object size. */
export type SizeName = (typeof SIZES)[number];

/** An RGB triple, 0..255 per channel. */
export type RGB = readonly [number, number, number];

/**
 * The default palette: 8 saturated colours on a dark background, chosen so that every pair is at
 * least ~95 apart in RGB (Euclidean) and every colour at least ~215 from the background, so they stay
 * separable after blur and noise.
 */
export const DEFAULT_PALETTE: Readonly<Record<string, RGB>> = Object.freeze({
  red: [230, 40, 40],
  green: [40, 200, 60],
  blue: [50, 90, 255],
  yellow: [245, 230, 40],
  magenta: [220, 50, 220],
  cyan: [40, 220, 230],
  orange: [255, 140, 0],
  white: [240, 240, 240],
});

/** The default background colour (dark navy). */
export const DEFAULT_BACKGROUND: RGB = [16, 16, 24];

/** A grid cell (row 0 is the top, column 0 the left). */
export interface Cell {
  row: number;
  col: number;
}

/** The dataset splits: `heldout` holds the colour-shape pairs never seen in the others. */
export const SPLITS = ['train', 'validation', 'test', 'heldout', 'encoder'] as const;
/** A split name. */
export type SplitName = (typeof SPLITS)[number];

/** An 8-bit RGB image, row-major HWC (`data[(y * width + x) * 3 + c]`). */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** One object of a scene. */
export interface SceneObject {
  shape: ShapeName;
  colour: string;
  size: SizeName;
  cell: Cell;
}

/** A scene: objects in distinct grid cells. */
export interface Scene {
  objects: SceneObject[];
}

/** The kinds of multiple-choice questions. */
export const QUESTION_KINDS = ['colour', 'shape', 'position', 'count', 'relation', 'existence'] as const;
/** A question kind. */
export type QuestionKind = (typeof QUESTION_KINDS)[number];

/** A multiple-choice question with exactly one correct option. */
export interface Question {
  /** The question alone, e.g. "what colour is the large circle at top left?". */
  text: string;
  /** The four options (exactly one is true of the image). */
  options: [string, string, string, string];
  /** Index of the correct option. */
  answerIndex: number;
  /** Letter of the correct option, "A".."D". */
  answerLetter: 'A' | 'B' | 'C' | 'D';
  /** The correct option's text. */
  answer: string;
  /** The question with its lettered options: "text (A) opt (B) opt (C) opt (D) opt". */
  prompt: string;
  /** What the question asks about. */
  kind: QuestionKind;
}
