/**
 * Evaluation on the shapes world (the apps' understanding and generation metrics):
 * multiple-choice accuracy (by option likelihood), caption accuracy (captions parsed back into
 * objects), generation accuracy (the deterministic judge on images generated from canonical
 * captions), and the text -> semantics -> text round trip (the paper's Figure 7).
 */
import { noGrad } from '@unihetero/tensor';
import { Judge, ScoreTally, imagesToTensor, type QuestionKind, type RgbImage, type Sample, type SceneObject, type ShapesWorld } from '@unihetero/data';
import type { UniHetero } from './model.js';
import { answerQuestions, decodeFromEmbeddings, describeImages } from './understand.js';
import { generateImages, type GenerateOptions } from './generate.js';

/** Which samples to evaluate on. */
export interface EvalSet {
  /** Split (default 'test'; 'heldout' holds the colour-shape pairs never trained on). */
  split?: 'test' | 'heldout' | 'validation' | 'train';
  /** Number of samples (default 64). */
  count?: number;
  /** Rows per forward (default 16). */
  batchSize?: number;
  /** First sample index (default 0). */
  start?: number;
}

function samplesOf(world: ShapesWorld, set: EvalSet): Sample[] {
  const n = set.count ?? 64;
  if (!Number.isInteger(n) || n < 1) throw new Error(`evaluate: count must be a positive integer, got ${n}`);
  return Array.from({ length: n }, (_, i) => world.sample(set.split ?? 'test', (set.start ?? 0) + i));
}

function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
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
  /** A few (truth, caption) pairs. */
  examples: { truth: string; caption?: string }[];
}

/** Objects equal in every attribute. */
function sameObject(a: SceneObject, b: SceneObject): boolean {
  return a.shape === b.shape && a.colour === b.colour && a.size === b.size && a.cell.row === b.cell.row && a.cell.col === b.cell.col;
}

/** Parse a caption into objects; null when the text is not a valid caption. */
function tryParse(world: ShapesWorld, text: string): SceneObject[] | null {
  try {
    return world.parseCaption(text);
  } catch {
    return null;
  }
}

/** Recall of `truth` objects in `found` and exactness (same set). */
function compareObjects(truth: readonly SceneObject[], found: readonly SceneObject[] | null): { recall: number; exact: boolean } {
  if (!found) return { recall: 0, exact: false };
  const hit = truth.filter((t) => found.some((f) => sameObject(t, f))).length;
  return { recall: hit / truth.length, exact: hit === truth.length && found.length === truth.length };
}

/** Multiple-choice accuracy (and optionally caption accuracy) on `set`. */
export async function evaluateUnderstanding(model: UniHetero, world: ShapesWorld, set: EvalSet & { captions?: boolean; maxCaptionTokens?: number } = {}): Promise<UnderstandingReport> {
  const samples = samplesOf(world, set);
  let correct = 0;
  const byKind: UnderstandingReport['byKind'] = {};
  let capExact = 0;
  let capRecall = 0;
  const examples: UnderstandingReport['examples'] = [];
  for (const batch of chunks(samples, set.batchSize ?? 16)) {
    const images = imagesToTensor(batch.map((s) => s.image), model.backend);
    try {
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
          const cmp = compareObjects(batch[i]!.scene.objects, tryParse(world, c));
          capExact += cmp.exact ? 1 : 0;
          capRecall += cmp.recall;
          if (examples.length < 8) examples.push({ truth: batch[i]!.canonicalCaption, caption: c });
        });
      }
    } finally {
      images.dispose();
    }
  }
  const n = samples.length;
  return { split: set.split ?? 'test', count: n, accuracy: correct / n, byKind, ...(set.captions ? { captionExact: capExact / n, captionObjectRecall: capRecall / n } : {}), examples };
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

/** Generate an image from each sample's canonical caption and score it with the judge. */
export async function evaluateGeneration(model: UniHetero, world: ShapesWorld, set: EvalSet & { generate?: GenerateOptions } = {}): Promise<GenerationReport> {
  const samples = samplesOf(world, set);
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

/** The text -> generated semantic tokens -> text round trip. */
export interface RoundTripReport {
  split: string;
  count: number;
  /** Fraction of caption objects recovered with every attribute. */
  objectRecall: number;
  /** Fraction of round trips whose text names exactly the caption's objects. */
  exact: number;
  /** Fraction of round-trip texts that did not parse as a caption. */
  unparsable: number;
  examples: { caption: string; roundTrip: string }[];
}

/**
 * Generate semantic tokens from each canonical caption (no pixel decoder), then caption those
 * tokens through the understanding path, and compare the objects.
 */
export async function evaluateRoundTrip(model: UniHetero, world: ShapesWorld, set: EvalSet & { generate?: GenerateOptions; maxCaptionTokens?: number } = {}): Promise<RoundTripReport> {
  const samples = samplesOf(world, set);
  let recall = 0;
  let exact = 0;
  let bad = 0;
  const examples: RoundTripReport['examples'] = [];
  for (const batch of chunks(samples, set.batchSize ?? 16)) {
    const texts = await roundTrip(model, batch.map((s) => s.canonicalCaption), { ...set.generate, maxCaptionTokens: set.maxCaptionTokens });
    texts.forEach((t, i) => {
      const parsed = tryParse(world, t);
      if (!parsed) bad++;
      const cmp = compareObjects(batch[i]!.scene.objects, parsed);
      recall += cmp.recall;
      exact += cmp.exact ? 1 : 0;
      if (examples.length < 8) examples.push({ caption: batch[i]!.canonicalCaption, roundTrip: t });
    });
  }
  const n = samples.length;
  return { split: set.split ?? 'test', count: n, objectRecall: recall / n, exact: exact / n, unparsable: bad / n, examples };
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
