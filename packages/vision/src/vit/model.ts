/**
 * A ViT with DINOv2's architecture and Hugging Face `Dinov2Model` parameter names and shapes
 * (docs/method.md 3.1, 3.3, 3.5): patch embedding (a stride-p conv computed as patchify + matmul), CLS
 * token, optional register tokens, learned position embeddings interpolated bicubically to the
 * input grid (docs/method.md 3.4), pre-norm blocks with LayerScale, q/k/v biases, attention through
 * the fused `scaledDotProductAttention`, exact-erf GELU MLP (or SwiGLU), final LayerNorm. A
 * `facebook/dinov2-*` `.safetensors` file loads into it unchanged. Members are plain fields;
 * forwards run their submodules with `call`.
 */
import { Generator, Tensor, concat, fmtShape, linear, scaledDotProductAttention, tidy, zeros, type Backend } from '@unihetero/tensor';
import { LayerNorm, Linear, Module, ModuleList, constant_, parameter, truncNormal_, zeros_ } from '@unihetero/nn';
import { resize2d } from '../interp.js';
import { patchify, type TokenGrid } from '../patchify.js';
import { mlpHiddenSize, storedGridSide, vitConfig, type ViTActivation, type ViTConfig } from './config.js';

/** Where a ViT creates its parameters. */
export interface ViTOptions {
  /** Random stream of the initialisation (default: the global generator). */
  generator?: Generator;
  /** Backend of the parameters (default: the default backend). */
  backend?: Backend;
}

/** HF initialisation for a Linear / conv: truncated normal(0, range²) weight, zero bias. */
function initLinear(weight: Tensor, bias: Tensor | null, range: number, g?: Generator): void {
  truncNormal_(weight, 0, range, -2, 2, g);
  if (bias) zeros_(bias);
}

function dense(inF: number, outF: number, bias: boolean, c: ViTConfig, o: ViTOptions): Linear {
  return new Linear(inF, outF, { bias, backend: o.backend, init: (w, b, g) => initLinear(w, b, c.initializerRange, g), generator: o.generator });
}

function layerNorm(c: ViTConfig, o: ViTOptions): LayerNorm {
  return new LayerNorm(c.hiddenSize, { eps: c.layerNormEps, backend: o.backend });
}

function act(name: ViTActivation, x: Tensor): Tensor {
  switch (name) {
    case 'gelu':
      return x.gelu();
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
      return x.gelu('tanh');
    case 'relu':
      return x.relu();
    case 'silu':
    case 'swish':
      return x.silu();
    default:
      throw new Error(`Dinov2MLP: unsupported activation '${String(name)}'`);
  }
}

/** A `Conv2d(C -> D, kernel = stride = p)` with weight `[D, C, p, p]`, bias `[D]`, computed as patchify + matmul. */
export class PatchConv2d extends Module {
  /** `[outChannels, inChannels, p, p]`. */
  weight: Tensor;
  /** `[outChannels]`. */
  bias: Tensor;

  /** A patch projection with PyTorch's `Conv2d` layout. */
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly patchSize: number,
    c: ViTConfig,
    o: ViTOptions = {},
  ) {
    super();
    this.weight = parameter(zeros([outChannels, inChannels, patchSize, patchSize], { backend: o.backend }));
    this.bias = parameter(zeros([outChannels], { backend: o.backend }));
    initLinear(this.weight, this.bias, c.initializerRange, o.generator);
  }

  /**
   * `x [B, C, H, W] -> [B, (H/p)(W/p), D]`, row-major. As PyTorch's conv, trailing rows/columns
   * that do not fill a patch are ignored.
   */
  override forward(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) throw new Error(`PatchConv2d.forward: expected [B, ${this.inChannels}, H, W], got ${fmtShape(x.shape)}`);
    const p = this.patchSize;
    const [, , h, w] = x.shape as [number, number, number, number];
    if (h < p || w < p) throw new Error(`PatchConv2d.forward: image ${h}x${w} is smaller than patch size ${p}`);
    let img = x;
    if (h % p !== 0) img = img.narrow(2, 0, h - (h % p));
    if (w % p !== 0) img = img.narrow(3, 0, w - (w % p));
    return linear(patchify(img, p, 'chw'), this.weight.reshape([this.outChannels, this.inChannels * p * p]), this.bias);
  }
}

/** HF `Dinov2PatchEmbeddings`: holds `projection` (the patch conv). */
export class Dinov2PatchEmbeddings extends Module {
  /** The patch conv. */
  projection: PatchConv2d;

  /** Patch embeddings for a config. */
  constructor(c: ViTConfig, o: ViTOptions = {}) {
    super();
    this.projection = new PatchConv2d(c.numChannels, c.hiddenSize, c.patchSize, c, o);
  }

  /** `pixels [B, C, H, W] -> [B, N, D]`. */
  override forward(x: Tensor): Tensor {
    return this.projection.call(x);
  }
}

/** The token grid a ViT with patch size `p` produces for an image (PyTorch conv: floor). */
export function vitGrid(height: number, width: number, patchSize: number): TokenGrid {
  const h = Math.floor(height / patchSize);
  const w = Math.floor(width / patchSize);
  if (h < 1 || w < 1) throw new Error(`vitGrid: image ${height}x${width} is smaller than patch size ${patchSize}`);
  return { height: h, width: w };
}

/**
 * Interpolate `pos [1, 1 + n0·n0, D]` (CLS row first) to a `grid`: the patch rows as a
 * `[D, n0, n0]` image resized bicubically with `align_corners = false` (antialiased if asked), CLS
 * row unchanged (docs/method.md 3.4). Returns a copy when the grid already matches.
 */
export function interpolatePositionEmbeddings(pos: Tensor, grid: TokenGrid, antialias = false): Tensor {
  if (pos.rank !== 3 || pos.shape[0] !== 1) throw new Error(`interpolatePositionEmbeddings: expected [1, 1 + n*n, D], got ${fmtShape(pos.shape)}`);
  const np = pos.shape[1]! - 1;
  const d = pos.shape[2]!;
  const n0 = Math.round(Math.sqrt(np));
  if (n0 * n0 !== np) throw new Error(`interpolatePositionEmbeddings: ${np} patch positions are not a square grid`);
  if (grid.height === n0 && grid.width === n0) return pos.clone();
  return tidy(() => {
    const cls = pos.narrow(1, 0, 1);
    const patch = pos.narrow(1, 1, np).reshape([n0, n0, d]).permute([2, 0, 1]); // [D, n0, n0]
    const resized = resize2d(patch, [grid.height, grid.width], { mode: 'bicubic', alignCorners: false, antialias });
    const back = resized.permute([1, 2, 0]).reshape([1, grid.height * grid.width, d]);
    return concat([cls, back], 1);
  });
}

/** HF `Dinov2Embeddings` / `Dinov2WithRegistersEmbeddings`. */
export class Dinov2Embeddings extends Module {
  /** `[1, 1, D]`. */
  cls_token: Tensor;
  /** `[1, D]` (only when `useMaskToken`; unused here). */
  mask_token: Tensor | null = null;
  /** `[1, R, D]` (only with registers). */
  register_tokens: Tensor | null = null;
  /** `[1, 1 + n0·n0, D]`. */
  position_embeddings: Tensor;
  /** The patch projection. */
  patch_embeddings: Dinov2PatchEmbeddings;

  /** Embeddings for a config. */
  constructor(
    readonly config: ViTConfig,
    o: ViTOptions = {},
  ) {
    super();
    const d = config.hiddenSize;
    const b = o.backend;
    const n0 = storedGridSide(config);
    const r = config.initializerRange;
    this.cls_token = parameter(truncNormal_(zeros([1, 1, d], { backend: b }), 0, r, -2, 2, o.generator));
    if (config.useMaskToken || config.numRegisterTokens > 0) this.mask_token = parameter(zeros([1, d], { backend: b }));
    if (config.numRegisterTokens > 0) this.register_tokens = parameter(zeros([1, config.numRegisterTokens, d], { backend: b }));
    this.patch_embeddings = new Dinov2PatchEmbeddings(config, o);
    this.position_embeddings = parameter(truncNormal_(zeros([1, 1 + n0 * n0, d], { backend: b }), 0, r, -2, 2, o.generator));
  }

  /** `pixels [B, C, H, W] -> [B, 1 + R + N, D]`: CLS, registers (no position), patches. */
  override forward(x: Tensor): Tensor {
    const c = this.config;
    const grid = vitGrid(x.shape[2]!, x.shape[3]!, c.patchSize);
    const patches = this.patch_embeddings.call(x);
    const bsz = patches.shape[0]!;
    const cls = this.cls_token.expand([bsz, 1, c.hiddenSize]);
    const pos = interpolatePositionEmbeddings(this.position_embeddings, grid, c.interpolateAntialias);
    const emb = concat([cls, patches], 1).add(pos);
    if (!this.register_tokens) return emb;
    const regs = this.register_tokens.expand([bsz, c.numRegisterTokens, c.hiddenSize]);
    return concat([emb.narrow(1, 0, 1), regs, emb.narrow(1, 1, emb.shape[1]! - 1)], 1);
  }
}

/** HF `Dinov2SelfAttention`: `query`, `key`, `value` projections and softmax attention (`scaledDotProductAttention`). */
export class Dinov2SelfAttention extends Module {
  /** HF `query`. */
  query: Linear;
  /** HF `key`. */
  key: Linear;
  /** HF `value`. */
  value: Linear;
  /** Heads. */
  readonly numHeads: number;

  /** Self-attention for a config. */
  constructor(c: ViTConfig, o: ViTOptions = {}) {
    super();
    this.numHeads = c.numAttentionHeads;
    this.query = dense(c.hiddenSize, c.hiddenSize, c.qkvBias, c, o);
    this.key = dense(c.hiddenSize, c.hiddenSize, c.qkvBias, c, o);
    this.value = dense(c.hiddenSize, c.hiddenSize, c.qkvBias, c, o);
  }

  /** `x [B, T, D] -> context [B, T, D]` (full attention, scale `1/sqrt(d_h)`). */
  override forward(x: Tensor): Tensor {
    const [b, t, d] = x.shape as [number, number, number];
    const h = this.numHeads;
    const dh = d / h;
    const heads = (y: Tensor) => y.reshape([b, t, h, dh]).transpose(1, 2); // [B, H, T, dh]
    const q = heads(this.query.call(x));
    const k = heads(this.key.call(x));
    const v = heads(this.value.call(x));
    return scaledDotProductAttention(q, k, v, { scale: 1 / Math.sqrt(dh) }).transpose(1, 2).reshape([b, t, d]);
  }
}

/** HF `Dinov2SelfOutput`: the `dense` output projection. */
export class Dinov2SelfOutput extends Module {
  /** HF `dense`. */
  dense: Linear;
  /** The output projection for a config. */
  constructor(c: ViTConfig, o: ViTOptions = {}) {
    super();
    this.dense = dense(c.hiddenSize, c.hiddenSize, true, c, o);
  }
  /** `[B, T, D] -> [B, T, D]`. */
  override forward(x: Tensor): Tensor {
    return this.dense.call(x);
  }
}

/** HF `Dinov2Attention`: `attention` (self-attention) then `output` (projection). */
export class Dinov2Attention extends Module {
  /** HF `attention`. */
  attention: Dinov2SelfAttention;
  /** HF `output`. */
  output: Dinov2SelfOutput;
  /** Attention for a config. */
  constructor(c: ViTConfig, o: ViTOptions = {}) {
    super();
    this.attention = new Dinov2SelfAttention(c, o);
    this.output = new Dinov2SelfOutput(c, o);
  }
  /** `[B, T, D] -> [B, T, D]`. */
  override forward(x: Tensor): Tensor {
    return this.output.call(this.attention.call(x));
  }
}

/** HF `Dinov2LayerScale`: per-channel `lambda1 [D]` multiplier. */
export class Dinov2LayerScale extends Module {
  /** HF `lambda1`. */
  lambda1: Tensor;
  /** LayerScale initialised to `layerscaleValue`. */
  constructor(c: ViTConfig, o: ViTOptions = {}) {
    super();
    this.lambda1 = parameter(constant_(zeros([c.hiddenSize], { backend: o.backend }), c.layerscaleValue));
  }
  /** `x · lambda1`. */
  override forward(x: Tensor): Tensor {
    return x.mul(this.lambda1);
  }
}

/** HF `Dinov2MLP`: `fc1 -> activation -> fc2`. */
export class Dinov2MLP extends Module {
  /** HF `fc1`. */
  fc1: Linear;
  /** HF `fc2`. */
  fc2: Linear;
  /** The activation. */
  readonly act: ViTActivation;
  /** The MLP for a config. */
  constructor(c: ViTConfig, o: ViTOptions = {}) {
    super();
    const hid = mlpHiddenSize(c);
    this.act = c.hiddenAct;
    this.fc1 = dense(c.hiddenSize, hid, true, c, o);
    this.fc2 = dense(hid, c.hiddenSize, true, c, o);
  }
  /** `[B, T, D] -> [B, T, D]`. */
  override forward(x: Tensor): Tensor {
    return this.fc2.call(act(this.act, this.fc1.call(x)));
  }
}

/** HF `Dinov2SwiGLUFFN`: `weights_in` (to 2·hidden), `silu(x1) · x2`, `weights_out`. */
export class Dinov2SwiGLUFFN extends Module {
  /** HF `weights_in`. */
  weights_in: Linear;
  /** HF `weights_out`. */
  weights_out: Linear;
  /** Hidden width. */
  readonly hidden: number;
  /** The SwiGLU FFN for a config. */
  constructor(c: ViTConfig, o: ViTOptions = {}) {
    super();
    this.hidden = mlpHiddenSize(c);
    this.weights_in = dense(c.hiddenSize, 2 * this.hidden, true, c, o);
    this.weights_out = dense(this.hidden, c.hiddenSize, true, c, o);
  }
  /** `[B, T, D] -> [B, T, D]`. */
  override forward(x: Tensor): Tensor {
    const [x1, x2] = this.weights_in.call(x).chunk(2, -1) as [Tensor, Tensor];
    return this.weights_out.call(x1.silu().mul(x2));
  }
}

/** HF `Dinov2Layer`: `x += ls1 · Attn(norm1 x); x += ls2 · MLP(norm2 x)`. */
export class Dinov2Layer extends Module {
  /** HF `norm1`. */
  norm1: LayerNorm;
  /** HF `attention`. */
  attention: Dinov2Attention;
  /** HF `layer_scale1`. */
  layer_scale1: Dinov2LayerScale;
  /** HF `norm2`. */
  norm2: LayerNorm;
  /** HF `mlp`. */
  mlp: Dinov2MLP | Dinov2SwiGLUFFN;
  /** HF `layer_scale2`. */
  layer_scale2: Dinov2LayerScale;

  /** A pre-norm block for a config. */
  constructor(c: ViTConfig, o: ViTOptions = {}) {
    super();
    this.norm1 = layerNorm(c, o);
    this.attention = new Dinov2Attention(c, o);
    this.layer_scale1 = new Dinov2LayerScale(c, o);
    this.norm2 = layerNorm(c, o);
    this.mlp = c.useSwigluFfn ? new Dinov2SwiGLUFFN(c, o) : new Dinov2MLP(c, o);
    this.layer_scale2 = new Dinov2LayerScale(c, o);
  }

  /** `[B, T, D] -> [B, T, D]`. */
  override forward(x: Tensor): Tensor {
    const h = x.add(this.layer_scale1.call(this.attention.call(this.norm1.call(x))));
    return h.add(this.layer_scale2.call(this.mlp.call(this.norm2.call(h))));
  }
}

/** HF `Dinov2Encoder`: the `layer` list. */
export class Dinov2Encoder extends Module {
  /** HF `layer`. */
  layer: ModuleList<Dinov2Layer>;
  /** `numHiddenLayers` blocks. */
  constructor(c: ViTConfig, o: ViTOptions = {}) {
    super();
    this.layer = new ModuleList(Array.from({ length: c.numHiddenLayers }, () => new Dinov2Layer(c, o)));
  }
  /** Run every block. */
  override forward(x: Tensor): Tensor {
    let h = x;
    for (const l of this.layer) h = l.call(h);
    return h;
  }
}

/**
 * HF `Dinov2Model` (and `Dinov2WithRegistersModel`): `forward(pixels)` is the last hidden state
 * after the final LayerNorm `[B, 1 + R + N, D]`; `patchTokens(pixels)` drops CLS and registers
 * (docs/method.md 3.6). Pixels are already preprocessed (see `preprocessImages`).
 */
export class Dinov2Model extends Module {
  /** The validated config. */
  readonly config: ViTConfig;
  /** HF `embeddings`. */
  embeddings: Dinov2Embeddings;
  /** HF `encoder`. */
  encoder: Dinov2Encoder;
  /** HF `layernorm`. */
  layernorm: LayerNorm;

  /** A freshly initialised model (HF's init: truncated normal 0.02, zero biases, LayerScale value). */
  constructor(config: Partial<ViTConfig> = {}, options: ViTOptions = {}) {
    super();
    this.config = vitConfig(config);
    this.embeddings = new Dinov2Embeddings(this.config, options);
    this.encoder = new Dinov2Encoder(this.config, options);
    this.layernorm = layerNorm(this.config, options);
  }

  /** The token grid for an `height × width` input. */
  grid(height: number, width: number): TokenGrid {
    return vitGrid(height, width, this.config.patchSize);
  }

  /** `pixels [B, C, H, W] -> [B, 1 + R + N, D]` (the HF `last_hidden_state`). */
  override forward(pixels: Tensor): Tensor {
    const c = this.config;
    if (pixels.rank !== 4 || pixels.shape[1] !== c.numChannels) {
      throw new Error(`Dinov2Model.forward: expected pixels [B, ${c.numChannels}, H, W], got ${fmtShape(pixels.shape)}`);
    }
    return this.layernorm.call(this.encoder.call(this.embeddings.call(pixels)));
  }

  /** Patch tokens only, `[B, N, D]`, row-major over `grid(H, W)` (docs/method.md 3.6). */
  patchTokens(pixels: Tensor): Tensor {
    return tidy(() => {
      const all = (this as Dinov2Model).call(pixels);
      const skip = 1 + this.config.numRegisterTokens;
      return all.narrow(1, skip, all.shape[1]! - skip).contiguous();
    });
  }
}
