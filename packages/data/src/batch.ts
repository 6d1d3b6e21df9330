/**
 * Batching: samples to tensors (images in [-1, 1] as `[B, 3, H, W]` float32, token ids and masks
 * as `[B, T]` int32, per-cell labels as `[B, 9, 3]` int32) on a chosen backend, and a sample-budget
 * iterator for data-scale experiments.
 */
import { tensor, type Backend, type Tensor } from '@unihetero/tensor';
import { imagesToTensor } from './image.js';
import { shuffle, streamFor } from './rng.js';
import { ByteTokenizer, type Tokenizer } from './tokenizer.js';
import type { SplitName } from './types.js';
import type { Sample, ShapesWorld } from './world.js';

/** Options of `encodeTexts`. */
export interface EncodeTextsOptions {
  /** Prepend `<bos>` (default true). */
  bos?: boolean;
  /** Append `<eos>` (default true). */
  eos?: boolean;
  /** Pad every row to this length (default: the longest row). */
  length?: number;
  /** Cut rows longer than `length` instead of throwing (default false). */
  truncate?: boolean;
  /** Backend of the tensors (default: the tensor package's default). */
  backend?: Backend;
}

/** Token ids of a batch of texts. */
export interface EncodedTexts {
  /** `[B, T]` int32 ids, right-padded with `<pad>`. */
  ids: Tensor;
  /** `[B, T]` int32, 1 for real tokens and 0 for padding. */
  mask: Tensor;
  /** Real length of each row. */
  lengths: Int32Array;
}

/** Tokenizes and right-pads texts into `[B, T]` id and mask tensors. */
export function encodeTexts(texts: readonly string[], tokenizer: Tokenizer, options: EncodeTextsOptions = {}): EncodedTexts {
  if (texts.length === 0) throw new Error('encodeTexts: no texts');
  const rows = texts.map((t) => tokenizer.encode(t, { bos: options.bos ?? true, eos: options.eos ?? true }));
  const longest = Math.max(...rows.map((r) => r.length));
  const T = options.length ?? longest;
  if (!Number.isInteger(T) || T < 1) throw new Error(`encodeTexts: length must be a positive integer, got ${T}`);
  if (longest > T && !options.truncate) {
    const i = rows.findIndex((r) => r.length > T);
    throw new Error(`encodeTexts: text ${i} has ${rows[i]!.length} tokens, more than length ${T} (pass truncate: true to cut): "${texts[i]}"`);
  }
  const ids = new Int32Array(rows.length * T).fill(tokenizer.special.pad);
  const mask = new Int32Array(rows.length * T);
  const lengths = new Int32Array(rows.length);
  rows.forEach((r, b) => {
    const n = Math.min(T, r.length);
    lengths[b] = n;
    for (let t = 0; t < n; t++) {
      ids[b * T + t] = r[t]!;
      mask[b * T + t] = 1;
    }
  });
  const shape = [rows.length, T];
  return { ids: tensor(ids, { shape, dtype: 'int32', backend: options.backend }), mask: tensor(mask, { shape, dtype: 'int32', backend: options.backend }), lengths };
}

/** Which text of a sample to tokenize. */
export type TextField = 'caption' | 'canonicalCaption' | 'question' | ((sample: Sample) => string);

/** Options of `collate`. */
export interface CollateOptions extends EncodeTextsOptions {
  /** Tokenizer (default: a byte tokenizer). */
  tokenizer?: Tokenizer;
  /** Text to tokenize (default 'caption'; 'question' uses the lettered prompt). */
  text?: TextField;
}

/** A batch of samples as tensors (dispose them, or create them inside `tidy`). */
export interface Batch extends EncodedTexts {
  samples: Sample[];
  /** `[B, 3, H, W]` float32 in [-1, 1]. */
  images: Tensor;
  /** `[B, 9, 3]` int32 per-cell (shape, colour, size) indices, -1 for empty cells. */
  cells: Tensor;
  /** The texts that were tokenized. */
  texts: string[];
}

function textOf(s: Sample, field: TextField): string {
  if (typeof field === 'function') return field(s);
  if (field === 'question') return s.question.prompt;
  if (field === 'caption' || field === 'canonicalCaption') return s[field];
  throw new Error(`collate: unknown text field '${String(field)}'`);
}

const defaultTokenizer = new ByteTokenizer();

/** Turns samples of `world` into tensors on `options.backend`. */
export function collate(world: ShapesWorld, samples: readonly Sample[], options: CollateOptions = {}): Batch {
  if (samples.length === 0) throw new Error('collate: no samples');
  const texts = samples.map((s) => textOf(s, options.text ?? 'caption'));
  const enc = encodeTexts(texts, options.tokenizer ?? defaultTokenizer, options);
  const cells = new Int32Array(samples.length * 27);
  samples.forEach((s, b) => {
    const l = world.cellLabels(s.scene);
    for (let i = 0; i < 9; i++) {
      cells[b * 27 + i * 3] = l.shape[i]!;
      cells[b * 27 + i * 3 + 1] = l.colour[i]!;
      cells[b * 27 + i * 3 + 2] = l.size[i]!;
    }
  });
  return {
    ...enc,
    samples: samples.slice(),
    texts,
    images: imagesToTensor(samples.map((s) => s.image), options.backend),
    cells: tensor(cells, { shape: [samples.length, 9, 3], dtype: 'int32', backend: options.backend }),
  };
}

/** Options of `sampleBatches`. */
export interface SampleBatchesOptions {
  /** Samples per batch. */
  batchSize: number;
  /** Total samples to yield (the data-scale budget); the last batch may be smaller. */
  budget: number;
  /** Cycle over a pool of this many distinct samples (epochs), reshuffled each epoch; default: every sample fresh. */
  poolSize?: number;
  /** First sample index of the split (default 0). */
  start?: number;
  /** Seed of the per-epoch shuffles (default 0). */
  shuffleSeed?: number;
  /** Skip a final batch smaller than `batchSize` (default false). */
  dropLast?: boolean;
}

/** One batch of the iterator: the split indices, their samples, and samples seen so far (including these). */
export interface SampleBatch {
  indices: number[];
  samples: Sample[];
  seen: number;
}

/**
 * Yields batches of samples until `budget` samples have been produced. Without `poolSize` every
 * sample is new (indices `start, start+1, ...`); with it, indices cycle over `start .. start+poolSize-1`
 * in a fresh seeded order each epoch. Deterministic: the same options give the same batches.
 */
export function* sampleBatches(world: ShapesWorld, split: SplitName, options: SampleBatchesOptions): Generator<SampleBatch, void, undefined> {
  const { batchSize, budget } = options;
  const start = options.start ?? 0;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`sampleBatches: batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isSafeInteger(budget) || budget < 0) throw new Error(`sampleBatches: budget must be a non-negative integer, got ${budget}`);
  if (!Number.isSafeInteger(start) || start < 0) throw new Error(`sampleBatches: start must be a non-negative integer, got ${start}`);
  const pool = options.poolSize;
  if (pool !== undefined && (!Number.isInteger(pool) || pool < 1)) throw new Error(`sampleBatches: poolSize must be a positive integer, got ${pool}`);
  let order: number[] = [];
  let epoch = -1;
  const indexAt = (i: number): number => {
    if (pool === undefined) return start + i;
    const e = Math.floor(i / pool);
    if (e !== epoch) {
      epoch = e;
      order = shuffle(streamFor(options.shuffleSeed ?? 0, e), Array.from({ length: pool }, (_, k) => start + k));
    }
    return order[i % pool]!;
  };
  for (let seen = 0; seen < budget; ) {
    const n = Math.min(batchSize, budget - seen);
    if (n < batchSize && options.dropLast) return;
    const indices = Array.from({ length: n }, (_, k) => indexAt(seen + k));
    seen += n;
    yield { indices, samples: indices.map((i) => world.sample(split, i)), seen };
  }
}
