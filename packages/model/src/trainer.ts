/**
 * Training a UniHetero model on any `SampleSource` (the shapes world, a folder of PNG + caption pairs): batches built
 * deterministically from (seed, sample index), AdamW with linear warmup and cosine decay, global
 * gradient clipping, the EMA update after every step, NaN/Inf detection that names the loss part,
 * optional flow-head warm-up (exp4), and checkpoints that resume with identical numbers.
 */
import { Generator, Tensor, noGrad, stack, tensor, tidy } from '@unihetero/tensor';
import { AdamW, LRScheduler, clipGradNorm, linearWarmupCosine, loadCheckpoint, paramGroupsNoDecay, saveCheckpoint, warmupStableDecay, type GroupHyper, type ParamGroupSpec } from '@unihetero/nn';
import { warmupFlowHead, type WarmupProgress } from '@unihetero/flow';
import { ShapesWorld, imagesToCHW, imagesToTensor, mixSeed } from '@unihetero/data';
import type { UniHetero, LossParts } from './model.js';
import type { SequenceExample } from './sequence.js';
import { checkSourceImageSize, type SampleSource, type SourceSample } from './source.js';

/**
 * Computes the frozen semantic features of a batch away from the training thread (a worker thread
 * in Node: `unihetero-train` starts one on the CPU backend). See `Trainer.setFeatureEncoder`.
 */
export interface BatchFeatureEncoder {
  /**
   * Features `[B, N, d_v]` (flat, row-major) of `B` images `[B, 3, H, W]` in [-1, 1] (flat); they
   * must be what the model's own semantic encoder computes for the same images.
   */
  encode(images: Float32Array, batch: number): Promise<Float32Array>;
}

/** A batch of images as host data `[B, 3, H, W]` in [-1, 1]. */
type HostImages = ReturnType<typeof imagesToCHW>;

/** Optimisation settings (docs/method.md 1.5 PROPOSAL: AdamW (0.9, 0.95), wd 0.1 on matrices, clip 1). */
export interface TrainerOptions {
  /** Samples per step (default 16). */
  batchSize?: number;
  /** Total training samples (the data budget); steps = ceil(samples / batchSize). */
  samples: number;
  /** Peak learning rate (default 2e-3). */
  lr?: number;
  /** Final learning rate of the cosine decay (default lr / 10). */
  minLr?: number;
  /** Warmup steps (default 5% of the steps, at least 1). */
  warmupSteps?: number;
  /**
   * The decay after warmup: 'cosine' (default: a half-cosine to `minLr` over the whole run) or
   * 'wsd' (warmup-stable-decay: the peak rate held, then a half-cosine over the last fifth).
   */
  schedule?: 'cosine' | 'wsd';
  /** AdamW weight decay on matrices (default 0.1). */
  weightDecay?: number;
  /** AdamW betas (default [0.9, 0.95]). */
  betas?: [number, number];
  /** Global gradient-norm clip (default 1; 0 disables). */
  gradClip?: number;
  /** Seed of the run's random stream (data mix, masks, flow noise; default 0). */
  seed?: number;
  /** Data split to train on (default 'train'; the shapes world also has 'encoder' and 'validation'). */
  split?: 'train' | 'encoder' | 'validation' | (string & {});
  /** Steps of flow-head warm-up before joint training (default 0; the exp4 preset sets it). */
  flowWarmupSteps?: number;
  /** Cycle over `pool` samples of the split (from `start`) instead of drawing fresh ones (default: fresh samples). */
  pool?: number;
  /** Index of the first training sample (default 0). */
  start?: number;
  /**
   * Learning-rate multipliers by parameter name prefix: `{ flow_head: 2 }` trains every parameter
   * under `flow_head.` at twice the scheduled rate (the longest matching prefix wins; default none).
   */
  lrScale?: Record<string, number>;
  /**
   * Parts whose gradients are clipped on their own: each entry lists parameter-name prefixes that
   * form one group, clipped to `gradClip` apart from everything else (the rest is clipped together).
   * `[['flow_head', 'flow_position_embedding']]` keeps the flow head's gradient from scaling the
   * backbone's step (default none: one global clip). The reported `gradNorm` is the norm of all.
   */
  gradClipGroups?: string[][];
}

/** What one step reports (numbers read back from the device). */
export interface StepMetrics {
  step: number;
  samples: number;
  loss: number;
  text: number;
  crossEntropy: number;
  zLoss: number;
  ploss: number;
  diffuloss: number;
  gradNorm: number;
  lr: number;
  /** Wall time of the step in milliseconds. */
  ms: number;
}

/** A loss part became NaN or infinite. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly step: number,
    readonly part: string,
    readonly value: number,
  ) {
    super(`training stopped at step ${step}: loss part '${part}' is ${value}`);
    this.name = 'NonFiniteLossError';
  }
}

const PARTS = ['total', 'text', 'crossEntropy', 'zLoss', 'ploss', 'diffuloss'] as const;
const CHECK_ORDER = ['crossEntropy', 'zLoss', 'text', 'ploss', 'diffuloss', 'total'] as const;

/**
 * The examples of one batch: kind, text and image row per sample. The understanding example of the
 * run's `k`-th sample (question or caption; `k = first + i`) always comes from a stream seeded by
 * `(seed, k)` alone, so every preset trained with the same seed sees the same ones. With `mix.pairing: 'split'` each sample is an understanding
 * example with probability `understandingFraction` (drawn from `gen` in sample order), else a
 * generation example; with 'both' every sample is an understanding example and, when the model
 * trains generation, also a generation example. Caption dropout is drawn from `gen`. A sample
 * without a question (a source other than the shapes world) is captioned where a question would be
 * asked; the random draws are the same either way.
 */
export function batchExamples(model: UniHetero, samples: readonly SourceSample[], gen: Generator, seed = 0, first = 0): SequenceExample[] {
  const mix = model.config.mix;
  const tok = model.tokenizer;
  const enc = (s: string) => tok.encode(s, { bos: false, eos: false });
  const captionOf = (s: SourceSample) => (mix.captionStyle === 'canonical' ? (s.canonicalCaption ?? s.caption) : s.caption);
  const targetOf = (s: SourceSample) => (mix.understandingCaptions === 'canonical' ? (s.canonicalCaption ?? s.caption) : captionOf(s));
  const understand = (s: SourceSample, i: number, g: Generator): SequenceExample =>
    g.uniform() < mix.questionFraction && s.question ? { kind: 'understand', image: i, prompt: enc(s.question.text), target: enc(s.question.answer) } : { kind: 'understand', image: i, prompt: [], target: enc(targetOf(s)) };
  const generate = (s: SourceSample, i: number): SequenceExample => ({ kind: 'generate', image: i, prompt: gen.uniform() < mix.captionDropout ? [] : enc(captionOf(s)) });
  const own = (i: number) => new Generator(mixSeed(seed, first + i, 0x0d47));
  if (mix.pairing === 'both') {
    const out = samples.map((s, i) => understand(s, i, own(i)));
    if (trainsGeneration(model)) out.push(...samples.map((s, i) => generate(s, i)));
    return out;
  }
  return samples.map((s, i) => (gen.uniform() < mix.understandingFraction ? understand(s, i, own(i)) : generate(s, i)));
}

/** Whether the model has any generation loss (ploss or diffuloss weight above 0). */
export function trainsGeneration(model: UniHetero): boolean {
  return model.config.loss.alpha > 0 || model.config.loss.beta > 0;
}

/** Trains a model on any `SampleSource` (the shapes world is one); see the module comment. */
export class Trainer<S extends SourceSample = SourceSample> {
  /** Optimizer steps taken. */
  step = 0;
  /** Training samples consumed. */
  samplesSeen = 0;
  /** The run's random stream (saved in checkpoints). */
  readonly generator: Generator;
  /** The optimizer. */
  readonly optimizer: AdamW;
  /** The learning-rate schedule. */
  readonly scheduler: LRScheduler;
  /** Total steps of the run. */
  readonly totalSteps: number;
  /** Resolved options. */
  readonly options: Required<Omit<TrainerOptions, 'minLr' | 'warmupSteps'>> & { minLr: number; warmupSteps: number };
  /** Whether the flow warm-up has run (saved in checkpoints). */
  flowWarmedUp = false;
  /** The samples and examples of the last step (for inspection: which data a run has seen). */
  lastBatch: { samples: { split: string; index: number }[]; examples: SequenceExample[] } | null = null;

  private featureEncoder: BatchFeatureEncoder | null = null;
  /** The gradient-clipping groups (`gradClipGroups`, then the rest). */
  private readonly clipGroups: Tensor[][];
  /** The next batch, its images already sent to the feature encoder. */
  private ahead: { key: string; samples: S[]; images: HostImages; features: Promise<Float32Array> } | null = null;

  /** Set up optimizer and schedule for `model` trained on `source` (a `ShapesWorld`, a folder source, or any `SampleSource`). */
  constructor(
    readonly model: UniHetero,
    readonly source: SampleSource<S>,
    options: TrainerOptions,
  ) {
    checkSourceImageSize('Trainer', source, model.imageSize);
    const batchSize = options.batchSize ?? 16;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`Trainer: batchSize must be a positive integer, got ${batchSize}`);
    if (!Number.isInteger(options.samples) || options.samples < 1) throw new Error(`Trainer: samples must be a positive integer, got ${options.samples}`);
    const totalSteps = Math.ceil(options.samples / batchSize);
    const lr = options.lr ?? 2e-3;
    const o = {
      batchSize,
      samples: options.samples,
      lr,
      minLr: options.minLr ?? lr / 10,
      warmupSteps: options.warmupSteps ?? Math.max(1, Math.round(totalSteps * 0.05)),
      schedule: options.schedule ?? 'cosine',
      weightDecay: options.weightDecay ?? 0.1,
      betas: options.betas ?? ([0.9, 0.95] as [number, number]),
      gradClip: options.gradClip ?? 1,
      seed: options.seed ?? 0,
      split: options.split ?? 'train',
      flowWarmupSteps: options.flowWarmupSteps ?? 0,
      pool: options.pool ?? 0,
      start: options.start ?? 0,
      lrScale: { ...(options.lrScale ?? {}) },
      gradClipGroups: (options.gradClipGroups ?? []).map((g) => [...g]),
    };
    if (!Number.isInteger(o.start) || o.start < 0) throw new Error(`Trainer: start must be a non-negative integer, got ${o.start}`);
    if (!Number.isInteger(o.pool) || o.pool < 0) throw new Error(`Trainer: pool must be a non-negative integer, got ${o.pool}`);
    if (!(source.size(o.split) > 0)) throw new Error(`Trainer: the sample source has no samples in split '${o.split}'`);
    this.options = o;
    this.totalSteps = totalSteps;
    this.generator = new Generator(o.seed);
    this.clipGroups = clipGroups(model, o.gradClipGroups);
    this.optimizer = new AdamW(scaledGroups(model, paramGroupsNoDecay(model, { weightDecay: o.weightDecay }), o.lrScale), { lr: o.lr, betas: o.betas, weightDecay: o.weightDecay });
    if (o.schedule !== 'cosine' && o.schedule !== 'wsd') throw new Error(`Trainer: schedule must be 'cosine' or 'wsd', got ${JSON.stringify(o.schedule)}`);
    const shape = { lr: o.lr, minLr: o.minLr, warmupSteps: Math.min(o.warmupSteps, totalSteps), totalSteps };
    this.scheduler = new LRScheduler(this.optimizer, o.schedule === 'wsd' ? warmupStableDecay(shape) : linearWarmupCosine(shape));
  }

  /** The source as a shapes world (throws when the trainer trains on another source). */
  get world(): ShapesWorld {
    if (!(this.source instanceof ShapesWorld)) throw new Error('Trainer.world: this trainer trains on a sample source that is not a ShapesWorld (use trainer.source)');
    return this.source;
  }

  /** Sample `index` of `split` from the source. */
  private sampleAt(split: string, index: number): S {
    return this.source.samples(split, index, 1)[0]!;
  }

  /** Whether the data budget is spent. */
  get done(): boolean {
    return this.step >= this.totalSteps;
  }

  /** Indices (in the split) of the next batch's samples. */
  private nextIndices(): number[] {
    return this.indicesAfter(this.samplesSeen);
  }

  /** Indices (in the split) of the batch that starts after `seen` samples. */
  private indicesAfter(seen: number): number[] {
    const n = Math.min(this.options.batchSize, this.options.samples - seen);
    const pool = this.options.pool;
    const first = this.options.start;
    return Array.from({ length: Math.max(1, n) }, (_, i) => first + (pool > 0 ? (seen + i) % pool : seen + i));
  }

  /**
   * Compute the batches' semantic features with `encoder` (e.g. on a worker thread), one batch
   * ahead: while a step trains, the next batch's images are being encoded. `null` goes back to
   * encoding on the training thread. The numbers are identical either way as long as `encoder`
   * computes what the model's semantic encoder computes.
   */
  setFeatureEncoder(encoder: BatchFeatureEncoder | null): void {
    this.featureEncoder = encoder;
    this.ahead = null;
  }

  /**
   * `samples`' images as host data, sent to the feature encoder (the promise is marked handled: a
   * run that stops early leaves no unhandled rejection).
   */
  private encodeAhead(samples: S[]): { images: HostImages; features: Promise<Float32Array> } {
    const images = imagesToCHW(samples.map((s) => s.image), 'Trainer');
    const features = this.featureEncoder!.encode(images.data, samples.length);
    features.catch(() => undefined);
    return { images, features };
  }

  /**
   * This step's samples and, with a feature encoder, their images as host data and their features
   * (and the next batch sent off).
   */
  private async stepInputs(indices: number[]): Promise<{ samples: S[]; images: HostImages | null; features: Float32Array | null }> {
    if (!this.featureEncoder) return { samples: indices.map((k) => this.sampleAt(this.options.split, k)), images: null, features: null };
    const key = indices.join(',');
    const mine = this.ahead?.key === key ? this.ahead : null;
    const samples = mine ? mine.samples : indices.map((k) => this.sampleAt(this.options.split, k));
    const { images, features } = mine ?? this.encodeAhead(samples);
    this.ahead = null;
    const seen = this.samplesSeen + samples.length;
    if (seen < this.options.samples) {
      const next = this.indicesAfter(seen);
      const nextSamples = next.map((k) => this.sampleAt(this.options.split, k));
      this.ahead = { key: next.join(','), samples: nextSamples, ...this.encodeAhead(nextSamples) };
    }
    return { samples, images, features: await features };
  }

  /** The next batch's samples (sample indices `samplesSeen ..`). */
  nextSamples(): S[] {
    return this.nextIndices().map((k) => this.sampleAt(this.options.split, k));
  }

  /** Train the flow head alone for `flowWarmupSteps` steps on (z, latent) pairs from the current model (exp4). */
  async warmupFlow(onProgress?: (p: WarmupProgress) => void): Promise<void> {
    if (this.flowWarmedUp || this.options.flowWarmupSteps <= 0) return;
    const model = this.model;
    const gen = new Generator(this.options.seed + 7919);
    const d = model.config.backbone.hiddenSize;
    const source = (step: number) => {
      const samples = Array.from({ length: this.options.batchSize }, (_, i) => this.sampleAt(this.options.split, 1_000_000_000 + step * this.options.batchSize + i));
      const examples: SequenceExample[] = samples.map((s, i) => ({ kind: 'generate', image: i, prompt: model.tokenizer.encode(s.caption, { bos: false, eos: false }) }));
      return noGrad(() =>
        tidy(() => {
          const images = imagesToTensor(samples.map((s) => s.image), model.backend);
          const batch = model.prepare(examples, images, gen);
          const { rows, tokens } = model.flowRows(batch.sequences);
          const N = model.numVisualTokens;
          const table = model.visualTable(batch.features);
          const z = model.hiddenStates(batch, table).reshape(-1, d).indexSelect(0, tensor(rows, { dtype: 'int32', backend: model.backend }));
          const x = batch.latents.reshape(-1, model.config.pixelDim).indexSelect(0, tensor(tokens, { dtype: 'int32', backend: model.backend }));
          const semantic = model.config.flow.conditionOnToken ? table.indexSelect(0, tensor(tokens, { dtype: 'int32', backend: model.backend })) : undefined;
          return { condition: model.flowCondition(z, tokens.map((t) => t % N), semantic), latent: x, dispose: true };
        }),
      );
    };
    await warmupFlowHead(model.flow_head, source, { steps: this.options.flowWarmupSteps, lr: this.options.lr, batchMul: model.config.flow.batchMul, generator: gen, progressEvery: 10, onProgress });
    this.flowWarmedUp = true;
  }

  /** One optimizer step; returns the metrics (throws `NonFiniteLossError` before updating on NaN/Inf). */
  async trainStep(): Promise<StepMetrics> {
    if (this.done) throw new Error(`Trainer.trainStep: the run is complete (${this.totalSteps} steps)`);
    const t0 = performance.now();
    const model = this.model;
    const indices = this.nextIndices();
    const { samples, images: hostImages, features } = await this.stepInputs(indices);
    const examples = batchExamples(model, samples, this.generator, this.options.seed, this.samplesSeen);
    this.lastBatch = { samples: indices.map((index) => ({ split: this.options.split, index })), examples };
    this.optimizer.zeroGrad();
    const { parts, total } = tidy(() => {
      const images = hostImages ? tensor(hostImages.data, { shape: hostImages.shape, backend: model.backend }) : imagesToTensor(samples.map((s) => s.image), model.backend);
      const encoded = features ? model.encodeWithFeatures(images, tensor(features, { shape: [samples.length, model.numVisualTokens, model.config.semanticDim], backend: model.backend })) : images;
      const batch = model.prepare(examples, encoded, this.generator);
      const p = model.loss(batch, this.generator);
      return { parts: p, total: p.total };
    });
    const values = await readParts(parts);
    // Components first, so the error names the part that broke rather than the total.
    for (const k of CHECK_ORDER) {
      if (!Number.isFinite(values[k])) {
        disposeParts(parts);
        this.optimizer.zeroGrad();
        throw new NonFiniteLossError(this.step, k, values[k]);
      }
    }
    total.backward();
    const normT = this.options.gradClip > 0 ? clipByGroups(this.clipGroups, this.options.gradClip) : null;
    const gradNorm = normT ? await normT.item() : NaN;
    normT?.dispose();
    if (normT && !Number.isFinite(gradNorm)) {
      disposeParts(parts);
      this.optimizer.zeroGrad();
      throw new NonFiniteLossError(this.step, 'gradNorm', gradNorm);
    }
    const lr = this.scheduler.getLr();
    this.optimizer.step();
    this.scheduler.step();
    model.afterOptimizerStep();
    disposeParts(parts);
    this.step++;
    this.samplesSeen += samples.length;
    return { step: this.step, samples: this.samplesSeen, loss: values.total, text: values.text, crossEntropy: values.crossEntropy, zLoss: values.zLoss, ploss: values.ploss, diffuloss: values.diffuloss, gradNorm, lr, ms: performance.now() - t0 };
  }

  /**
   * Write a checkpoint atomically (model, optimizer moments, schedule, random stream, data
   * position); `keepPrevious` keeps the replaced file as the previous good checkpoint.
   */
  async save(path: string, extra: Record<string, unknown> = {}, options: { keepPrevious?: boolean } = {}): Promise<void> {
    await saveCheckpoint(path, {
      keepPrevious: options.keepPrevious,
      model: this.model,
      optimizer: this.optimizer,
      scheduler: this.scheduler,
      rng: { train: this.generator },
      step: this.step,
      extra: { ...extra, trainer: { samplesSeen: this.samplesSeen, flowWarmedUp: this.flowWarmedUp, options: this.options } },
    });
  }

  /** Restore a checkpoint written by `save` into this trainer; returns the saved `extra`. */
  async resume(path: string): Promise<Record<string, unknown>> {
    let r: Awaited<ReturnType<typeof loadCheckpoint>>;
    try {
      r = await loadCheckpoint(path, { model: this.model, optimizer: this.optimizer, scheduler: this.scheduler, rng: { train: this.generator } });
    } catch (e) {
      // The parameter groups follow lrScale: another lrScale means another optimizer layout.
      if (e instanceof Error && e.message.includes('loadStateDict')) throw new Error(`Trainer.resume: '${path}' does not fit this trainer's optimizer (${e.message}); was it trained with another lrScale than ${JSON.stringify(this.options.lrScale)}?`);
      throw e;
    }
    const extra = (r.extra ?? {}) as Record<string, unknown> & { trainer?: { samplesSeen: number; flowWarmedUp: boolean; options: Trainer['options'] } };
    const t = extra.trainer;
    if (!t) throw new Error(`Trainer.resume: '${path}' has no trainer state (it was not written by Trainer.save)`);
    for (const k of ['batchSize', 'samples', 'seed', 'split', 'pool', 'start'] as const) {
      if (t.options[k] !== this.options[k]) throw new Error(`Trainer.resume: '${path}' was trained with ${k} = ${JSON.stringify(t.options[k])}, this run has ${JSON.stringify(this.options[k])}`);
    }
    const [was, now] = [JSON.stringify(t.options.lrScale ?? {}), JSON.stringify(this.options.lrScale)];
    if (was !== now) throw new Error(`Trainer.resume: '${path}' was trained with lrScale = ${was}, this run has ${now}`);
    this.step = r.step;
    this.samplesSeen = t.samplesSeen;
    this.flowWarmedUp = t.flowWarmedUp;
    return extra;
  }
}

/** Whether the dotted parameter name `name` lies under `prefix` (the prefix itself or `prefix.`...). */
function isUnder(name: string, prefix: string): boolean {
  return name === prefix || name.startsWith(`${prefix}.`);
}

/**
 * The trainable parameters of `named` under `prefix`; none is an error naming `option` and the
 * model's top-level modules (for `lrScale` and `gradClipGroups`).
 */
function paramsUnder(named: readonly [string, Tensor][], prefix: string, option: string): [string, Tensor][] {
  const hits = named.filter(([n]) => isUnder(n, prefix));
  if (hits.length === 0) {
    const tops = [...new Set(named.map(([n]) => n.split('.')[0]!))].join(', ');
    throw new Error(`Trainer: ${option} prefix '${prefix}' names no trainable parameter (top-level modules: ${tops})`);
  }
  return hits;
}

/** The model's trainable parameters with their dotted names. */
function trainableNamed(model: UniHetero): [string, Tensor][] {
  return model.namedParameters().filter(([, p]) => p.requiresGrad);
}

/**
 * The parameter groups of `TrainerOptions.gradClipGroups`: one list per entry (the trainable
 * parameters under any of its prefixes), then the rest. A prefix that names no trainable parameter,
 * or a parameter claimed by two entries, is an error.
 */
function clipGroups(model: UniHetero, groups: readonly (readonly string[])[]): Tensor[][] {
  const named = trainableNamed(model);
  const owner = new Map<Tensor, number>();
  groups.forEach((prefixes, gi) => {
    if (!Array.isArray(prefixes) || prefixes.length === 0) throw new Error(`Trainer: gradClipGroups[${gi}] must be a non-empty list of parameter-name prefixes, got ${JSON.stringify(prefixes)}`);
    for (const q of prefixes) {
      for (const [n, p] of paramsUnder(named, q, 'gradClipGroups')) {
        const prev = owner.get(p);
        if (prev !== undefined && prev !== gi) throw new Error(`Trainer: parameter '${n}' is in gradClipGroups[${prev}] and gradClipGroups[${gi}]`);
        owner.set(p, gi);
      }
    }
  });
  const out: Tensor[][] = groups.map(() => []);
  const rest: Tensor[] = [];
  for (const [, p] of named) {
    const gi = owner.get(p);
    (gi === undefined ? rest : out[gi]!).push(p);
  }
  return rest.length > 0 ? [...out, rest] : out;
}

/** Clip each group's gradient norm to `maxNorm` on its own; returns the norm of all the gradients (before clipping). */
function clipByGroups(groups: readonly Tensor[][], maxNorm: number): Tensor {
  if (groups.length === 1) return clipGradNorm(groups[0]!, maxNorm);
  const norms = groups.map((g) => clipGradNorm(g, maxNorm));
  const total = noGrad(() => tidy(() => stack(norms).square().sum().sqrt()));
  for (const n of norms) n.dispose();
  return total;
}

/**
 * Split AdamW's parameter groups by the learning-rate multiplier of each parameter (`lrScale`: the
 * longest name prefix matching the parameter's dotted name, else 1); each part keeps its group's
 * weight decay and gets `lrScale`, which `LRScheduler` applies. Every prefix must name trainable
 * parameters and every multiplier be positive and finite.
 */
export function scaledGroups(model: UniHetero, groups: ParamGroupSpec<GroupHyper>[], lrScale: Readonly<Record<string, number>>): ParamGroupSpec<GroupHyper>[] {
  const prefixes = Object.keys(lrScale).sort((a, b) => b.length - a.length);
  if (prefixes.length === 0) return groups;
  const named = trainableNamed(model);
  const names = new Map<Tensor, string>(named.map(([n, p]) => [p, n]));
  for (const q of prefixes) {
    const v = lrScale[q]!;
    if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new Error(`Trainer: lrScale['${q}'] must be a positive finite number, got ${JSON.stringify(v)}`);
    paramsUnder(named, q, 'lrScale');
  }
  const scaleOf = (p: Tensor): number => {
    const n = names.get(p);
    const q = n === undefined ? undefined : prefixes.find((x) => isUnder(n, x));
    return q === undefined ? 1 : lrScale[q]!;
  };
  const out: ParamGroupSpec<GroupHyper>[] = [];
  for (const g of groups) {
    const parts = new Map<number, Tensor[]>();
    for (const p of g.params) {
      const k = scaleOf(p);
      const list = parts.get(k);
      if (list) list.push(p);
      else parts.set(k, [p]);
    }
    for (const [k, params] of parts) out.push(k === 1 ? { ...g, params } : { ...g, params, lrScale: k });
  }
  return out;
}

/** The loss parts as numbers, in one device readback (a step would otherwise wait six times). */
async function readParts(p: LossParts): Promise<Record<(typeof PARTS)[number], number>> {
  const all = noGrad(() => tidy(() => stack(PARTS.map((k) => p[k].detach()))));
  const values = await all.data();
  all.dispose();
  const out = {} as Record<(typeof PARTS)[number], number>;
  PARTS.forEach((k, i) => (out[k] = values[i]!));
  return out;
}

function disposeParts(p: LossParts): void {
  const seen = new Set<Tensor>();
  for (const k of PARTS) {
    const t = p[k];
    if (!seen.has(t)) {
      seen.add(t);
      t.dispose();
    }
  }
}
