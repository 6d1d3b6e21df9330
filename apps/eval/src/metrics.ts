/**
 * One evaluation of a model, shared by `evaluate` and `ablation`: multiple-choice accuracy on the
 * test and held-out-composition splits (with the binomial standard error of each estimate),
 * caption accuracy, the judge's attribute accuracy on images generated from test captions, and
 * the text -> semantics -> text round-trip recall.
 */
import { Generator } from '@unihetero/tensor';
import type { RgbImage, ShapesWorld } from '@unihetero/data';
import { evaluateGeneration, evaluateRoundTrip, evaluateUnderstanding, type UniHetero, type UnderstandingReport } from '@unihetero/model';

/** How many samples each metric uses and how images are generated. */
export interface EvalSettings {
  /** Multiple-choice questions per split (test and heldout). */
  count: number;
  /** Test images captioned greedily for caption accuracy (0 skips it). */
  captionCount: number;
  /** Test captions generated into images and judged (0 skips generation). */
  generationCount: number;
  /** Test captions sent through the round trip (0 skips it). */
  roundTripCount: number;
  /** Rows per forward pass. */
  batchSize: number;
  /** MAR steps of generation. */
  generationSteps: number;
  /** Flow sampler steps per MAR step. */
  flowSteps: number;
  /** Seed of the generation noise and orders (the same for every model, so runs compare). */
  seed: number;
}

/** A multiple-choice accuracy estimate. */
export interface AccuracyEstimate {
  accuracy: number;
  count: number;
  /** Binomial standard error `sqrt(p (1 - p) / count)`. */
  standardError: number;
  /** Accuracy per question kind. */
  byKind: Record<string, { count: number; accuracy: number }>;
}

/** Caption accuracy on test images. */
export interface CaptionMetrics {
  count: number;
  /** Fraction of captions naming exactly the scene's objects. */
  exact: number;
  /** Fraction of scene objects found in the caption with every attribute. */
  objectRecall: number;
  examples: { truth: string; caption?: string }[];
}

/** The judge's scores of generated images. */
export interface GenerationMetrics {
  count: number;
  /** Fraction of objects drawn with every attribute right (the headline number). */
  objectAccuracy: number;
  position: number;
  colour: number;
  shape: number;
  size: number;
  /** Fraction of images with exactly the caption's objects. */
  exact: number;
  extraPerImage: number;
}

/** Round-trip scores. */
export interface RoundTripMetrics {
  count: number;
  objectRecall: number;
  exact: number;
  unparsable: number;
  examples: { caption: string; roundTrip: string }[];
}

/** Every metric of one evaluation (null where skipped). */
export interface ModelMetrics {
  test: AccuracyEstimate;
  heldout: AccuracyEstimate;
  captions: CaptionMetrics | null;
  generation: GenerationMetrics | null;
  roundTrip: RoundTripMetrics | null;
  /** Seconds the evaluation took. */
  seconds: number;
}

/** Binomial standard error of an accuracy estimated from `count` items. */
export function binomialStandardError(accuracy: number, count: number): number {
  if (!(count > 0)) throw new Error(`binomialStandardError: count must be positive, got ${count}`);
  return Math.sqrt(Math.max(0, accuracy * (1 - accuracy)) / count);
}

function estimate(r: UnderstandingReport): AccuracyEstimate {
  const byKind: AccuracyEstimate['byKind'] = {};
  for (const [k, v] of Object.entries(r.byKind)) if (v) byKind[k] = { count: v.count, accuracy: v.accuracy };
  return { accuracy: r.accuracy, count: r.count, standardError: binomialStandardError(r.accuracy, r.count), byKind };
}

/** Check the settings; errors name the offending value. */
export function validateEvalSettings(s: EvalSettings): void {
  const ints: [keyof EvalSettings, number][] = [['count', 1], ['captionCount', 0], ['generationCount', 0], ['roundTripCount', 0], ['batchSize', 1], ['generationSteps', 1], ['flowSteps', 1], ['seed', 0]];
  for (const [k, lo] of ints) {
    const v = s[k];
    if (!Number.isInteger(v) || v < lo) throw new Error(`evaluation settings: ${k} must be an integer >= ${lo}, got ${v}`);
  }
}

/** Evaluate `model`; `generation` false skips generation and the round trip (a model with no generation loss). */
export async function measureModel(
  model: UniHetero,
  world: ShapesWorld,
  s: EvalSettings,
  options: { generation?: boolean } = {},
): Promise<{ metrics: ModelMetrics; images: RgbImage[]; imageCaptions: string[] }> {
  validateEvalSettings(s);
  const t0 = performance.now();
  const test = await evaluateUnderstanding(model, world, { split: 'test', count: s.count, batchSize: s.batchSize });
  const heldout = await evaluateUnderstanding(model, world, { split: 'heldout', count: s.count, batchSize: s.batchSize });
  let captions: CaptionMetrics | null = null;
  if (s.captionCount > 0) {
    const c = await evaluateUnderstanding(model, world, { split: 'test', count: s.captionCount, batchSize: s.batchSize, captions: true });
    captions = { count: c.count, exact: c.captionExact ?? 0, objectRecall: c.captionObjectRecall ?? 0, examples: c.examples };
  }
  const wantGen = options.generation ?? true;
  const generate = { steps: s.generationSteps, flowSteps: s.flowSteps };
  let generation: GenerationMetrics | null = null;
  let images: RgbImage[] = [];
  let imageCaptions: string[] = [];
  if (wantGen && s.generationCount > 0) {
    const g = await evaluateGeneration(model, world, { split: 'test', count: s.generationCount, batchSize: s.batchSize, generate: { ...generate, generator: new Generator(s.seed) } });
    const sc = g.scores;
    generation = { count: g.count, objectAccuracy: sc.objectAccuracy, position: sc.position, colour: sc.colour, shape: sc.shape, size: sc.size, exact: sc.exact, extraPerImage: sc.extraPerImage };
    images = g.images;
    imageCaptions = g.captions;
  }
  let roundTrip: RoundTripMetrics | null = null;
  if (wantGen && s.roundTripCount > 0) {
    const r = await evaluateRoundTrip(model, world, { split: 'test', count: s.roundTripCount, batchSize: s.batchSize, generate: { ...generate, generator: new Generator(s.seed + 1) } });
    roundTrip = { count: r.count, objectRecall: r.objectRecall, exact: r.exact, unparsable: r.unparsable, examples: r.examples };
  }
  const metrics: ModelMetrics = { test: estimate(test), heldout: estimate(heldout), captions, generation, roundTrip, seconds: (performance.now() - t0) / 1000 };
  return { metrics, images, imageCaptions };
}

/** Whether a preset trains any generation objective (exp1 does not: its flow head and invert-projector stay untrained). */
export function trainsGeneration(preset: { alpha: number; beta: number; understandingFraction: number }): boolean {
  return (preset.alpha > 0 || preset.beta > 0) && preset.understandingFraction < 1;
}
