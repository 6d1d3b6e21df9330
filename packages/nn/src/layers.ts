/**
 * Layers: Linear, Embedding, LayerNorm, RMSNorm, Dropout, activations, MLP and GatedMLP (SwiGLU).
 * Every constructor takes `{ generator, backend, dtype }` so construction is deterministic and
 * lands on the chosen backend. Members are plain fields; forwards are plain maths.
 */
import { Generator, Tensor, embedding, fmtShape, layerNorm, linear, noGrad, rmsNorm, zeros, type Backend, type DType } from '@unihetero/tensor';
import { Module, ModuleList, parameter } from './module.js';
import { linearDefault_, normal_, ones_, zeros_, xavierUniform_ } from './init.js';

/** Where and how a layer creates its parameters. */
export interface LayerOptions {
  /** Random stream for the initialisation (default: the global generator). */
  generator?: Generator;
  /** Backend for the parameters (default: the default backend). */
  backend?: Backend;
  /** Parameter dtype (default float32). */
  dtype?: DType;
}

/** A zero-filled tensor that an initialiser then overwrites. */
function empty(shape: number[], o: { backend?: Backend; dtype?: DType }): Tensor {
  return zeros(shape, { backend: o.backend, dtype: o.dtype ?? 'float32' });
}

function checkDim(op: string, what: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${op}: ${what} must be a positive integer, got ${v}`);
}

/** `checkDim` for each named size. */
function checkDims(op: string, sizes: Record<string, number>): void {
  for (const [what, v] of Object.entries(sizes)) checkDim(op, what, v);
}

/** How `Linear` initialises its weight and bias. */
export type LinearInit =
  | 'default'
  | 'xavier_uniform'
  | 'zeros'
  | { normal: number }
  | ((weight: Tensor, bias: Tensor | null, generator: Generator | undefined) => void);

/** Options of `Linear`. */
export interface LinearOptions extends LayerOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /**
   * Initialisation: 'default' (PyTorch: kaiming-uniform a=sqrt(5), bias U(+-1/sqrt(in))),
   * 'xavier_uniform' (bias zero), 'zeros', `{ normal: std }` (N(0, std^2), bias zero), or a function.
   */
  init?: LinearInit;
}

/** `y = x W^T + b` with `weight [out, in]` and `bias [out]` (PyTorch layout and names). */
export class Linear extends Module {
  /** `[outFeatures, inFeatures]`. */
  weight: Tensor;
  /** `[outFeatures]` or null. */
  bias: Tensor | null;

  /** A linear map from `inFeatures` to `outFeatures`. */
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    checkDims('Linear', { inFeatures, outFeatures });
    const o = { backend: options.backend, dtype: options.dtype };
    this.weight = parameter(empty([outFeatures, inFeatures], o));
    this.bias = options.bias === false ? null : parameter(empty([outFeatures], o));
    const init = options.init ?? 'default';
    const g = options.generator;
    if (typeof init === 'function') init(this.weight, this.bias, g);
    else if (init === 'default') linearDefault_(this.weight, this.bias, g);
    else if (init === 'xavier_uniform') {
      xavierUniform_(this.weight, 1, g);
      if (this.bias) zeros_(this.bias);
    } else if (init === 'zeros') {
      zeros_(this.weight);
      if (this.bias) zeros_(this.bias);
    } else if (typeof init === 'object' && typeof init.normal === 'number') {
      normal_(this.weight, 0, init.normal, g);
      if (this.bias) zeros_(this.bias);
    } else throw new Error(`Linear: unknown init ${JSON.stringify(init)}`);
  }

  /** `x [..., in] -> [..., out]`. */
  override forward(x: Tensor): Tensor {
    const last = x.shape[x.rank - 1];
    if (x.rank === 0 || last !== this.inFeatures) throw new Error(`Linear.forward: expected input [..., ${this.inFeatures}], got ${fmtShape(x.shape)}`);
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `Linear(in=${this.inFeatures}, out=${this.outFeatures}, bias=${this.bias !== null})`;
  }
}

/** Options of `Embedding`. */
export interface EmbeddingOptions extends LayerOptions {
  /** Standard deviation of the N(0, std^2) init (default 1, as PyTorch). */
  std?: number;
  /** Row kept at zero at initialisation (its gradient is not masked). */
  paddingIdx?: number;
}

/** A lookup table `weight [num, dim]` indexed by int32 ids (PyTorch's `nn.Embedding`). */
export class Embedding extends Module {
  /** `[numEmbeddings, embeddingDim]`. */
  weight: Tensor;

  /** A table of `numEmbeddings` vectors of size `embeddingDim`, initialised N(0, std^2). */
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: EmbeddingOptions = {},
  ) {
    super();
    checkDims('Embedding', { numEmbeddings, embeddingDim });
    const w = (this.weight = parameter(empty([numEmbeddings, embeddingDim], { backend: options.backend, dtype: options.dtype })));
    normal_(w, 0, options.std ?? 1, options.generator);
    const pad = options.paddingIdx;
    if (pad !== undefined) {
      const idx = pad < 0 ? numEmbeddings + pad : pad;
      if (!Number.isInteger(idx) || idx < 0 || idx >= numEmbeddings) throw new Error(`Embedding: paddingIdx ${pad} out of range for ${numEmbeddings} embeddings`);
      const row = noGrad(() => w.narrow(0, idx, 1));
      zeros_(row);
      row.dispose();
    }
  }

  /** `ids [...]` (int32) -> `[..., dim]`. */
  override forward(ids: Tensor): Tensor {
    if (ids.dtype !== 'int32') throw new Error(`Embedding.forward: ids must be int32, got ${ids.dtype} ${fmtShape(ids.shape)}`);
    return embedding(ids, this.weight);
  }

  override extraRepr(): string {
    return `Embedding(${this.numEmbeddings}, ${this.embeddingDim})`;
  }
}

/** Options of `LayerNorm`. */
export interface LayerNormOptions extends LayerOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learn `weight` (ones) and `bias` (zeros) (default true). */
  elementwiseAffine?: boolean;
  /** Learn the bias when affine (default true). */
  bias?: boolean;
}

/** Layer normalisation over the trailing `normalizedShape` (PyTorch's `nn.LayerNorm`). */
export class LayerNorm extends Module {
  /** Trailing shape normalised over. */
  readonly normalizedShape: number[];
  /** Variance epsilon. */
  readonly eps: number;
  /** Scale (ones) or null. */
  weight: Tensor | null;
  /** Shift (zeros) or null. */
  bias: Tensor | null;

  /** Normalise over the last dims `normalizedShape` (a number means one dim). */
  constructor(normalizedShape: number | number[], options: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (this.normalizedShape.length === 0) throw new Error('LayerNorm: normalizedShape must have at least one dim');
    for (const d of this.normalizedShape) checkDim('LayerNorm', 'normalizedShape entries', d);
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    const o = { backend: options.backend, dtype: options.dtype };
    this.weight = affine ? parameter(ones_(empty(this.normalizedShape, o))) : null;
    this.bias = affine && options.bias !== false ? parameter(zeros_(empty(this.normalizedShape, o))) : null;
  }

  /** Normalise `x [..., *normalizedShape]`. */
  override forward(x: Tensor): Tensor {
    const n = this.normalizedShape.length;
    const tail = x.shape.slice(x.rank - n);
    if (x.rank < n || tail.some((s, i) => s !== this.normalizedShape[i])) {
      throw new Error(`LayerNorm.forward: input ${fmtShape(x.shape)} does not end with the normalized shape ${fmtShape(this.normalizedShape)}`);
    }
    return layerNorm(x, this.weight, this.bias, this.eps, n);
  }

  override extraRepr(): string {
    return `LayerNorm(${fmtShape(this.normalizedShape)}, eps=${this.eps})`;
  }
}

/** Options of `RMSNorm`. */
export interface RMSNormOptions extends LayerOptions {
  /** Added to the mean square (default 1e-6). */
  eps?: number;
  /** Learn `weight` (ones) (default true). */
  elementwiseAffine?: boolean;
}

/** RMS normalisation over the last dim: `x / sqrt(mean(x^2) + eps) * weight` (Llama style). */
export class RMSNorm extends Module {
  /** Variance epsilon. */
  readonly eps: number;
  /** Scale (ones) or null. */
  weight: Tensor | null;

  /** Normalise vectors of size `dim`. */
  constructor(
    readonly dim: number,
    options: RMSNormOptions = {},
  ) {
    super();
    checkDim('RMSNorm', 'dim', dim);
    this.eps = options.eps ?? 1e-6;
    this.weight = options.elementwiseAffine === false ? null : parameter(ones_(empty([dim], { backend: options.backend, dtype: options.dtype })));
  }

  /** Normalise `x [..., dim]`. */
  override forward(x: Tensor): Tensor {
    if (x.rank === 0 || x.shape[x.rank - 1] !== this.dim) throw new Error(`RMSNorm.forward: expected input [..., ${this.dim}], got ${fmtShape(x.shape)}`);
    return rmsNorm(x, this.weight, this.eps);
  }

  override extraRepr(): string {
    return `RMSNorm(${this.dim}, eps=${this.eps})`;
  }
}

/** Options of `Dropout`. */
export interface DropoutOptions {
  /** Random stream for the masks (default: the global generator at call time). */
  generator?: Generator;
}

/** Zeroes elements with probability `p` and scales the rest by `1/(1-p)` in training; identity in eval. */
export class Dropout extends Module {
  /** Mask stream (undefined: the global generator). */
  generator?: Generator;

  /** Dropout with probability `p` in [0, 1]. */
  constructor(
    readonly p = 0.5,
    options: DropoutOptions = {},
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be in [0, 1], got ${p}`);
    this.generator = options.generator;
  }

  /** Apply dropout (a fresh tensor either way). */
  override forward(x: Tensor): Tensor {
    return x.dropout(this.p, this.training, this.generator);
  }

  override extraRepr(): string {
    return `Dropout(p=${this.p})`;
  }
}

/** Activation names understood by `activation()`, `MLP` and `Activation`. */
export type ActivationName = 'gelu' | 'gelu_tanh' | 'relu' | 'silu' | 'tanh' | 'sigmoid' | 'identity';

/** Apply a named activation (a new tensor). */
export function activation(name: ActivationName, x: Tensor): Tensor {
  switch (name) {
    case 'gelu':
      return x.gelu();
    case 'gelu_tanh':
      return x.gelu('tanh');
    case 'relu':
      return x.relu();
    case 'silu':
      return x.silu();
    case 'tanh':
      return x.tanh();
    case 'sigmoid':
      return x.sigmoid();
    case 'identity':
      return x.mul(1);
    default:
      throw new Error(`activation: unknown activation '${String(name)}' (expected gelu, gelu_tanh, relu, silu, tanh, sigmoid or identity)`);
  }
}

/** A parameter-free module applying a named activation. */
export class Activation extends Module {
  /** Apply `name` elementwise. */
  constructor(readonly kind: ActivationName) {
    super();
    activationCheck(kind);
  }
  /** The activation of x. */
  override forward(x: Tensor): Tensor {
    return activation(this.kind, x);
  }
  override extraRepr(): string {
    return `Activation(${this.kind})`;
  }
}

function activationCheck(kind: string): void {
  if (!['gelu', 'gelu_tanh', 'relu', 'silu', 'tanh', 'sigmoid', 'identity'].includes(kind)) {
    throw new Error(`activation: unknown activation '${kind}' (expected gelu, gelu_tanh, relu, silu, tanh, sigmoid or identity)`);
  }
}

/** GELU (exact erf form, or `approximate: 'tanh'`). */
export class GELU extends Activation {
  /** GELU with the given approximation. */
  constructor(options: { approximate?: 'none' | 'tanh' } = {}) {
    super(options.approximate === 'tanh' ? 'gelu_tanh' : 'gelu');
  }
}

/** max(x, 0). */
export class ReLU extends Activation {
  /** ReLU. */
  constructor() {
    super('relu');
  }
}

/** x * sigmoid(x). */
export class SiLU extends Activation {
  /** SiLU (swish). */
  constructor() {
    super('silu');
  }
}

/** tanh(x). */
export class Tanh extends Activation {
  /** Tanh. */
  constructor() {
    super('tanh');
  }
}

/** sigmoid(x). */
export class Sigmoid extends Activation {
  /** Sigmoid. */
  constructor() {
    super('sigmoid');
  }
}

/** Returns its input (as a new handle), like `nn.Identity`. */
export class Identity extends Module {
  /** x (a new handle). */
  override forward(x: Tensor): Tensor {
    return x.mul(1);
  }
}

/** Options of `MLP`. */
export interface MLPOptions extends LayerOptions {
  /** Activation between layers (default 'gelu'); none after the last layer. */
  activation?: ActivationName;
  /** Biases on every Linear (default true). */
  bias?: boolean;
  /** Dropout probability after each hidden activation (default 0: no Dropout modules). */
  dropout?: number;
  /** Init of every Linear (default PyTorch's). */
  init?: LinearInit;
}

/**
 * A multilayer perceptron `dims[0] -> dims[1] -> ... -> dims[n]`: Linear layers named
 * `layers.0`, `layers.1`, ..., with the activation (and optional dropout) between them and
 * none after the last.
 */
export class MLP extends Module {
  /** The Linear layers. */
  layers: ModuleList<Linear>;
  /** Shared dropout module (absent when `dropout` is 0). */
  drop: Dropout | null;
  /** Activation between layers. */
  readonly activation: ActivationName;

  /** Build the MLP for layer sizes `dims` (at least two entries). */
  constructor(
    readonly dims: number[],
    options: MLPOptions = {},
  ) {
    super();
    if (!Array.isArray(dims) || dims.length < 2) throw new Error(`MLP: dims needs at least two sizes (input and output), got [${String(dims)}]`);
    this.activation = options.activation ?? 'gelu';
    activationCheck(this.activation);
    this.layers = new ModuleList<Linear>();
    for (let i = 0; i + 1 < dims.length; i++) {
      this.layers.append(new Linear(dims[i]!, dims[i + 1]!, { bias: options.bias, init: options.init, generator: options.generator, backend: options.backend, dtype: options.dtype }));
    }
    const p = options.dropout ?? 0;
    this.drop = p > 0 ? new Dropout(p, { generator: options.generator }) : null;
  }

  /** `x [..., dims[0]] -> [..., dims[n]]`. */
  override forward(x: Tensor): Tensor {
    const n = this.layers.length;
    let h = x;
    for (let i = 0; i < n; i++) {
      h = this.layers.at(i).call(h);
      if (i + 1 < n) {
        h = activation(this.activation, h);
        if (this.drop) h = this.drop.call(h);
      }
    }
    return h;
  }

  override extraRepr(): string {
    return `MLP([${this.dims.join(', ')}], ${this.activation})`;
  }
}

/** Options of `GatedMLP`. */
export interface GatedMLPOptions extends LayerOptions {
  /** Output size (default: `dim`). */
  outDim?: number;
  /** Biases on the three projections (default false, as Llama). */
  bias?: boolean;
  /** The gate's activation (default 'silu': SwiGLU; 'gelu' / 'gelu_tanh' give GeGLU). */
  activation?: ActivationName;
  /** Init of the three Linears (default PyTorch's). */
  init?: LinearInit;
}

/** @deprecated the options of `GatedMLP` (`SwiGLU` is its old name). */
export type SwiGLUOptions = GatedMLPOptions;

/**
 * The gated feed-forward block `down_proj(act(gate_proj x) * up_proj x)` (SwiGLU with the default
 * SiLU), with Hugging Face Llama names (`gate_proj`, `up_proj`, `down_proj`, created in that
 * order) and PyTorch layouts `[out, in]`, so `model.layers.N.mlp.*` of a Llama checkpoint loads
 * into it. Meta's original names map as `w1` = `gate_proj`, `w3` = `up_proj`, `w2` = `down_proj`.
 * Inputs of any rank are flattened to `[N, dim]`, so each projection is one matmul.
 */
export class GatedMLP extends Module {
  /** Gate projection `dim -> hidden`. */
  gate_proj: Linear;
  /** Up projection `dim -> hidden`. */
  up_proj: Linear;
  /** Down projection `hidden -> outDim`. */
  down_proj: Linear;
  /** The gate's activation. */
  readonly activation: ActivationName;

  /** A gated MLP from `dim` through `hidden`. */
  constructor(
    readonly dim: number,
    readonly hidden: number,
    options: GatedMLPOptions = {},
  ) {
    super();
    checkDims('GatedMLP', { dim, hidden });
    this.activation = options.activation ?? 'silu';
    activationCheck(this.activation);
    const lo = { bias: options.bias ?? false, init: options.init, generator: options.generator, backend: options.backend, dtype: options.dtype };
    this.gate_proj = new Linear(dim, hidden, lo);
    this.up_proj = new Linear(dim, hidden, lo);
    this.down_proj = new Linear(hidden, options.outDim ?? dim, lo);
  }

  /** `x [..., dim] -> [..., outDim]`. */
  override forward(x: Tensor): Tensor {
    if (x.rank === 0 || x.shape[x.rank - 1] !== this.dim) throw new Error(`GatedMLP.forward: expected input [..., ${this.dim}], got ${fmtShape(x.shape)}`);
    const x2 = x.reshape(-1, this.dim);
    const h = activation(this.activation, this.gate_proj.call(x2)).mul(this.up_proj.call(x2));
    return this.down_proj.call(h).reshape([...x.shape.slice(0, -1), this.down_proj.outFeatures]);
  }

  override extraRepr(): string {
    return `GatedMLP(${this.dim} -> ${this.hidden}, ${this.activation})`;
  }
}

/** @deprecated `GatedMLP` (one gated MLP block; note the HF names `gate_proj`/`up_proj`/`down_proj` for Meta's `w1`/`w3`/`w2`). */
export const SwiGLU = GatedMLP;
/** @deprecated `GatedMLP`. */
export type SwiGLU = GatedMLP;

/** Options of `LoRALinear`. */
export interface LoRAOptions extends LayerOptions {
  /** Rank `r` of the update (default 8). */
  rank?: number;
  /** Scale numerator: the update is multiplied by `alpha / rank` (default `rank`, i.e. 1). */
  alpha?: number;
  /** Freeze the wrapped Linear's parameters (default true). */
  freezeBase?: boolean;
}

/**
 * A `Linear` with a low-rank adapter: `x W^T + b + (alpha / r) * lora_B(lora_A(x))`, where `W` and
 * `b` are the wrapped Linear's own tensors (same keys `weight` / `bias`, so a pretrained checkpoint
 * still loads; frozen by default), `lora_A` is `[r, in]` (PyTorch's default init) and `lora_B`
 * `[out, r]` (zeros, so it starts equal to the base). Being a `Linear`, it goes wherever one is
 * expected: `layer.self_attn.q_proj = new LoRALinear(layer.self_attn.q_proj)`; composite modules
 * run their submodules, so the adapter is used from then on.
 */
export class LoRALinear extends Linear {
  /** Down projection `in -> r`. */
  lora_A: Linear;
  /** Up projection `r -> out`, zero-initialised. */
  lora_B: Linear;
  /** `alpha / rank`. */
  readonly scaling: number;

  /** Wrap `base` (its tensors are shared, not copied) with a rank-`rank` update. */
  constructor(base: Linear, options: LoRAOptions = {}) {
    if (!(base instanceof Linear)) throw new Error(`LoRALinear: base must be a Linear, got ${(base as object)?.constructor?.name ?? typeof base}`);
    const rank = options.rank ?? 8;
    checkDim('LoRALinear', 'rank', rank);
    const alpha = options.alpha ?? rank;
    if (!Number.isFinite(alpha)) throw new Error(`LoRALinear: alpha must be a finite number, got ${alpha}`);
    const be = options.backend ?? base.weight.backend;
    const dtype = options.dtype ?? base.weight.dtype;
    // 'zeros' draws no random numbers; the placeholders are replaced by the base's tensors.
    super(base.inFeatures, base.outFeatures, { bias: base.bias !== null, init: 'zeros', backend: be, dtype });
    this.weight.dispose();
    this.bias?.dispose();
    this.weight = base.weight;
    this.bias = base.bias;
    if (options.freezeBase !== false) {
      this.weight.requiresGrad_(false);
      this.bias?.requiresGrad_(false);
    }
    this.scaling = alpha / rank;
    this.lora_A = new Linear(base.inFeatures, rank, { bias: false, generator: options.generator, backend: be, dtype });
    this.lora_B = new Linear(rank, base.outFeatures, { bias: false, init: 'zeros', backend: be, dtype });
  }

  /** `x [..., in] -> [..., out]`. */
  override forward(x: Tensor): Tensor {
    return super.forward(x).add(this.lora_B.call(this.lora_A.call(x)).mul(this.scaling));
  }

  override extraRepr(): string {
    return `LoRALinear(in=${this.inFeatures}, out=${this.outFeatures}, rank=${this.lora_A.outFeatures}, scaling=${this.scaling})`;
  }
}

/**
 * Put `LoRALinear` adapters in place of Linear submodules (PEFT-style): `targets` lists dotted
 * paths (`'layers.0.self_attn.q_proj'`) or picks them with a predicate on `(path, linear)`.
 * Returns the adapters by path (each a `Linear`, frozen base, zero update at first).
 */
export function applyLoRA(module: Module, targets: readonly string[] | ((path: string, linear: Linear) => boolean), options: LoRAOptions = {}): Map<string, LoRALinear> {
  const paths =
    typeof targets === 'function'
      ? module.namedModules().flatMap(([path, m]) => (m instanceof Linear && !(m instanceof LoRALinear) && path !== '' && targets(path, m) ? [path] : []))
      : [...targets];
  const out = new Map<string, LoRALinear>();
  for (const path of paths) {
    const base = module.getSubmodule(path);
    if (!(base instanceof Linear)) throw new Error(`applyLoRA: '${path}' is a ${base.constructor.name}, not a Linear`);
    out.set(path, module.setSubmodule(path, new LoRALinear(base, options)));
  }
  return out;
}
