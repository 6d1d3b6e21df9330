/**
 * The diagnostic ladder of generation: one number per rung, so that a failing text -> image
 * pipeline shows *where* it breaks.
 *
 * - **decoder**: real test images are encoded by the frozen semantic encoder, placed as a fully
 *   visible image span after their caption, and every position's pixels are sampled by the flow
 *   head from its hidden state; the judge scores the reconstruction. (Understanding as the encoder,
 *   generation as the decoder.) Meaningful when the head is trained on visible positions too
 *   (config `flow.trainOn: 'span'`); with `'masked'` it measures how far the head generalises.
 * - **semantics**: the span's semantic tokens are generated from captions (no pixels) and read by a
 *   linear probe fitted on the invert-projector's *targets* of training images (per grid cell:
 *   colour or empty, shape, size; every token scaled to unit length, then averaged per cell),
 *   scored against the caption's scene. The same probe on the true
 *   targets of the same test images gives the rung's ceiling.
 * - **end to end**: the full MAR loop to pixels, judged; and the text -> semantics -> text round trip.
 */
import { Generator, noGrad, tensor, tidy, type Tensor } from '@unihetero/tensor';
import { sampleFlow } from '@unihetero/flow';
import { Judge, ScoreTally, imagesToTensor, tensorToImages, type RgbImage, type Sample, type Scene, type SplitName, type ShapesWorld } from '@unihetero/data';
import { fitRidgeProbe, poolCells, tokenCells, type LinearProbe } from '@unihetero/vision';
import type { UniHetero } from './model.js';
import { generateImages, type GenerateOptions } from './generate.js';
import { chunks, evaluateGeneration, evaluateRoundTrip, evaluateUnderstanding, forEachImageBatch, type EvalSet, type RoundTripReport } from './evaluate.js';
import type { SequenceExample } from './sequence.js';
import type { ObjectRecallSummary } from './object-recall.js';

/** Per-attribute accuracies of a set of scenes read back (same fields as the judge's tally). */
export interface CellScores {
  /** Images scored. */
  images: number;
  /** Target objects over all images. */
  objects: number;
  /** Fraction of target objects whose cell is read as occupied. */
  position: number;
  colour: number;
  shape: number;
  size: number;
  /** Fraction of target objects with every attribute right. */
  objectAccuracy: number;
  /** Fraction of images with every object exact and no extra object. */
  exact: number;
  /** Objects read in cells the scene leaves empty, per image. */
  extraPerImage: number;
}

/** What a probe reads in one image: per cell (row-major), -1 for empty. */
export interface CellReading {
  colour: Int32Array;
  shape: Int32Array;
  size: Int32Array;
}

/** Score per-cell readings against scenes (the judge's criteria, without pixels). */
export function scoreCellReadings(world: ShapesWorld, readings: readonly CellReading[], scenes: readonly Scene[]): CellScores {
  if (readings.length !== scenes.length) throw new Error(`scoreCellReadings: ${readings.length} readings for ${scenes.length} scenes`);
  const { colours, shapes } = world.config;
  const sums = { objects: 0, position: 0, colour: 0, shape: 0, size: 0, exactObjects: 0, exactImages: 0, extra: 0 };
  readings.forEach((r, i) => {
    const labels = world.cellLabels(scenes[i]!);
    let allExact = true;
    for (let k = 0; k < labels.occupied.length; k++) {
      const occupiedRead = r.colour[k]! >= 0;
      if (!labels.occupied[k]) {
        if (occupiedRead) {
          sums.extra++;
          allExact = false;
        }
        continue;
      }
      sums.objects++;
      const pos = occupiedRead;
      const col = pos && r.colour[k] === labels.colour[k];
      const shp = pos && r.shape[k] === labels.shape[k];
      const siz = pos && r.size[k] === labels.size[k];
      sums.position += +pos;
      sums.colour += +col;
      sums.shape += +shp;
      sums.size += +siz;
      const exact = pos && col && shp && siz;
      sums.exactObjects += +exact;
      if (!exact) allExact = false;
    }
    sums.exactImages += +allExact;
  });
  void colours;
  void shapes;
  const o = Math.max(1, sums.objects);
  const n = Math.max(1, readings.length);
  return {
    images: readings.length,
    objects: sums.objects,
    position: sums.position / o,
    colour: sums.colour / o,
    shape: sums.shape / o,
    size: sums.size / o,
    objectAccuracy: sums.exactObjects / o,
    exact: sums.exactImages / n,
    extraPerImage: sums.extra / n,
  };
}

/** A linear read-out of per-cell scene attributes from span embeddings `[B, N, D]`. */
export interface SemanticProbe {
  /** Width of the embeddings it reads. */
  readonly dim: number;
  /** Accuracy per attribute on the training cells (a sanity check of the fit). */
  readonly trainAccuracy: { colour: number; shape: number; size: number };
  /** Per-cell readings of `embeddings [B, N, dim]`. */
  read(embeddings: Tensor): Promise<CellReading[]>;
}

/** Samples of a split as an array. */
function samplesOf(world: ShapesWorld, set: EvalSet, dflt: number): Sample[] {
  const n = set.count ?? dflt;
  if (!Number.isInteger(n) || n < 1) throw new Error(`diagnose: count must be a positive integer, got ${n}`);
  return world.samples((set.split ?? 'test') as SplitName, set.start ?? 0, n);
}

/**
 * Each `dim`-wide row scaled to unit length (in place): the probe reads directions, as the cosine
 * loss that trains the predictions constrains only their direction.
 */
function unitRows(values: Float32Array, dim: number): Float32Array {
  for (let r = 0; r < values.length; r += dim) {
    let ss = 0;
    for (let j = 0; j < dim; j++) ss += values[r + j]! * values[r + j]!;
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let j = 0; j < dim; j++) values[r + j]! *= inv;
  }
  return values;
}

/** The token -> grid cell map of a model's visual tokens in a world. */
function modelTokenCells(model: UniHetero, world: ShapesWorld): Int32Array {
  const [H, W] = model.imageSize;
  const grid = model.semanticEncoder.grid(H, W);
  return tokenCells(world.layout, grid, H / grid.height);
}

/** The invert-projector targets `[B, N, D]` of images (what generation is trained to produce). */
export function semanticTargets(model: UniHetero, images: Tensor): Tensor {
  const B = images.shape[0]!;
  const N = model.numVisualTokens;
  return noGrad(() =>
    tidy(() => {
      const { features, latents } = model.encodeImages(images);
      latents.dispose();
      const t = model.invert_projector.target(features.reshape(B * N, model.config.semanticDim));
      return t.reshape(B, N, t.shape[1]!);
    }),
  );
}

/**
 * Fit the semantic probe: ridge classifiers of each cell's colour (or empty), shape and size from
 * the cell-pooled invert-projector targets of `count` training images (default 512 of 'train').
 */
export async function fitSemanticProbe(model: UniHetero, world: ShapesWorld, set: EvalSet = {}): Promise<SemanticProbe> {
  const samples = samplesOf(world, { split: 'train', ...set }, 512);
  const cells = modelTokenCells(model, world);
  const numCells = world.layout.grid * world.layout.grid;
  const feats: Float32Array[] = [];
  const colour: number[] = [];
  const shape: number[] = [];
  const size: number[] = [];
  let dim = 0;
  for (const batch of chunks(samples, set.batchSize ?? 32)) {
    const images = imagesToTensor(batch.map((s) => s.image), model.backend);
    const t = semanticTargets(model, images);
    images.dispose();
    dim = t.shape[2]!;
    const values = unitRows(Float32Array.from((await t.data()) as Float32Array), dim);
    t.dispose();
    feats.push(poolCells(values, batch.length, dim, cells, numCells));
    for (const s of batch) {
      const l = world.cellLabels(s.scene);
      for (let k = 0; k < numCells; k++) {
        colour.push(l.colour[k]! + 1);
        shape.push(l.shape[k]! + 1);
        size.push(l.size[k]! + 1);
      }
    }
  }
  const X = new Float32Array(feats.reduce((a, f) => a + f.length, 0));
  let o = 0;
  for (const f of feats) {
    X.set(f, o);
    o += f.length;
  }
  const { colours, shapes } = world.config;
  const probes: Record<'colour' | 'shape' | 'size', LinearProbe> = {
    colour: fitRidgeProbe(X, colour, dim, colours.length + 1),
    shape: fitRidgeProbe(X, shape, dim, shapes.length + 1),
    size: fitRidgeProbe(X, size, dim, 3),
  };
  const trainAccuracy = { colour: probes.colour.accuracy(X, colour), shape: probes.shape.accuracy(X, shape), size: probes.size.accuracy(X, size) };
  return {
    dim,
    trainAccuracy,
    async read(embeddings: Tensor): Promise<CellReading[]> {
      const [B, N, D] = embeddings.shape;
      if (embeddings.rank !== 3 || N !== cells.length || D !== dim) throw new Error(`SemanticProbe.read: expected embeddings [B, ${cells.length}, ${dim}], got ${JSON.stringify(embeddings.shape)}`);
      const pooled = poolCells(unitRows(Float32Array.from((await embeddings.data()) as Float32Array), dim), B!, dim, cells, numCells);
      const c = probes.colour.predict(pooled);
      const s = probes.shape.predict(pooled);
      const z = probes.size.predict(pooled);
      return Array.from({ length: B! }, (_, b) => {
        const r = { colour: new Int32Array(numCells), shape: new Int32Array(numCells), size: new Int32Array(numCells) };
        for (let k = 0; k < numCells; k++) {
          const i = b * numCells + k;
          const empty = c[i] === 0;
          r.colour[k] = empty ? -1 : c[i]! - 1;
          r.shape[k] = empty ? -1 : Math.max(0, s[i]! - 1);
          r.size[k] = empty ? -1 : Math.max(0, z[i]! - 1);
        }
        return r;
      });
    },
  };
}

/** The semantics rung: generated tokens read by the probe, and the probe's ceiling on true targets. */
export interface SemanticsReport {
  split: string;
  count: number;
  /** Generated semantic tokens, read by the probe. */
  scores: CellScores;
  /** The same probe on the true targets of the scenes' rendered images (the rung's ceiling). */
  ceiling: CellScores;
}

/**
 * Generate semantic tokens (the invert-projector's predictions `e_hat`, no pixels) from each
 * canonical caption and read them with `probe` (fitted by `fitSemanticProbe` when not given).
 */
export async function evaluateSemantics(model: UniHetero, world: ShapesWorld, set: EvalSet & { generate?: GenerateOptions; probe?: SemanticProbe } = {}): Promise<SemanticsReport> {
  const probe = set.probe ?? (await fitSemanticProbe(model, world));
  const samples = samplesOf(world, set, 64);
  const generated: CellReading[] = [];
  const truth: CellReading[] = [];
  for (const batch of chunks(samples, set.batchSize ?? 16)) {
    const prompts = batch.map((s) => model.tokenizer.encode(s.canonicalCaption, { bos: false, eos: false }));
    const g = await generateImages(model, prompts, { ...set.generate, decodePixels: false });
    try {
      generated.push(...(await probe.read(g.predictions)));
    } finally {
      g.embeddings.dispose();
      g.predictions.dispose();
    }
    const images = imagesToTensor(batch.map((s) => s.image), model.backend);
    const t = semanticTargets(model, images);
    images.dispose();
    truth.push(...(await probe.read(t)));
    t.dispose();
  }
  const scenes = samples.map((s) => s.scene);
  return { split: set.split ?? 'test', count: samples.length, scores: scoreCellReadings(world, generated, scenes), ceiling: scoreCellReadings(world, truth, scenes) };
}

/** The judge's tally of `images` against the scenes they should show. */
export function judgeImages(world: ShapesWorld, images: readonly RgbImage[], scenes: readonly Scene[]): ReturnType<ScoreTally['summary']> {
  if (images.length !== scenes.length) throw new Error(`judgeImages: ${images.length} images for ${scenes.length} scenes`);
  const judge = new Judge(world);
  const tally = new ScoreTally();
  images.forEach((img, i) => tally.add(judge.score(img, scenes[i]!)));
  return tally.summary();
}

/** The decoder rung's result. */
export interface DecoderReport {
  split: string;
  count: number;
  /** The judge's tally on the reconstructions. */
  scores: ReturnType<ScoreTally['summary']>;
  /** Reconstructions and their captions (for sheets). */
  images: RgbImage[];
  captions: string[];
}

/**
 * Decode real images through the model: caption, then the image's own semantic tokens as a fully
 * visible span; the flow head samples every position's pixel latent from its hidden state.
 */
export async function decodeImages(model: UniHetero, images: Tensor, captions: readonly string[], options: { flowSteps?: number; temperature?: number; generator?: Generator } = {}): Promise<RgbImage[]> {
  const B = images.shape[0]!;
  if (captions.length !== B) throw new Error(`decodeImages: ${captions.length} captions for ${B} images`);
  const N = model.numVisualTokens;
  const d = model.config.backbone.hiddenSize;
  const gen = options.generator ?? new Generator(0);
  const wasTraining = model.training;
  model.eval();
  try {
    const examples: SequenceExample[] = captions.map((c, i) => ({ kind: 'generate', image: i, prompt: model.tokenizer.encode(c, { bos: false, eos: false }) }));
    const pixels = noGrad(() =>
      tidy(() => {
        const batch = model.prepare(examples, images, gen, { generationMask: new Uint8Array(B * N) });
        const s = batch.sequences;
        const table = model.visualTable(batch.features);
        const z = model.hiddenStates(batch, table).reshape(-1, d).indexSelect(0, tensor(s.spanRows, { dtype: 'int32', backend: model.backend }));
        const cond = model.flowCondition(z, s.spanTokens.map((t) => t % N), table.indexSelect(0, tensor(s.spanTokens, { dtype: 'int32', backend: model.backend })));
        const x = sampleFlow(model.flow_head, cond, { steps: options.flowSteps ?? model.config.flow.sampleSteps, method: model.config.flow.sampler, temperature: options.temperature ?? model.config.flow.sampleTemperature, generator: gen });
        // spanTokens run image by image in order, so the rows are already [B*N] row-major.
        return model.pixel_encoder.decode(x.reshape(B, N, model.config.pixelDim));
      }),
    );
    const out = await tensorToImages(pixels);
    pixels.dispose();
    return out;
  } finally {
    if (wasTraining) model.train();
  }
}

/** The decoder rung on `set` (default 32 test images; flow steps and temperature default to the config's). */
export async function evaluateDecoder(model: UniHetero, world: ShapesWorld, set: EvalSet & { flowSteps?: number; temperature?: number; generator?: Generator } = {}): Promise<DecoderReport> {
  const samples = samplesOf(world, set, 32);
  const images: RgbImage[] = [];
  const gen = set.generator ?? new Generator(0);
  await forEachImageBatch(model, samples, set.batchSize ?? 16, async (batch, x) => {
    images.push(...(await decodeImages(model, x, batch.map((s) => s.canonicalCaption), { flowSteps: set.flowSteps, temperature: set.temperature, generator: gen })));
  });
  return { split: set.split ?? 'test', count: samples.length, scores: judgeImages(world, images, samples.map((s) => s.scene)), images, captions: samples.map((s) => s.canonicalCaption) };
}

/** Options of `diagnoseGeneration`. */
export interface DiagnoseOptions {
  /** Split of the evaluation captions and images (default 'test'). */
  split?: EvalSet['split'];
  /** Images per rung (default 32). */
  count?: number;
  /** Training images the semantic probe is fitted on (default 512). */
  probeImages?: number;
  /** Captions of the round trip (default 16). */
  roundTrips?: number;
  /** Generation options (MAR steps, ...). */
  generate?: GenerateOptions;
  /** Rows per forward (default 16). */
  batchSize?: number;
}

/** The ladder's numbers (object accuracies are the headline of each rung). */
export interface DiagnosisReport {
  decoder: DecoderReport;
  semantics: SemanticsReport;
  endToEnd: { scores: ReturnType<ScoreTally['summary']>; images: RgbImage[]; captions: string[] };
  roundTrip: RoundTripReport;
  /**
   * The round trip's ceiling: the model's captions of the *real* images of the same captions
   * (object recall and exact match). The round trip reads generated tokens with this captioner,
   * so it cannot be expected above it. With the same breakdown as the round trip (recall per
   * object count, misses by attribute).
   */
  roundTripCeiling: ObjectRecallSummary;
  /** Wall time per rung in milliseconds. */
  ms: { decoder: number; semantics: number; endToEnd: number; roundTrip: number };
}

/** Run every rung of the ladder (see the module comment). */
export async function diagnoseGeneration(model: UniHetero, world: ShapesWorld, options: DiagnoseOptions = {}): Promise<DiagnosisReport> {
  const set = { split: options.split ?? 'test', count: options.count ?? 32, batchSize: options.batchSize ?? 16 } as const;
  let t = performance.now();
  const lap = () => {
    const now = performance.now();
    const dt = now - t;
    t = now;
    return Math.round(dt);
  };
  // The decoder rung samples the flow as generation does (steps and temperature).
  const decoder = await evaluateDecoder(model, world, { ...set, flowSteps: options.generate?.flowSteps, temperature: options.generate?.temperature });
  const msDecoder = lap();
  const probe = await fitSemanticProbe(model, world, { count: options.probeImages ?? 512 });
  const semantics = await evaluateSemantics(model, world, { ...set, probe, generate: options.generate });
  const msSemantics = lap();
  const gen = await evaluateGeneration(model, world, { ...set, generate: options.generate });
  const msEnd = lap();
  const roundTrip = await evaluateRoundTrip(model, world, { ...set, count: options.roundTrips ?? 16, generate: options.generate });
  const real = await evaluateUnderstanding(model, world, { split: set.split, count: options.roundTrips ?? 16, batchSize: set.batchSize, captions: true });
  const roundTripCeiling = real.captionRecall!;
  const msRound = lap();
  return { decoder, semantics, endToEnd: { scores: gen.scores, images: gen.images, captions: gen.captions }, roundTrip, roundTripCeiling, ms: { decoder: msDecoder, semantics: msSemantics, endToEnd: msEnd, roundTrip: msRound } };
}
