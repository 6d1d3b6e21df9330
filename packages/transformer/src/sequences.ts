/**
 * Multimodal sequences for any unified model: rows of text runs and image spans are packed into
 * one right-padded batch of host arrays (token ids, HF-style labels, the embeddings mask, the
 * table row each image position reads, image spans and lengths for the attention mask, and the
 * flat positions where the losses apply), then turned into a forward input in one call.
 *
 * ```
 * row:      [{ text: [bos, boi] }, { image: 0 }, { text: [eoi] }, { text: caption, loss: true }]
 * ids:      bos boi pad pad pad pad eoi  c1  c2  ...   (image positions hold padId)
 * embeds:    0   0   1   1   1   1   0   0   0         (1 = input embedding from the table)
 * labels:  -100 ...                -100  c1  c2  ...   (HF layout: logits[t] predicts labels[t+1])
 * span:             [2,           6)                  (full attention inside, causal elsewhere)
 * ```
 *
 * The embedding table holds every image's tokens in order (`[numImages * N, d]` when each image
 * has `N` tokens, image `i` token `j` at row `i * N + j`), followed by one row for the mask
 * embedding (`maskRow`) that masked positions read instead.
 */
import { Tensor, concat, tensor, type Backend } from '@unihetero/tensor';
import type { AttentionLayout, Span } from './mask.js';

/** A run of text tokens. */
export interface TextPart {
  /** Token ids. */
  readonly text: readonly number[];
  /** Train on these tokens: each is the label of the position before it (default false; a row's first token has none). */
  readonly loss?: boolean;
}

/** An image's span of embedding positions. */
export interface ImagePart {
  /** Which image: its tokens are rows of the embedding table (see the module comment). */
  readonly image: number;
  /** Per token of the image, 1/true = feed the mask embedding instead (masked training, generation). */
  readonly masked?: ArrayLike<number | boolean>;
  /** Full attention among the span's positions (default true); false keeps it causal. */
  readonly bidirectional?: boolean;
}

/** One part of a row: text or an image span. */
export type SequencePart = TextPart | ImagePart;

/** Options of `packSequences`. */
export interface PackOptions {
  /** Tokens per image: one count for every image, or one per image (rows of the table in order). */
  tokensPerImage: number | readonly number[];
  /** Images in the table (default: one more than the largest index used; implied by a per-image list). */
  numImages?: number;
  /** Id of padding, also written at image positions (which take embeddings instead). */
  padId: number;
  /** Label of positions without loss (default -100, as `textLoss`). */
  ignoreIndex?: number;
  /** Pad every row to this length (default: the longest row). */
  length?: number;
  /** Round the padded length up to a multiple of this (default 1). */
  padMultiple?: number;
}

/** A packed batch: row-major host arrays (`b * length + t` indexes position `t` of row `b`). */
export interface PackedSequences {
  /** Rows `B` and padded length `L`. */
  readonly batch: number;
  readonly length: number;
  /** `[B*L]` token ids (`padId` at padding and at image positions). */
  readonly ids: Int32Array;
  /** `[B*L]` HF-style labels: the token where its text part has `loss`, else `ignoreIndex`. */
  readonly labels: Int32Array;
  /** Real positions per row (the rest is right padding). */
  readonly lengths: Int32Array;
  /** `[B*L]` 1 at image positions (the input is an embedding). */
  readonly embedsMask: Uint8Array;
  /** Per image position, in row-major order: the table row it reads (`maskRow` where masked). */
  readonly embedRows: Int32Array;
  /** Per image position, in the same order: the table row of its own token (masked or not). */
  readonly imageTokens: Int32Array;
  /** Flat positions (`b*L + t`) of every image position, in the same order. */
  readonly imageRows: Int32Array;
  /** Rows of the image tokens in the table; the mask embedding is the next one, `maskRow`. */
  readonly tableRows: number;
  readonly maskRow: number;
  /** Image spans `[start, end)` of each row (bidirectional ones only). */
  readonly spans: Span[][];
  /** Spans and lengths, ready for `forward({ attention })`. */
  readonly attention: AttentionLayout;
  /** Flat positions whose next token carries the text loss, and those tokens (`logits[textRows]` vs `textTargets`). */
  readonly textRows: Int32Array;
  readonly textTargets: Int32Array;
  /** Masked image positions: flat positions (`b*L + t`) and the table rows of their true tokens. */
  readonly maskedRows: Int32Array;
  readonly maskedTokens: Int32Array;
}

function isImage(p: SequencePart): p is ImagePart {
  return typeof (p as ImagePart).image === 'number';
}

/** Pack rows of text runs and image spans into one right-padded batch (see the module comment). */
export function packSequences(rows: readonly (readonly SequencePart[])[], options: PackOptions): PackedSequences {
  const op = 'packSequences';
  if (rows.length === 0) throw new Error(`${op}: no rows`);
  const ignore = options.ignoreIndex ?? -100;
  const perImage = options.tokensPerImage;
  const used = rows.flatMap((r) => r.filter(isImage).map((p) => p.image));
  const numImages = typeof perImage === 'number' ? (options.numImages ?? (used.length ? Math.max(...used) + 1 : 0)) : perImage.length;
  if (typeof perImage !== 'number' && options.numImages !== undefined && options.numImages !== perImage.length) {
    throw new Error(`${op}: numImages ${options.numImages} differs from tokensPerImage, which lists ${perImage.length} images`);
  }
  const count = (i: number) => (typeof perImage === 'number' ? perImage : perImage[i]!);
  const offsets = new Int32Array(numImages + 1);
  for (let i = 0; i < numImages; i++) {
    const n = count(i);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${op}: tokensPerImage must be positive integers, got ${n} for image ${i}`);
    offsets[i + 1] = offsets[i]! + n;
  }
  const tableRows = offsets[numImages]!;

  // Per row: token ids, which positions have a label, and the image spans.
  const built = rows.map((row, b) => {
    const ids: number[] = [];
    const labelled: boolean[] = [];
    const images: { start: number; image: number; masked?: ArrayLike<number | boolean>; bidirectional: boolean }[] = [];
    row.forEach((part, k) => {
      if (isImage(part)) {
        const i = part.image;
        if (!Number.isInteger(i) || i < 0 || i >= numImages) throw new Error(`${op}: row ${b} part ${k} uses image ${i}, but the table has ${numImages} images`);
        const n = count(i);
        if (part.masked && part.masked.length !== n) throw new Error(`${op}: row ${b} part ${k}: masked has ${part.masked.length} entries, image ${i} has ${n} tokens`);
        images.push({ start: ids.length, image: i, masked: part.masked, bidirectional: part.bidirectional ?? true });
        for (let j = 0; j < n; j++) {
          ids.push(options.padId);
          labelled.push(false);
        }
      } else if (Array.isArray((part as TextPart).text)) {
        for (const id of part.text) {
          if (!Number.isInteger(id)) throw new Error(`${op}: row ${b} part ${k} has a non-integer token ${id}`);
          ids.push(id);
          labelled.push(part.loss === true);
        }
      } else {
        throw new Error(`${op}: row ${b} part ${k} is neither { text } nor { image }: ${JSON.stringify(part)}`);
      }
    });
    if (ids.length === 0) throw new Error(`${op}: row ${b} is empty`);
    labelled[0] = false; // nothing precedes a row's first token, so nothing predicts it
    return { ids, labelled, images };
  });

  const longest = Math.max(...built.map((r) => r.ids.length));
  if (options.length !== undefined && options.length < longest) throw new Error(`${op}: length ${options.length} is shorter than the longest row (${longest})`);
  const multiple = options.padMultiple ?? 1;
  if (!Number.isInteger(multiple) || multiple < 1) throw new Error(`${op}: padMultiple must be a positive integer, got ${multiple}`);
  const L = Math.ceil((options.length ?? longest) / multiple) * multiple;
  const B = rows.length;

  const ids = new Int32Array(B * L).fill(options.padId);
  const labels = new Int32Array(B * L).fill(ignore);
  const lengths = new Int32Array(B);
  const embedsMask = new Uint8Array(B * L);
  const embedRows: number[] = [];
  const imageTokens: number[] = [];
  const imageRows: number[] = [];
  const spans: Span[][] = [];
  const textRows: number[] = [];
  const textTargets: number[] = [];
  const maskedRows: number[] = [];
  const maskedTokens: number[] = [];
  built.forEach((r, b) => {
    const base = b * L;
    ids.set(r.ids, base);
    lengths[b] = r.ids.length;
    for (let t = 0; t < r.ids.length; t++) {
      if (!r.labelled[t]) continue;
      labels[base + t] = r.ids[t]!;
      textRows.push(base + t - 1);
      textTargets.push(r.ids[t]!);
    }
    const rowSpans: Span[] = [];
    for (const img of r.images) {
      const n = count(img.image);
      if (img.bidirectional) rowSpans.push([img.start, img.start + n]);
      for (let j = 0; j < n; j++) {
        const pos = base + img.start + j;
        const token = offsets[img.image]! + j;
        const m = img.masked ? Number(img.masked[j]) !== 0 : false;
        embedsMask[pos] = 1;
        imageRows.push(pos);
        imageTokens.push(token);
        embedRows.push(m ? tableRows : token);
        if (m) {
          maskedRows.push(pos);
          maskedTokens.push(token);
        }
      }
    }
    spans.push(rowSpans);
  });
  return {
    batch: B,
    length: L,
    ids,
    labels,
    lengths,
    embedsMask,
    // Rows, and parts within a row, were visited in order: image positions are row-major, the
    // order in which a packed `inputsEmbeds` is read.
    embedRows: Int32Array.from(embedRows),
    imageTokens: Int32Array.from(imageTokens),
    imageRows: Int32Array.from(imageRows),
    tableRows,
    maskRow: tableRows,
    spans,
    attention: { spans, lengths },
    textRows: Int32Array.from(textRows),
    textTargets: Int32Array.from(textTargets),
    maskedRows: Int32Array.from(maskedRows),
    maskedTokens: Int32Array.from(maskedTokens),
  };
}

/** Options of `sequenceInput`. */
export interface SequenceInputOptions {
  /** `[d]` (or `[1, d]`) embedding fed at masked image positions; required when any is masked. */
  maskEmbedding?: Tensor;
  /** Backend of the id and label tensors (default: the table's, else the mask embedding's, else the default). */
  backend?: Backend;
}

/** What `sequenceInput` returns: a forward input for `TransformerModel`/`TransformerLM`, plus the labels. */
export interface SequenceInput {
  /** int32 `[B, L]`. */
  inputIds: Tensor;
  /** Packed `[M, d]` rows, one per image position (absent when the batch has none). */
  inputsEmbeds?: Tensor;
  /** The host `[B*L]` mask of image positions (absent when the batch has none). */
  embedsMask?: Uint8Array;
  /** Image spans and lengths. */
  attention: AttentionLayout;
  /** int32 `[B, L]` labels for `computeLoss` (HF layout). */
  labels: Tensor;
}

/**
 * The forward input of packed sequences: ids, the image positions' embeddings gathered from
 * `table` (`[tableRows, d]`, or any shape whose last dim is `d`, e.g. `[images, N, d]`) with
 * `maskEmbedding` at masked positions, the attention layout, and the labels. Differentiable in
 * `table` and `maskEmbedding`.
 */
export function sequenceInput(seq: PackedSequences, table: Tensor | null, options: SequenceInputOptions = {}): SequenceInput {
  const op = 'sequenceInput';
  const backend = options.backend ?? table?.backend ?? options.maskEmbedding?.backend;
  const shape = [seq.batch, seq.length];
  const inputIds = tensor(seq.ids, { shape, dtype: 'int32', backend });
  const labels = tensor(seq.labels, { shape, dtype: 'int32', backend });
  const result: SequenceInput = { inputIds, attention: seq.attention, labels };
  if (seq.embedRows.length === 0) return result;
  if (!table) throw new Error(`${op}: the batch has ${seq.embedRows.length} image positions but no embedding table was given`);
  const d = table.shape[table.rank - 1]!;
  const rows = table.reshape(-1, d);
  if (rows.shape[0] !== seq.tableRows) throw new Error(`${op}: table ${JSON.stringify(table.shape)} has ${rows.shape[0]} rows of width ${d}, the sequences index ${seq.tableRows}`);
  let source = rows;
  if (options.maskEmbedding) {
    const m = options.maskEmbedding;
    if (m.size !== d) throw new Error(`${op}: maskEmbedding ${JSON.stringify(m.shape)} must hold ${d} values (the table's width)`);
    source = concat([rows, m.reshape(1, d)], 0);
  } else if (seq.maskedRows.length > 0) {
    throw new Error(`${op}: ${seq.maskedRows.length} image positions are masked but no maskEmbedding was given`);
  }
  result.inputsEmbeds = source.indexSelect(0, tensor(seq.embedRows, { dtype: 'int32', backend: table.backend }));
  result.embedsMask = seq.embedsMask;
  return result;
}

/**
 * Rows of `x` (flattened to `[-1, D]` over all but its last dim) at flat indices: hidden states
 * `[B, L, d]` at `seq.maskedRows` or `seq.textRows`, or a table `[images, N, D]` at
 * `seq.maskedTokens`. Returns `[rows.length, D]`.
 */
export function gatherRows(x: Tensor, rows: ArrayLike<number>): Tensor {
  const D = x.shape[x.rank - 1]!;
  const flat = x.reshape(-1, D);
  const n = flat.shape[0]!;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (!Number.isInteger(r) || r < 0 || r >= n) throw new Error(`gatherRows: row ${r} (entry ${i}) is outside [0, ${n}) for ${JSON.stringify(x.shape)}`);
  }
  return flat.indexSelect(0, tensor(Int32Array.from(rows), { dtype: 'int32', backend: x.backend }));
}
