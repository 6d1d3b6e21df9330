/**
 * The shapes world: a procedural, storage-free dataset of image-text samples, deterministic from
 * (seed, split, index). See DESIGN.md (The embedded default) and docs/method.md section 14.
 *
 * Splits partition the *scene space*: a scene (its objects, ignoring texture) belongs to exactly
 * one of train / validation / test / encoder by a seeded hash, so no scene of the test split ever
 * occurs in training, and the `encoder` split (for pretraining the default encoders) is disjoint
 * from all evaluation data. A few colour-shape pairs are held out of all four; the `heldout` split
 * contains only scenes with at least one held-out pair, to measure compositional generalization.
 */
import type { Generator } from '@unihetero/tensor';
import { resolveWorldConfig, type ColourShape, type ResolvedWorldConfig, type WorldConfig } from './config.js';
import { makeQuestion, type QuestionVocabulary } from './questions.js';
import type { GridLayout } from './raster.js';
import { SceneRenderer, validateScene } from './render.js';
import { fnv1a, mixSeed, pick, sampleWithoutReplacement, shuffle, streamFor } from './rng.js';
import { canonicalCaption, cellIndex, parseCaption, randomCaption } from './text.js';
import { SIZES, SPLITS, type Question, type QuestionKind, type RgbImage, type Scene, type SceneObject, type SplitName } from './types.js';

/** One image-text sample. */
export interface Sample {
  split: SplitName;
  index: number;
  scene: Scene;
  image: RgbImage;
  /** A caption from a random template and paraphrase. */
  caption: string;
  /** The canonical caption (row-major objects, canonical words), for evaluation. */
  canonicalCaption: string;
  /** A multiple-choice question about the image. */
  question: Question;
  /** The seed of the background texture and colour jitter (`world.render(scene, textureSeed)` reproduces `image`). */
  textureSeed: number;
}

/** Per-cell labels of a scene, row-major over the 9 cells; -1 marks an empty cell. */
export interface CellLabels {
  /** 1 where a cell holds an object. */
  occupied: Uint8Array;
  /** Index into `world.config.shapes`, or -1. */
  shape: Int32Array;
  /** Index into `world.config.colours`, or -1. */
  colour: Int32Array;
  /** 0 small, 1 large, or -1. */
  size: Int32Array;
  /** One class per cell: 0 empty, else `1 + (shape * colours + colour) * 2 + size` (see `jointClasses`). */
  joint: Int32Array;
}

const SPLIT_TAG: Readonly<Record<SplitName, number>> = Object.freeze({ train: 1, validation: 2, test: 3, heldout: 4, encoder: 5 });
const PURPOSE = { scene: 0, caption: 1, question: 2, texture: 3 } as const;
const MAX_TRIES = 100_000;

/** A shapes world: configuration, held-out pairs, split partition, sampling and rendering. */
export class ShapesWorld {
  /** The validated configuration. */
  readonly config: ResolvedWorldConfig;
  /** Colour-shape pairs that appear only in the `heldout` split. */
  readonly heldOutPairs: readonly ColourShape[];
  /** The renderer (shape masks cached). */
  readonly renderer: SceneRenderer;
  private readonly heldOutSet: Set<string>;

  /** A world from options (see `WorldConfig`; every field has a default). */
  constructor(config: WorldConfig = {}) {
    this.config = resolveWorldConfig(config);
    this.renderer = new SceneRenderer(this.config);
    this.heldOutPairs = Object.freeze(this.chooseHeldOut());
    this.heldOutSet = new Set(this.heldOutPairs.map((p) => `${p.colour}:${p.shape}`));
  }

  /** The grid's pixel layout. */
  get layout(): GridLayout {
    return this.renderer.layout;
  }

  /** Height and width of every image (a sample source's image size). */
  get imageSize(): readonly [number, number] {
    return [this.config.imageSize, this.config.imageSize];
  }

  /** Distinct samples of a split: `Infinity` for every known split (the world is procedural), 0 for an unknown name. */
  size(split: string): number {
    return (SPLITS as readonly string[]).includes(split) ? Number.POSITIVE_INFINITY : 0;
  }

  /** What the question generator needs. */
  get vocabulary(): QuestionVocabulary {
    return { shapes: this.config.shapes, colours: this.config.colours, maxObjects: this.config.maxObjects };
  }

  /** Number of classes of `CellLabels.joint` (empty + shapes x colours x sizes). */
  get jointClasses(): number {
    return 1 + this.config.shapes.length * this.config.colours.length * 2;
  }

  private chooseHeldOut(): ColourShape[] {
    const h = this.config.heldOut;
    if (typeof h !== 'number') return h.map((p) => ({ colour: p.colour, shape: p.shape }));
    const gen = streamFor(this.config.seed, 0x4e1d);
    const shapes = shuffle(gen, this.config.shapes);
    const colours = shuffle(gen, this.config.colours);
    return Array.from({ length: h }, (_, i) => ({ colour: colours[i]!, shape: shapes[i]! }));
  }

  /** Whether a colour-shape pair is held out of the train, validation, test and encoder splits. */
  isHeldOut(colour: string, shape: string): boolean {
    return this.heldOutSet.has(`${colour}:${shape}`);
  }

  /** The split a scene belongs to: `heldout` if it has a held-out pair, else by the seeded scene hash. */
  splitOf(scene: Scene): SplitName {
    validateScene(scene, this.config, 'splitOf');
    if (scene.objects.some((o) => this.isHeldOut(o.colour, o.shape))) return 'heldout';
    return this.bucket(scene.objects);
  }

  private bucket(objects: readonly SceneObject[]): Exclude<SplitName, 'heldout'> {
    const codes = objects.map((o) => fnv1a(`${o.cell.row},${o.cell.col},${o.shape},${o.colour},${o.size}`)).sort((a, b) => a - b);
    const u = mixSeed(this.config.seed, 0x5117, ...codes) / 4294967296;
    const f = this.config.splits;
    if (u < f.train) return 'train';
    if (u < f.train + f.validation) return 'validation';
    if (u < f.train + f.validation + f.test) return 'test';
    return 'encoder';
  }

  private drawObject(gen: Generator, cell: number, allowHeldOut: boolean): SceneObject {
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      const shape = pick(gen, this.config.shapes);
      const colour = pick(gen, this.config.colours);
      const size = pick(gen, SIZES);
      if (!allowHeldOut && this.isHeldOut(colour, shape)) continue;
      return { shape, colour, size, cell: { row: Math.floor(cell / 3), col: cell % 3 } };
    }
    throw new Error('ShapesWorld: could not draw an object outside the held-out pairs');
  }

  /** The scene of sample `index` of `split` (deterministic; no image is rendered). */
  scene(split: SplitName, index: number): Scene {
    if (!(SPLITS as readonly string[]).includes(split)) throw new Error(`ShapesWorld.scene: unknown split '${split}'; known: ${SPLITS.join(', ')}`);
    if (!Number.isSafeInteger(index) || index < 0) throw new Error(`ShapesWorld.scene: index must be a non-negative safe integer, got ${index}`);
    const gen = streamFor(this.config.seed, SPLIT_TAG[split], index, PURPOSE.scene);
    const { minObjects, maxObjects } = this.config;
    const cells = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      const n = minObjects + gen.int(maxObjects - minObjects + 1);
      const chosen = sampleWithoutReplacement(gen, cells, n);
      let objects: SceneObject[];
      if (split === 'heldout') {
        if (this.heldOutPairs.length === 0) throw new Error('ShapesWorld.scene: the heldout split is empty (config.heldOut is 0)');
        const pair = pick(gen, this.heldOutPairs);
        const first: SceneObject = { ...pair, size: pick(gen, SIZES), cell: { row: Math.floor(chosen[0]! / 3), col: chosen[0]! % 3 } };
        objects = [first, ...chosen.slice(1).map((c) => this.drawObject(gen, c, true))];
        objects = shuffle(gen, objects);
        return { objects };
      }
      objects = chosen.map((c) => this.drawObject(gen, c, false));
      if (this.bucket(objects) === split) return { objects };
    }
    throw new Error(`ShapesWorld.scene: no ${split} scene found in ${MAX_TRIES} draws (index ${index}); is its split fraction tiny?`);
  }

  /** Renders a scene (`textureSeed` drives the texture and colour jitter). */
  render(scene: Scene, textureSeed = 0): RgbImage {
    return this.renderer.render(scene, textureSeed);
  }

  /** A caption: random template and paraphrases from `gen`, or the canonical caption without one. */
  caption(scene: Scene, gen?: Generator): string {
    return gen ? randomCaption(scene.objects, gen) : canonicalCaption(scene.objects);
  }

  /** Parses any caption this world produces back into objects (validated against the world). */
  parseCaption(text: string): SceneObject[] {
    const objects = parseCaption(text, this.config.shapes, this.config.colours);
    validateScene({ objects }, this.config, 'parseCaption');
    return objects;
  }

  /** A multiple-choice question about a scene (of `kind`, or a random applicable kind). */
  question(scene: Scene, gen: Generator, kind?: QuestionKind): Question {
    return makeQuestion(scene.objects, this.vocabulary, gen, kind);
  }

  /** Sample `index` of `split`: scene, image, captions and a question, all deterministic. */
  sample(split: SplitName, index: number): Sample {
    const scene = this.scene(split, index);
    const { seed } = this.config;
    const tag = SPLIT_TAG[split];
    const textureSeed = mixSeed(seed, tag, index, PURPOSE.texture);
    return {
      split,
      index,
      scene,
      image: this.render(scene, textureSeed),
      caption: randomCaption(scene.objects, streamFor(seed, tag, index, PURPOSE.caption)),
      canonicalCaption: canonicalCaption(scene.objects),
      question: makeQuestion(scene.objects, this.vocabulary, streamFor(seed, tag, index, PURPOSE.question)),
      textureSeed,
    };
  }

  /** Samples `start .. start + count - 1` of `split`. */
  samples(split: SplitName, start: number, count: number): Sample[] {
    if (!Number.isInteger(count) || count < 0) throw new Error(`ShapesWorld.samples: count must be a non-negative integer, got ${count}`);
    return Array.from({ length: count }, (_, i) => this.sample(split, start + i));
  }

  /** Per-cell labels (row-major over the 9 cells) for encoder pretraining targets. */
  cellLabels(scene: Scene): CellLabels {
    validateScene(scene, this.config, 'cellLabels');
    const labels: CellLabels = {
      occupied: new Uint8Array(9),
      shape: new Int32Array(9).fill(-1),
      colour: new Int32Array(9).fill(-1),
      size: new Int32Array(9).fill(-1),
      joint: new Int32Array(9),
    };
    const nc = this.config.colours.length;
    for (const o of scene.objects) {
      const i = cellIndex(o.cell);
      const s = this.config.shapes.indexOf(o.shape);
      const c = this.config.colours.indexOf(o.colour);
      const z = o.size === 'large' ? 1 : 0;
      labels.occupied[i] = 1;
      labels.shape[i] = s;
      labels.colour[i] = c;
      labels.size[i] = z;
      labels.joint[i] = 1 + (s * nc + c) * 2 + z;
    }
    return labels;
  }
}

/** Per-cell labels of `scene` in `world` (default: the default world). */
export function cellLabels(scene: Scene, world: ShapesWorld = defaultWorld()): CellLabels {
  return world.cellLabels(scene);
}

let cachedDefault: ShapesWorld | undefined;

/** The default world (`new ShapesWorld()`), created once. */
export function defaultWorld(): ShapesWorld {
  cachedDefault ??= new ShapesWorld();
  return cachedDefault;
}
