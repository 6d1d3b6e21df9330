/**
 * The decoder's building blocks with Hugging Face Llama/Chameleon parameter names:
 * `HeadNorm` (qk-norm), `Attention` (RoPE, GQA, additive mask, KV cache), `GatedMLP` (SwiGLU) and
 * `DecoderLayer` (pre-norm residual block). METHOD.md sections 1.1-1.2.
 */
import { Tensor, layerNorm, tidy, zeros, type Backend, type DType, type Generator } from '@unihetero/tensor';
import { Linear, Module, RMSNorm, ones_, zeros_ } from '@unihetero/nn';
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

/**
 * `x [N, in] @ weight^T` for a PyTorch-layout `weight [out, in]`, computed as `(weight @ x^T)^T`
 * (a transposed view): the weight enters the matmul directly, so its gradient arrives
 * contiguous, as in nn's `Linear`.
 */
export function project(x: Tensor, weight: Tensor): Tensor {
  const xt = x.transpose(0, 1);
  const yt = weight.matmul(xt);
  xt.dispose();
  const y = yt.transpose(0, 1);
  yt.dispose();
  return y;
}

function linear(inF: number, outF: number, cfg: TransformerConfig, o: BlockOptions): Linear {
  return new Linear(inF, outF, { bias: false, init: { normal: cfg.initializerRange }, generator: o.generator, backend: o.backend, dtype: o.dtype });
}

/**
 * QK-norm (METHOD.md 1.2): LayerNorm over `d_h` of each head's query or key, then an affine
 * `gamma * . + beta`, shared by all heads (`[d_h]`) or per head (`[heads, d_h]`, HF Chameleon's
 * layout). `gamma` starts at 1 and `beta` at 0.
 */
export class HeadNorm extends Module {
  /** `[d_h]` (shared) or `[heads, d_h]` (per head). */
  declare weight: Tensor;
  /** Same shape as `weight`. */
  declare bias: Tensor;

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
    this.registerParameter('weight', ones_(zeros(shape, o)));
    this.registerParameter('bias', zeros_(zeros(shape, o)));
  }

  /** Normalise `x [B, heads, L, d_h]` per head vector. */
  override forward(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.heads || x.shape[3] !== this.headDim) {
      throw new Error(`HeadNorm.forward: expected [B, ${this.heads}, L, ${this.headDim}], got ${JSON.stringify(x.shape)}`);
    }
    if (this.mode === 'layernorm-shared') return layerNorm(x, this.weight, this.bias, this.eps);
    return tidy(() => {
      const w = this.weight.reshape(this.heads, 1, this.headDim);
      const b = this.bias.reshape(this.heads, 1, this.headDim);
      return layerNorm(x, null, null, this.eps).mul(w).add(b);
    });
  }

  override extraRepr(): string {
    return `HeadNorm(${this.mode}, heads=${this.heads}, headDim=${this.headDim}, eps=${this.eps})`;
  }
}

/**
 * Multi-head self-attention with RoPE (HF layout), optional qk-norm before RoPE, grouped-query
 * attention and an additive mask. Scores for all heads come from ONE batched matmul: queries
 * are grouped per key/value head as `[B, H_kv, (H/H_kv)*L, d_h]`, so GQA never copies keys.
 */
export class Attention extends Module {
  declare q_proj: Linear;
  declare k_proj: Linear;
  declare v_proj: Linear;
  declare o_proj: Linear;
  /** QK-norm of the queries (null when `qkNorm` is 'none'). */
  declare q_norm: HeadNorm | null;
  /** QK-norm of the keys. */
  declare k_norm: HeadNorm | null;
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
    this.registerModule('q_proj', linear(c.hiddenSize, this.heads * this.headDim, c, options));
    this.registerModule('k_proj', linear(c.hiddenSize, this.kvHeads * this.headDim, c, options));
    this.registerModule('v_proj', linear(c.hiddenSize, this.kvHeads * this.headDim, c, options));
    this.registerModule('o_proj', linear(this.heads * this.headDim, c.hiddenSize, c, options));
    const qk = c.qkNorm;
    this.registerModule('q_norm', qk === 'none' ? null : new HeadNorm(this.heads, this.headDim, qk, c.qkNormEps, options));
    this.registerModule('k_norm', qk === 'none' ? null : new HeadNorm(this.kvHeads, this.headDim, qk, c.qkNormEps, options));
  }

  /** `x [B, L, d] -> [B, L, d]`; `layer` indexes the cache. */
  override forward(x: Tensor, ctx: ForwardContext, layer = 0): Tensor {
    const d = this.config.hiddenSize;
    if (x.rank !== 3 || x.shape[2] !== d) throw new Error(`Attention.forward: expected [B, L, ${d}], got ${JSON.stringify(x.shape)}`);
    const [B, L] = x.shape as [number, number, number];
    const H = this.heads;
    const Hkv = this.kvHeads;
    const dh = this.headDim;
    const g = H / Hkv;
    return tidy(() => {
      const x2 = x.reshape(B * L, d);
      const heads = (w: Tensor, n: number) => project(x2, w).reshape(B, L, n, dh).permute(0, 2, 1, 3);
      let q = heads(this.q_proj.weight, H);
      let k = heads(this.k_proj.weight, Hkv);
      let v = heads(this.v_proj.weight, Hkv);
      if (this.q_norm) q = this.q_norm.forward(q);
      if (this.k_norm) k = this.k_norm.forward(k);
      q = applyRope(q, ctx.ropeQ);
      k = applyRope(k, ctx.ropeK);
      if (ctx.cache) ({ k, v } = ctx.cache.update(layer, k, v));
      const Lk = k.shape[2]!;
      let scores = q.reshape(B, Hkv, g * L, dh).matmul(k.transpose(-2, -1)).reshape(B, H, L, Lk);
      if (ctx.bias) scores = scores.add(ctx.bias);
      const p = scores.softmax(-1).reshape(B, Hkv, g * L, Lk);
      const o = p.matmul(v).reshape(B, H, L, dh).permute(0, 2, 1, 3).reshape(B * L, H * dh);
      return project(o, this.o_proj.weight).reshape(B, L, d);
    });
  }
}

/** Llama's SwiGLU feed-forward with HF names: `down_proj(silu(gate_proj x) * up_proj x)`. */
export class GatedMLP extends Module {
  declare gate_proj: Linear;
  declare up_proj: Linear;
  declare down_proj: Linear;

  /** The MLP of one decoder layer. */
  constructor(
    readonly config: TransformerConfig,
    options: BlockOptions = {},
  ) {
    super();
    const c = config;
    this.registerModule('gate_proj', linear(c.hiddenSize, c.intermediateSize, c, options));
    this.registerModule('up_proj', linear(c.hiddenSize, c.intermediateSize, c, options));
    this.registerModule('down_proj', linear(c.intermediateSize, c.hiddenSize, c, options));
  }

  /** `x [..., d] -> [..., d]`. */
  override forward(x: Tensor): Tensor {
    const d = this.config.hiddenSize;
    if (x.rank === 0 || x.shape[x.rank - 1] !== d) throw new Error(`GatedMLP.forward: expected [..., ${d}], got ${JSON.stringify(x.shape)}`);
    return tidy(() => {
      // In the transposed space `[features, N]` every intermediate is contiguous.
      const xt = x.reshape(-1, d).transpose(0, 1);
      const ht = this.gate_proj.weight.matmul(xt).silu().mul(this.up_proj.weight.matmul(xt));
      return this.down_proj.weight.matmul(ht).transpose(0, 1).reshape([...x.shape]);
    });
  }
}

/** Pre-norm decoder layer: `h = x + Attn(RMSNorm(x))`, `out = h + MLP(RMSNorm(h))` (METHOD.md 1.1). */
export class DecoderLayer extends Module {
  declare self_attn: Attention;
  declare mlp: GatedMLP;
  declare input_layernorm: RMSNorm;
  declare post_attention_layernorm: RMSNorm;

  /** One decoder layer. */
  constructor(
    readonly config: TransformerConfig,
    options: BlockOptions = {},
  ) {
    super();
    const no = { eps: config.rmsNormEps, backend: options.backend, dtype: options.dtype };
    this.registerModule('self_attn', new Attention(config, options));
    this.registerModule('mlp', new GatedMLP(config, options));
    this.registerModule('input_layernorm', new RMSNorm(config.hiddenSize, no));
    this.registerModule('post_attention_layernorm', new RMSNorm(config.hiddenSize, no));
  }

  /** `x [B, L, d] -> [B, L, d]`. */
  override forward(x: Tensor, ctx: ForwardContext, layer = 0): Tensor {
    return tidy(() => {
      const h = x.add(this.self_attn.forward(this.input_layernorm.forward(x), ctx, layer));
      return h.add(this.mlp.forward(this.post_attention_layernorm.forward(h)));
    });
  }
}
