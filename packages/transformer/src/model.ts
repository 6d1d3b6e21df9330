/**
 * The decoder (`TransformerModel`: embeddings, layers, final norm) and the causal LM on top
 * (`TransformerLM`: plus the LM head, optionally tied), with Hugging Face Llama names:
 * `model.embed_tokens.weight`, `model.layers.N....`, `model.norm.weight`, `lm_head.weight`.
 */
import { Tensor, concat, linear, tensor, tidy, where, type Backend, type DType } from '@unihetero/tensor';
import { Embedding, Linear, Module, ModuleList, RMSNorm } from '@unihetero/nn';
import { defineConfig, type TransformerConfig, type TransformerConfigInput } from './config.js';
import { DecoderLayer, type BlockOptions, type ForwardContext } from './layers.js';
import { attentionBias, expandMask, type AttentionLayout } from './mask.js';
import { ropeTables, type RopeTables } from './rope.js';
import { KVCache } from './cache.js';
import { textLoss, type TextLoss, type TextLossOptions } from './loss.js';

/** Inputs of one forward: token ids, ready input embeddings, or a mix of both. */
export interface ForwardInput {
  /** int32 `[B, L]` token ids. */
  inputIds?: Tensor;
  /**
   * Input embeddings: `[B, L, d]` (all positions, or the positions where `embedsMask` is set), or
   * packed `[M, d]` rows for the `M` set positions of `embedsMask` in row-major order.
   */
  inputsEmbeds?: Tensor;
  /**
   * `[B, L]` (tensor, nested or flat host array; 1/true = take the embedding from `inputsEmbeds`,
   * 0 = embed `inputIds`). A packed `inputsEmbeds` needs a host array (or a CPU tensor).
   */
  embedsMask?: Tensor | ArrayLike<number | boolean> | readonly ArrayLike<number | boolean>[];
  /** Spans and padding (causal attention always applies). */
  attention?: AttentionLayout;
  /** Positions `[L]` shared by the batch, or per sample (`[B][L]` / flat `B*L`); default `past + 0..L-1`. */
  positionIds?: ArrayLike<number> | readonly ArrayLike<number>[];
  /** KV cache: keys of earlier calls are attended to, this call's keys are written. */
  cache?: KVCache;
  /** Keep this call's keys in the cache (default true); false reruns a chunk against a fixed prefix. */
  appendToCache?: boolean;
}

/** Outputs of a forward. */
export interface ForwardOutput {
  /** `[B, L, d]` last hidden states, after the final RMSNorm. */
  hiddenStates: Tensor;
  /** `[B, L, V]` logits when `returnLogits` was asked, else null. */
  logits: Tensor | null;
}

/** Model construction options. */
export type TransformerOptions = BlockOptions;

function flatPositions(p: NonNullable<ForwardInput['positionIds']>, batch: number, length: number): { values: ArrayLike<number>; rows: number } {
  const nested = p.length > 0 && typeof p[0] === 'object';
  if (nested) {
    const rows = p as readonly ArrayLike<number>[];
    if (rows.length !== batch) throw new Error(`forward: positionIds has ${rows.length} rows, expected batch ${batch}`);
    const out = new Int32Array(batch * length);
    rows.forEach((r, b) => {
      if (r.length !== length) throw new Error(`forward: positionIds row ${b} has ${r.length} entries, expected ${length}`);
      for (let i = 0; i < length; i++) out[b * length + i] = r[i]!;
    });
    return { values: out, rows: batch };
  }
  const flat = p as ArrayLike<number>;
  if (flat.length === length) return { values: flat, rows: 1 };
  if (flat.length === batch * length) return { values: flat, rows: batch };
  throw new Error(`forward: positionIds has ${flat.length} entries, expected ${length} (shared) or ${batch} x ${length}`);
}

function hostMask(m: NonNullable<ForwardInput['embedsMask']>, batch: number, length: number): Uint8Array {
  if (m instanceof Tensor) {
    if (!m.backend.readSync) throw new Error(`forward: a packed inputsEmbeds needs embedsMask on the host (or on a CPU tensor), got a tensor on ${m.backend.name}`);
    if (m.size !== batch * length) throw new Error(`forward: embedsMask ${JSON.stringify(m.shape)} must be [${batch}, ${length}]`);
    return Uint8Array.from(m.dataSync(), (v) => (v ? 1 : 0));
  }
  const nested = m.length > 0 && typeof m[0] === 'object';
  const out = new Uint8Array(batch * length);
  if (nested) {
    const rows = m as readonly ArrayLike<number | boolean>[];
    if (rows.length !== batch || rows.some((r) => r.length !== length)) throw new Error(`forward: embedsMask must be ${batch} rows of ${length}`);
    rows.forEach((r, b) => {
      for (let i = 0; i < length; i++) out[b * length + i] = r[i] ? 1 : 0;
    });
  } else {
    const flat = m as ArrayLike<number | boolean>;
    if (flat.length !== batch * length) throw new Error(`forward: embedsMask has ${flat.length} entries, expected ${batch} x ${length} = ${batch * length}`);
    for (let i = 0; i < flat.length; i++) out[i] = flat[i] ? 1 : 0;
  }
  return out;
}

/** The decoder body: `embed_tokens`, `layers`, final `norm`. */
export class TransformerModel extends Module {
  embed_tokens: Embedding;
  layers: ModuleList<DecoderLayer>;
  norm: RMSNorm;
  /** The validated configuration. */
  readonly config: TransformerConfig;

  /** A decoder with weights drawn N(0, initializerRange^2) from `options.generator` (docs/method.md 1.5). */
  constructor(config: TransformerConfigInput | TransformerConfig, options: TransformerOptions = {}) {
    super();
    const c = defineConfig(config);
    this.config = c;
    const lo = { generator: options.generator, backend: options.backend, dtype: options.dtype };
    this.embed_tokens = new Embedding(c.vocabSize, c.hiddenSize, { ...lo, std: c.initializerRange });
    this.layers = new ModuleList(Array.from({ length: c.numHiddenLayers }, () => new DecoderLayer(c, options)));
    this.norm = new RMSNorm(c.hiddenSize, { eps: c.rmsNormEps, backend: options.backend, dtype: options.dtype });
  }

  /** Backend of the parameters. */
  override get backend(): Backend {
    return this.embed_tokens.weight.backend;
  }

  /** dtype of the parameters. */
  get dtype(): DType {
    return this.embed_tokens.weight.dtype;
  }

  /** Input embeddings `[B, L, d]` from ids, embeddings, or their mix (see `ForwardInput`). */
  embed(input: ForwardInput): Tensor {
    const d = this.config.hiddenSize;
    const { inputIds: ids, inputsEmbeds: emb, embedsMask } = input;
    if (ids) {
      if (ids.dtype !== 'int32' || ids.rank !== 2) throw new Error(`forward: inputIds must be int32 [B, L], got ${ids.dtype} ${JSON.stringify(ids.shape)}`);
    }
    if (emb) {
      if (emb.shape[emb.rank - 1] !== d || (emb.rank !== 3 && emb.rank !== 2)) throw new Error(`forward: inputsEmbeds must be [B, L, ${d}] (or packed [M, ${d}]), got ${JSON.stringify(emb.shape)}`);
      if (emb.backend !== this.backend) throw new Error(`forward: inputsEmbeds is on ${emb.backend.name}, the model on ${this.backend.name}`);
    }
    if (!ids && !emb) throw new Error('forward: give inputIds, inputsEmbeds, or both with embedsMask');
    if (!ids) {
      if (emb!.rank !== 3) throw new Error(`forward: inputsEmbeds alone must be [B, L, ${d}], got ${JSON.stringify(emb!.shape)}`);
      if (embedsMask !== undefined) throw new Error('forward: embedsMask needs inputIds for the positions it does not cover');
      return emb!.mul(1);
    }
    if (!emb) {
      if (embedsMask !== undefined) throw new Error('forward: embedsMask was given without inputsEmbeds');
      return this.embed_tokens.call(ids);
    }
    if (embedsMask === undefined) throw new Error('forward: inputIds and inputsEmbeds together need embedsMask (1 = take the embedding)');
    const [B, L] = ids.shape as [number, number];
    return tidy(() => {
      const tok = this.embed_tokens.call(ids);
      if (emb.rank === 3) {
        if (emb.shape[0] !== B || emb.shape[1] !== L) throw new Error(`forward: inputsEmbeds ${JSON.stringify(emb.shape)} must match inputIds [${B}, ${L}]`);
        const m = embedsMask instanceof Tensor ? embedsMask : tensor(Int32Array.from(hostMask(embedsMask, B, L)), { shape: [B, L], dtype: 'int32', backend: this.backend });
        if (m.size !== B * L) throw new Error(`forward: embedsMask ${JSON.stringify(m.shape)} must be [${B}, ${L}]`);
        return where(m.reshape(B, L, 1), emb, tok);
      }
      const mask = hostMask(embedsMask, B, L);
      let count = 0;
      const index = new Int32Array(B * L);
      for (let i = 0; i < B * L; i++) index[i] = mask[i] ? B * L + count++ : i;
      if (count !== emb.shape[0]) throw new Error(`forward: packed inputsEmbeds has ${emb.shape[0]} rows but embedsMask sets ${count} positions`);
      const all = concat([tok.reshape(B * L, d), emb], 0);
      return all.indexSelect(0, tensor(index, { dtype: 'int32', backend: this.backend })).reshape(B, L, d);
    });
  }

  /** Shared per-forward state: RoPE tables and the additive mask, built once for every layer. */
  context(input: ForwardInput, batch: number, length: number): { ctx: ForwardContext; newKeyValid: Uint8Array[] } {
    return tidy(() => this.buildContext(input, batch, length));
  }

  private buildContext(input: ForwardInput, batch: number, length: number): { ctx: ForwardContext; newKeyValid: Uint8Array[] } {
    const c = this.config;
    const cache = input.cache ?? null;
    if (cache) {
      if (cache.batch !== batch) throw new Error(`forward: cache batch ${cache.batch} does not match input batch ${batch}`);
      if (cache.numLayers !== c.numHiddenLayers || cache.numKeyValueHeads !== c.numKeyValueHeads || cache.headDim !== c.headDim) {
        throw new Error(`forward: cache (${cache.numLayers} layers, ${cache.numKeyValueHeads} kv heads, head dim ${cache.headDim}) does not fit this model (${c.numHiddenLayers}, ${c.numKeyValueHeads}, ${c.headDim})`);
      }
    }
    const past = cache?.length ?? 0;
    let pos: { values: ArrayLike<number>; rows: number };
    if (input.positionIds !== undefined) pos = flatPositions(input.positionIds, batch, length);
    else pos = { values: Int32Array.from({ length }, (_, i) => past + i), rows: 1 };
    const be = this.backend;
    const dt = this.dtype;
    const rope = (scale: number): RopeTables => {
      const t = ropeTables(pos.values, pos.rows, length, c.headDim, c.ropeTheta, be, dt);
      return scale === 1 ? t : { cos: t.cos.mul(scale), sinSigned: t.sinSigned.mul(scale) };
    };
    const mask = expandMask(input.attention ?? {}, { batch, queryLength: length, pastLength: past, pastKeyValid: cache?.pastKeyValid() });
    const ctx: ForwardContext = { ropeQ: rope(1 / Math.sqrt(c.headDim)), ropeK: rope(1), bias: attentionBias(mask, be, dt), cache };
    return { ctx, newKeyValid: mask.newKeyValid };
  }

  /** Run the decoder: `[B, L, d]` hidden states after the final norm. */
  override forward(input: ForwardInput): Tensor {
    let x = this.embed(input);
    const [B, L] = x.shape as [number, number, number];
    const { ctx, newKeyValid } = this.context(input, B, L);
    const cache = ctx.cache;
    if (cache) cache.reserve(cache.length + L);
    let i = 0;
    for (const layer of this.layers) x = layer.call(x, ctx, i++);
    if (cache && input.appendToCache !== false) cache.advance(L, newKeyValid);
    return this.norm.call(x);
  }
}

/** A causal LM: `TransformerModel` under `model.` plus `lm_head` (absent when tied to the embedding). */
export class TransformerLM extends Module {
  model: TransformerModel;
  /** The LM head `[V, d]` (a Linear without bias), or null when `tieWordEmbeddings`. */
  lm_head: Linear | null;
  /** The validated configuration. */
  readonly config: TransformerConfig;

  /** A causal LM with seeded N(0, initializerRange^2) weights (docs/method.md 1.5). */
  constructor(config: TransformerConfigInput | TransformerConfig, options: TransformerOptions = {}) {
    super();
    this.config = defineConfig(config);
    this.model = new TransformerModel(this.config, options);
    const c = this.config;
    this.lm_head = c.tieWordEmbeddings ? null : new Linear(c.hiddenSize, c.vocabSize, { bias: false, init: { normal: c.initializerRange }, generator: options.generator, backend: options.backend, dtype: options.dtype });
  }

  /** Backend of the parameters. */
  override get backend(): Backend {
    return this.model.backend;
  }

  /** The LM head's weight `[V, d]` (the embedding table when tied). */
  get headWeight(): Tensor {
    return this.lm_head ? this.lm_head.weight : this.model.embed_tokens.weight;
  }

  /** Logits `[..., V]` (contiguous) of hidden states `[..., d]`. */
  logits(hiddenStates: Tensor): Tensor {
    const d = this.config.hiddenSize;
    if (hiddenStates.shape[hiddenStates.rank - 1] !== d) throw new Error(`logits: expected hidden states [..., ${d}], got ${JSON.stringify(hiddenStates.shape)}`);
    return tidy(() => {
      const h = hiddenStates.reshape(-1, d);
      const flat = this.lm_head ? this.lm_head.call(h) : linear(h, this.model.embed_tokens.weight);
      return flat.contiguous().reshape([...hiddenStates.shape.slice(0, -1), this.config.vocabSize]);
    });
  }

  /** Run the model; logits only when `returnLogits` (they are `B*L*V` floats). */
  override forward(input: ForwardInput & { returnLogits?: boolean }): ForwardOutput {
    const hiddenStates = this.model.call(input);
    return { hiddenStates, logits: input.returnLogits ? this.logits(hiddenStates) : null };
  }

  /**
   * Forward plus the text loss against `labels` (see `textLoss`; z-loss weight from the config
   * unless given). Returns the loss parts, the hidden states and the logits.
   */
  computeLoss(input: ForwardInput & { labels: Tensor; loss?: TextLossOptions }): TextLoss & ForwardOutput {
    const out = (this as TransformerLM).call({ ...input, returnLogits: true });
    const parts = textLoss(out.logits!, input.labels, { zLossWeight: this.config.zLossWeight, ...input.loss });
    return { ...parts, ...out };
  }

  /** An empty KV cache for `batch` sequences (capacity grows as needed). */
  createCache(batch: number, capacity = 64): KVCache {
    const c = this.config;
    return new KVCache({ numLayers: c.numHiddenLayers, batch, numKeyValueHeads: c.numKeyValueHeads, headDim: c.headDim, capacity, backend: this.backend, dtype: this.model.dtype });
  }
}
