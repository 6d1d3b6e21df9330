/**
 * Evaluation (the apps' understanding and generation metrics). On any `SampleSource`: captioning
 * (greedy captions against the reference captions) and generation (images generated from the
 * reference captions, scored by an optional `GenerationJudge` and by their pixel distance to the
 * source's image). On the shapes world only, because they need its questions and its caption
 * grammar: multiple-choice accuracy (by option likelihood), caption accuracy (captions parsed back
 * into objects), generation accuracy by the world's deterministic judge, and the text -> semantics
 * -> text round trip (the paper's Figure 7).
 */
import { noGrad, type Tensor } from '@unihetero/tensor';
import { Judge, ScoreTally, ShapesWorld, imagesToTensor, type QuestionKind, type RgbImage, type Sample, type SceneObject } from '@unihetero/data';
import type { UniHetero } from './model.js';
import { answerQuestions, decodeFromEmbeddings, describeImages } from './understand.js';
import { generateImages, type GenerateOptions } from './generate.js';
import { ObjectRecallTally, type ObjectRecallSummary } from './object-recall.js';
import { checkSourceImageSize, referenceCaption, type GenerationJudge, type SampleSource, type SourceSample } from './source.js';

/** Which samples to evaluate on. */
export interface EvalSet {
  /** Split (default 'test'; the shapes world's 'heldout' holds the colour-shape pairs never trained on). */
  split?: 'test' | 'heldout' | 'validation' | 'train' | (string & {});
  /** Number of samples (default 64). */
  count?: number;
  /** Rows per forward (default 16). */
  batchSize?: number;
  /** First sample index (default 0). */
  start?: number;
}

function samplesOf<S extends SourceSample>(source: SampleSource<S>, set: EvalSet): S[] {
  const n = set.count ?? 64;
  if (!Number.isInteger(n) || n < 1) throw new Error(`evaluate: count must be a positive integer, got ${n}`);
  const split = set.split ?? 'test';
  if (!(source.size(split) > 0)) throw new Error(`evaluate: the sample source has no samples in split '${split}'`);
  return source.samples(split, set.start ?? 0, n);
}

/** Consecutive slices of `xs`, `size` long (the last may be shorter). */
export function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** Run `fn` on each batch of `samples` (`size` at a time) with the batch's images as one tensor on the model's backend, freed after. */
export async function forEachImageBatch<S extends { image: RgbImage }>(model: UniHetero, samples: readonly S[], size: number, fn: (batch: S[], images: Tensor) => Promise<void>): Promise<void> {
  for (const batch of chunks(samples, size)) {
    const images = imagesToTensor(batch.map((s) => s.image), model.backend);
    try {
      await fn(batch, images);
    } finally {
      images.dispose();
    }
  }
}

/** Multiple-choice and captioning results. */
export interface UnderstandingReport {
  split: string;
  count: number;
  /** Multiple-choice accuracy (chance 0.25). */
  accuracy: number;
  /** Accuracy per question kind. */
  byKind: Partial<Record<QuestionKind, { count: number; accuracy: number }>>;
  /** Fraction of greedy captions that parse into exactly the scene's objects (when `captions`). */
  captionExact?: number;
  /** Fraction of scene objects found in the parsed caption (when `captions`). */
  captionObjectRecall?: number;
  /** The captions' object recall with its breakdown by object count and missed attribute (when `captions`). */
  captionRecall?: ObjectRecallSummary;
  /** A few (truth, caption) pairs. */
  examples: { truth: string; caption?: string }[];
}

/** Parse a caption into objects; null when the text is not a valid caption. */
function tryParse(world: ShapesWorld, text: string): SceneObject[] | null {
  try {
    return world.parseCaption(text);
  } catch {
    return null;
  }
}

/** Multiple-choice accuracy (and optionally caption accuracy) on `set` of the shapes world (its questions and caption grammar; for other sources use `evaluateCaptioning`). */
export async function evaluateUnderstanding(model: UniHetero, world: ShapesWorld, set: EvalSet & { captions?: boolean; maxCaptionTokens?: number } = {}): Promise<UnderstandingReport> {
  const samples = samplesOf<Sample>(world, set);
  let correct = 0;
  const byKind: UnderstandingReport['byKind'] = {};
  const capTally = new ObjectRecallTally();
  const examples: UnderstandingReport['examples'] = [];
  await forEachImageBatch(model, samples, set.batchSize ?? 16, async (batch, images) => {
    const res = await answerQuestions(model, images, batch.map((s) => ({ question: s.question.text, options: s.question.options })));
    res.forEach((r, i) => {
      const q = batch[i]!.question;
      const ok = r.choice === q.answerIndex;
      correct += ok ? 1 : 0;
      const k = (byKind[q.kind] ??= { count: 0, accuracy: 0 });
      k.accuracy = (k.accuracy * k.count + (ok ? 1 : 0)) / (k.count + 1);
      k.count++;
    });
    if (set.captions) {
      const caps = await describeImages(model, images, { maxTokens: set.maxCaptionTokens ?? 48 });
      caps.forEach((c, i) => {
        capTally.add(batch[i]!.scene.objects, tryParse(world, c));
        if (examples.length < 8) examples.push({ truth: batch[i]!.canonicalCaption, caption: c });
      });
    }
  });
  const n = samples.length;
  const cap = capTally.summary();
  return { split: set.split ?? 'test', count: n, accuracy: correct / n, byKind, ...(set.captions ? { captionExact: cap.exact, captionObjectRecall: cap.objectRecall, captionRecall: cap } : {}), examples };
}

/** Captioning results on any sample source. */
export interface CaptioningReport {
  split: string;
  count: number;
  /** Fraction of greedy captions equal to the reference caption (both as the tokenizer writes them). */
  exact: number;
  /** Mean fraction of the reference's words (with multiplicity) that the caption contains. */
  wordRecall: number;
  /** Mean fraction of the caption's words (with multiplicity) that the reference contains (0 for an empty caption). */
  wordPrecision: number;
  /** A few (reference, caption) pairs. */
  examples: { truth: string; caption: string }[];
}

/** Words of `text` (the word tokenizer's split, lower-cased). */
function wordsOf(text: string): string[] {
  return Array.from(text.toLowerCase().matchAll(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu), (m) => m[0]);
}

/** Multiset overlap of two word lists. */
function overlap(a: readonly string[], b: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const w of b) counts.set(w, (counts.get(w) ?? 0) + 1);
  let hit = 0;
  for (const w of a) {
    const c = counts.get(w) ?? 0;
    if (c > 0) {
      hit++;
      counts.set(w, c - 1);
    }
  }
  return hit;
}

/** Greedy captions of `set`'s images compared with their reference captions (any sample source). */
export async function evaluateCaptioning<S extends SourceSample>(model: UniHetero, source: SampleSource<S>, set: EvalSet & { maxCaptionTokens?: number } = {}): Promise<CaptioningReport> {
  checkSourceImageSize('evaluateCaptioning', source, model.imageSize);
  const samples = samplesOf(source, set);
  let exact = 0;
  let recall = 0;
  let precision = 0;
  const examples: CaptioningReport['examples'] = [];
  await forEachImageBatch(model, samples, set.batchSize ?? 16, async (batch, images) => {
    const caps = await describeImages(model, images, { maxTokens: set.maxCaptionTokens ?? 48 });
    caps.forEach((c, i) => {
      const ref = model.tokenizer.decode(model.tokenizer.encode(referenceCaption(batch[i]!)), { skipSpecial: true });
      const rw = wordsOf(ref);
      const cw = wordsOf(c);
      const hit = overlap(rw, cw);
      exact += c === ref ? 1 : 0;
      recall += rw.length ? hit / rw.length : 1;
      precision += cw.length ? hit / cw.length : 0;
      if (examples.length < 8) examples.push({ truth: ref, caption: c });
    });
  });
  const n = samples.length;
  return { split: set.split ?? 'test', count: n, exact: exact / n, wordRecall: recall / n, wordPrecision: precision / n, examples };
}

/** Judge scores of generated images. */
export interface GenerationReport {
  split: string;
  count: number;
  /** The judge's tally: per-attribute accuracy, object accuracy, exact images. */
  scores: ReturnType<ScoreTally['summary']>;
  /** The generated images and their captions (for sample sheets). */
  images: RgbImage[];
  captions: string[];
}

/** Generated images of any sample source: optional judge scores and the distance to the source's images. */
export interface SourceGenerationReport {
  split: string;
  count: number;
  /** The judge's mean scores (when a judge was given). */
  scores?: Record<string, number>;
  /** Mean absolute pixel difference to the sample's own image, in [0, 1] (a weak signal: a caption allows many images). */
  meanAbsError: number;
  /** The generated images and the captions they were generated from. */
  images: RgbImage[];
  captions: string[];
}

/** Generate an image from each sample's canonical caption and score it with the shapes world's judge. */
export async function evaluateGeneration(model: UniHetero, world: ShapesWorld, set?: EvalSet & { generate?: GenerateOptions }): Promise<GenerationReport>;
/** Generate an image from each sample's reference caption; score it with `set.judge` (if any) and against the sample's image. */
export async function evaluateGeneration<S extends SourceSample>(model: UniHetero, source: SampleSource<S>, set?: EvalSet & { generate?: GenerateOptions; judge?: GenerationJudge<S> }): Promise<SourceGenerationReport>;
export async function evaluateGeneration<S extends SourceSample>(
  model: UniHetero,
  source: SampleSource<S> | ShapesWorld,
  set: EvalSet & { generate?: GenerateOptions; judge?: GenerationJudge<S> } = {},
): Promise<GenerationReport | SourceGenerationReport> {
  if (source instanceof ShapesWorld && !set.judge) return evaluateShapesGeneration(model, source, set);
  return evaluateSourceGeneration(model, source as SampleSource<S>, set);
}

async function evaluateSourceGeneration<S extends SourceSample>(model: UniHetero, source: SampleSource<S>, set: EvalSet & { generate?: GenerateOptions; judge?: GenerationJudge<S> }): Promise<SourceGenerationReport> {
  checkSourceImageSize('evaluateGeneration', source, model.imageSize);
  const samples = samplesOf(source, set);
  const images: RgbImage[] = [];
  const captions = samples.map(referenceCaption);
  for (const batch of chunks(captions, set.batchSize ?? 16)) {
    const g = await generateImages(model, batch.map((c) => model.tokenizer.encode(c, { bos: false, eos: false })), set.generate);
    try {
      images.push(...g.images!);
    } finally {
      g.embeddings.dispose();
      g.predictions.dispose();
      g.latents?.dispose();
    }
  }
  let diff = 0;
  let total = 0;
  images.forEach((img, i) => {
    const ref = samples[i]!.image.data;
    for (let k = 0; k < ref.length; k++) diff += Math.abs(img.data[k]! - ref[k]!);
    total += ref.length;
  });
  const scores = set.judge?.score(images, samples);
  return { split: set.split ?? 'test', count: samples.length, ...(scores ? { scores } : {}), meanAbsError: diff / (255 * total), images, captions };
}

async function evaluateShapesGeneration(model: UniHetero, world: ShapesWorld, set: EvalSet & { generate?: GenerateOptions }): Promise<GenerationReport> {
  const samples = samplesOf<Sample>(world, set);
  const judge = new Judge(world);
  const tally = new ScoreTally();
  const images: RgbImage[] = [];
  const captions: string[] = [];
  for (const batch of chunks(samples, set.batchSize ?? 16)) {
    const prompts = batch.map((s) => model.tokenizer.encode(s.canonicalCaption, { bos: false, eos: false }));
    const g = await generateImages(model, prompts, set.generate);
    try {
      g.images!.forEach((img, i) => {
        tally.add(judge.score(img, batch[i]!.scene));
        images.push(img);
        captions.push(batch[i]!.canonicalCaption);
      });
    } finally {
      g.embeddings.dispose();
      g.predictions.dispose();
      g.latents?.dispose();
    }
  }
  return { split: set.split ?? 'test', count: samples.length, scores: tally.summary(), images, captions };
}

/**
 * The text -> generated semantic tokens -> text round trip: `objectRecall` (mean over captions of
 * the fraction of their objects recovered with every attribute), `exact` (texts naming exactly the
 * caption's objects), `unparsable`, and the breakdown by object count and missed attribute.
 */
export interface RoundTripReport extends ObjectRecallSummary {
  split: string;
  examples: { caption: string; roundTrip: string }[];
}

/**
 * Generate semantic tokens from each canonical caption (no pixel decoder), then caption those
 * tokens through the understanding path, and compare the objects.
 */
export async function evaluateRoundTrip(model: UniHetero, world: ShapesWorld, set: EvalSet & { generate?: GenerateOptions; maxCaptionTokens?: number } = {}): Promise<RoundTripReport> {
  const samples = samplesOf<Sample>(world, set);
  const tally = new ObjectRecallTally();
  const examples: RoundTripReport['examples'] = [];
  for (const batch of chunks(samples, set.batchSize ?? 16)) {
    const texts = await roundTrip(model, batch.map((s) => s.canonicalCaption), { ...set.generate, maxCaptionTokens: set.maxCaptionTokens });
    texts.forEach((t, i) => {
      tally.add(batch[i]!.scene.objects, tryParse(world, t));
      if (examples.length < 8) examples.push({ caption: batch[i]!.canonicalCaption, roundTrip: t });
    });
  }
  return { split: set.split ?? 'test', ...tally.summary(), examples };
}

/** Text -> semantic tokens -> text for each caption (docs/method.md 11; the paper's Figure 7). */
export async function roundTrip(model: UniHetero, captions: readonly string[], options: GenerateOptions & { maxCaptionTokens?: number } = {}): Promise<string[]> {
  const prompts = captions.map((c) => model.tokenizer.encode(c, { bos: false, eos: false }));
  const g = await generateImages(model, prompts, { ...options, decodePixels: false });
  try {
    const ids = await decodeFromEmbeddings(model, g.embeddings, { maxTokens: options.maxCaptionTokens ?? 48 });
    return ids.map((x) => model.tokenizer.decode(x, { skipSpecial: true }));
  } finally {
    noGrad(() => {
      g.embeddings.dispose();
      g.predictions.dispose();
      g.latents?.dispose();
    });
  }
}
