/**
 * One evaluation of a model, shared by `evaluate` and `ablation`: multiple-choice accuracy on the
 * test and held-out-composition splits (with the binomial standard error of each estimate),
 * caption accuracy, the judge's attribute accuracy on images generated from test captions, the
 * text -> semantics -> text round-trip recall, and optionally the generation ladder's semantics
 * rung (generated semantic tokens read by a probe, no pixels).
 */
import { Generator } from '@unihetero/tensor';
import type { RgbImage, ShapesWorld } from '@unihetero/data';
import { evaluateGeneration, evaluateRoundTrip, evaluateSemantics, evaluateUnderstanding, fitSemanticProbe, type GenerateOptions, type UniHetero, type UnderstandingReport } from '@unihetero/model';

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
  /** Test captions whose generated semantic tokens are read by the ladder's probe (the semantics rung; 0 or absent skips it). */
  semanticsCount?: number;
  /** Training images the semantics rung's probe is fitted on (default 256). */
  probeImages?: number;
  /** Further generation options of every generation (guidance, regeneration, order, decode; default: the model's). */
  generate?: Omit<GenerateOptions, 'steps' | 'flowSteps' | 'generator' | 'decodePixels'>;
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

/** Per-object scores: the fraction of objects with every attribute right, and of each attribute alone. */
export interface ObjectScores {
  count: number;
  objectAccuracy: number;
  position: number;
  colour: number;
  shape: number;
  size: number;
}

/** The judge's scores of generated images (`objectAccuracy`, objects drawn with every attribute right, is the headline number). */
export interface GenerationMetrics extends ObjectScores {
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

/**
 * The ladder's semantics rung: generated semantic tokens read by a probe fitted on training images'
 * targets (`objectAccuracy`: caption objects read back with every attribute from the generated tokens).
 */
export interface SemanticsMetrics extends ObjectScores {
  /** The same probe on the true tokens of the same scenes (the rung's ceiling). */
  ceiling: number;
  /** Training images the probe was fitted on. */
  probeImages: number;
}

/** Every metric of one evaluation (null where skipped). */
export interface ModelMetrics {
  test: AccuracyEstimate;
  heldout: AccuracyEstimate;
  captions: CaptionMetrics | null;
  generation: GenerationMetrics | null;
  roundTrip: RoundTripMetrics | null;
  /** The semantics rung (absent in results written before it existed; null where skipped). */
  semantics?: SemanticsMetrics | null;
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
    if (!Number.isInteger(v) || (v as number) < lo) throw new Error(`evaluation settings: ${k} must be an integer >= ${lo}, got ${String(v)}`);
  }
  const optional: [keyof EvalSettings, number][] = [['semanticsCount', 0], ['probeImages', 1]];
  for (const [k, lo] of optional) {
    const v = s[k];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < lo)) throw new Error(`evaluation settings: ${k} must be an integer >= ${lo}, got ${String(v)}`);
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
  const generate = { ...s.generate, steps: s.generationSteps, flowSteps: s.flowSteps };
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
  let semantics: SemanticsMetrics | null = null;
  if (wantGen && (s.semanticsCount ?? 0) > 0) {
    const probeImages = s.probeImages ?? 256;
    const probe = await fitSemanticProbe(model, world, { count: probeImages, batchSize: s.batchSize });
    const r = await evaluateSemantics(model, world, { split: 'test', count: s.semanticsCount, batchSize: s.batchSize, probe, generate: { ...generate, generator: new Generator(s.seed + 2) } });
    const sc = r.scores;
    semantics = { count: r.count, objectAccuracy: sc.objectAccuracy, position: sc.position, colour: sc.colour, shape: sc.shape, size: sc.size, ceiling: r.ceiling.objectAccuracy, probeImages };
  }
  const metrics: ModelMetrics = { test: estimate(test), heldout: estimate(heldout), captions, generation, roundTrip, semantics, seconds: (performance.now() - t0) / 1000 };
  return { metrics, images, imageCaptions };
}

/**
 * Whether a preset trains any generation objective (exp1 does not: its flow head and invert-projector
 * stay untrained): a ploss or diffuloss weight, and generation examples (always with pairing 'both';
 * with 'split', the default, only when some pairs are not understanding examples).
 */
export function trainsGeneration(preset: { alpha: number; beta: number; understandingFraction: number }, pairing: 'both' | 'split' = 'split'): boolean {
  return (preset.alpha > 0 || preset.beta > 0) && (pairing === 'both' || preset.understandingFraction < 1);
}
