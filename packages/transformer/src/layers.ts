/**
 * The decoder's building blocks with Hugging Face Llama/Chameleon parameter names:
 * `HeadNorm` (qk-norm), `Attention` (RoPE, GQA, additive mask, KV cache, through the fused
 * `scaledDotProductAttention`), the gated MLP (nn's `GatedMLP`) and `DecoderLayer` (pre-norm
 * residual block). Members are plain fields; every projection runs its submodule. docs/method.md
 * sections 1.1-1.2.
 */
import { Tensor, layerNorm, linear, scaledDotProductAttention, zeros, type Backend, type DType, type Generator } from '@unihetero/tensor';
import { GatedMLP, Linear, Module, RMSNorm, ones_, parameter, zeros_ } from '@unihetero/nn';
import type { QKNorm, TransformerConfig } from './config.js';
import type { KVCache } from './cache.js';
import { applyRope, type RopeTables } from './rope.js';

/** Where a block's parameters live and how they are initialised. */
export interface BlockOptions {
  /** Random stream of the N(0, initializerRange^2) init (default: the global generator). */
  generator?: Generator;
  /** Backend of the parameters (default: the default backend). */
  backend?: Backend;
  /** Parameter dtype (default float32; float64 on CPU for gradcheck). */
  dtype?: DType;
}

/** What every layer of one forward shares: RoPE tables, the additive mask and the cache. */
export interface ForwardContext {
  /** RoPE tables for the queries, pre-scaled by `1/sqrt(d_h)` (the softmax scale folded in). */
  ropeQ: RopeTables;
  /** RoPE tables for the keys. */
  ropeK: RopeTables;
  /** Additive mask `[R, 1, L_q, L_k]`, or null when every pair is allowed. */
  bias: Tensor | null;
  /** KV cache (keys/values of this call are written at `cache.length`). */
  cache: KVCache | null;
}

/** @deprecated `linear(x, weight)` of @unihetero/tensor (`x [..., in] @ weight^T`). */
export function project(x: Tensor, weight: Tensor): Tensor {
  return linear(x, weight);
}

function projection(inF: number, outF: number, cfg: TransformerConfig, o: BlockOptions): Linear {
  return new Linear(inF, outF, { bias: false, init: { normal: cfg.initializerRange }, generator: o.generator, backend: o.backend, dtype: o.dtype });
}

/**
 * QK-norm (docs/method.md 1.2): LayerNorm over `d_h` of each head's query or key, then an affine
 * `gamma * . + beta`, shared by all heads (`[d_h]`) or per head (`[heads, d_h]`, HF Chameleon's
 * layout). `gamma` starts at 1 and `beta` at 0.
 */
export class HeadNorm extends Module {
  /** `[d_h]` (shared) or `[heads, d_h]` (per head). */
  weight: Tensor;
  /** Same shape as `weight`. */
  bias: Tensor;

  /** A qk-norm over `heads` heads of width `headDim`. */
  constructor(
    readonly heads: number,
    readonly headDim: number,
    readonly mode: Exclude<QKNorm, 'none'>,
    readonly eps = 1e-5,
    options: BlockOptions = {},
  ) {
    super();
    if (mode !== 'layernorm-shared' && mode !== 'layernorm-per-head') throw new Error(`HeadNorm: mode must be 'layernorm-shared' or 'layernorm-per-head', got '${String(mode)}'`);
    const shape = mode === 'layernorm-shared' ? [headDim] : [heads, headDim];
    const o = { backend: options.backend, dtype: options.dtype ?? 'float32' };
    this.weight = parameter(ones_(zeros(shape, o)));
    this.bias = parameter(zeros_(zeros(shape, o)));
  }

  /** Normalise `x [B, heads, L, d_h]` per head vector. */
  override forward(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.heads || x.shape[3] !== this.headDim) {
      throw new Error(`HeadNorm.forward: expected [B, ${this.heads}, L, ${this.headDim}], got ${JSON.stringify(x.shape)}`);
    }
    if (this.mode === 'layernorm-shared') return layerNorm(x, this.weight, this.bias, this.eps);
    const w = this.weight.reshape(this.heads, 1, this.headDim);
    const b = this.bias.reshape(this.heads, 1, this.headDim);
    return layerNorm(x, null, null, this.eps).mul(w).add(b);
  }

  override extraRepr(): string {
    return `HeadNorm(${this.mode}, heads=${this.heads}, headDim=${this.headDim}, eps=${this.eps})`;
  }
}

/**
 * Multi-head self-attention with RoPE (HF layout), optional qk-norm before RoPE, grouped-query
 * attention and an additive mask, computed by `scaledDotProductAttention` (the backend's fused
 * kernel when it has one; GQA without copying keys). The softmax scale `1/sqrt(d_h)` is folded
 * into the query's RoPE tables, so the attention runs with scale 1.
 */
export class Attention extends Module {
  q_proj: Linear;
  k_proj: Linear;
  v_proj: Linear;
  o_proj: Linear;
  /** QK-norm of the queries (null when `qkNorm` is 'none'). */
  q_norm: HeadNorm | null;
  /** QK-norm of the keys. */
  k_norm: HeadNorm | null;
  /** `H`. */
  readonly heads: number;
  /** `H_kv`. */
  readonly kvHeads: number;
  /** `d_h`. */
  readonly headDim: number;

  /** The attention of one decoder layer. */
  constructor(
    readonly config: TransformerConfig,
    options: BlockOptions = {},
  ) {
    super();
    const c = config;
    this.heads = c.numAttentionHeads;
    this.kvHeads = c.numKeyValueHeads;
    this.headDim = c.headDim;
    this.q_proj = projection(c.hiddenSize, this.heads * this.headDim, c, options);
    this.k_proj = projection(c.hiddenSize, this.kvHeads * this.headDim, c, options);
    this.v_proj = projection(c.hiddenSize, this.kvHeads * this.headDim, c, options);
    this.o_proj = projection(this.heads * this.headDim, c.hiddenSize, c, options);
    const qk = c.qkNorm;
    this.q_norm = qk === 'none' ? null : new HeadNorm(this.heads, this.headDim, qk, c.qkNormEps, options);
    this.k_norm = qk === 'none' ? null : new HeadNorm(this.kvHeads, this.headDim, qk, c.qkNormEps, options);
  }

  /** `x [B, L, d] -> [B, L, d]`; `layer` indexes the cache. */
  override forward(x: Tensor, ctx: ForwardContext, layer = 0): Tensor {
    const d = this.config.hiddenSize;
    if (x.rank !== 3 || x.shape[2] !== d) throw new Error(`Attention.forward: expected [B, L, ${d}], got ${JSON.stringify(x.shape)}`);
    const [B, L] = x.shape as [number, number, number];
    const dh = this.headDim;
    const x2 = x.reshape(B * L, d);
    const heads = (y: Tensor, n: number) => y.reshape(B, L, n, dh).permute(0, 2, 1, 3); // [B, n, L, d_h]
    let q = heads(this.q_proj.call(x2), this.heads);
    let k = heads(this.k_proj.call(x2), this.kvHeads);
    let v = heads(this.v_proj.call(x2), this.kvHeads);
    if (this.q_norm) q = this.q_norm.call(q);
    if (this.k_norm) k = this.k_norm.call(k);
    q = applyRope(q, ctx.ropeQ);
    k = applyRope(k, ctx.ropeK);
    if (ctx.cache) ({ k, v } = ctx.cache.update(layer, k, v));
    const o = scaledDotProductAttention(q, k, v, { mask: ctx.bias, scale: 1 });
    return this.o_proj.call(o.permute(0, 2, 1, 3).reshape(B * L, this.heads * dh)).reshape(B, L, d);
  }
}

/** The decoder layer's MLP: nn's `GatedMLP` with Llama's names, no biases and N(0, initializerRange^2) weights. */
export function decoderMLP(config: TransformerConfig, options: BlockOptions = {}): GatedMLP {
  const c = config;
  return new GatedMLP(c.hiddenSize, c.intermediateSize, { bias: false, init: { normal: c.initializerRange }, generator: options.generator, backend: options.backend, dtype: options.dtype });
}

/** Pre-norm decoder layer: `h = x + Attn(RMSNorm(x))`, `out = h + MLP(RMSNorm(h))` (docs/method.md 1.1). */
export class DecoderLayer extends Module {
  self_attn: Attention;
  mlp: GatedMLP;
  input_layernorm: RMSNorm;
  post_attention_layernorm: RMSNorm;

  /** One decoder layer. */
  constructor(
    readonly config: TransformerConfig,
    options: BlockOptions = {},
  ) {
    super();
    const no = { eps: config.rmsNormEps, backend: options.backend, dtype: options.dtype };
    this.self_attn = new Attention(config, options);
    this.mlp = decoderMLP(config, options);
    this.input_layernorm = new RMSNorm(config.hiddenSize, no);
    this.post_attention_layernorm = new RMSNorm(config.hiddenSize, no);
  }

  /** `x [B, L, d] -> [B, L, d]`. */
  override forward(x: Tensor, ctx: ForwardContext, layer = 0): Tensor {
    const h = x.add(this.self_attn.call(this.input_layernorm.call(x), ctx, layer));
    return h.add(this.mlp.call(this.post_attention_layernorm.call(h)));
  }
}
