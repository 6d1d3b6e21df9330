/**
 * The input projector `P: R^{d_v} -> R^d` (docs/method.md 4): semantic features to LLM input
 * embeddings, LLaVA/MetaMorph style (`linear` or `mlp<N>x_gelu`, default `mlp2x_gelu`), with an
 * optional L2 normalisation of the feature first (the `norm-3-mlp-cos` variant, docs/method.md 6.3).
 */
import { Tensor, fmtShape, linear, tidy } from '@unihetero/tensor';
import { Linear, Module, type LayerOptions, type LinearInit } from '@unihetero/nn';
import { NORMALIZE_EPS, l2Normalize } from './losses.js';

/** Projector architecture: one Linear, or LLaVA's `mlp<N>x_gelu` (N Linears with exact GELU between). */
export type InputProjectorType = 'linear' | `mlp${number}x_gelu`;

/** Options of `InputProjector`. */
export interface InputProjectorOptions extends LayerOptions {
  /** Architecture (default `'mlp2x_gelu'`: `Linear(d_v, d) -> GELU -> Linear(d, d)`). */
  type?: InputProjectorType;
  /** L2-normalise each feature vector before the first Linear (default false; true for `norm-3-mlp-cos`). */
  normalizeInput?: boolean;
  /** `eps` of that normalisation (default 1e-12, as `torch.nn.functional.normalize`). */
  normalizeEps?: number;
  /** Biases on the Linears (default true, as LLaVA). */
  bias?: boolean;
  /** Linear initialisation (default PyTorch's, as LLaVA). */
  init?: LinearInit;
}

/** Looks up a weight of the projector by its state-dict name (`'0.weight'`, `'2.bias'`, ...). */
export type WeightLookup = (name: string) => Tensor | null | undefined;

/** Number of Linears of a projector type; throws on an unknown type. */
export function projectorDepth(type: string): number {
  if (type === 'linear') return 1;
  const m = /^mlp([1-9][0-9]*)x_gelu$/.exec(type);
  if (!m) throw new Error(`InputProjector: unknown type '${type}' (expected 'linear' or 'mlp<N>x_gelu' with N >= 1, e.g. 'mlp2x_gelu')`);
  return Number(m[1]);
}

/**
 * `P(f) = W_N(... GELU(W_1 f + b_1) ...) + b_N` (docs/method.md 4). The Linears sit at indices 0, 2,
 * 4, ... as in LLaVA's `nn.Sequential(Linear, GELU, Linear)`, so the state-dict keys are
 * `0.weight`, `0.bias`, `2.weight`, ... (LLaVA's `mm_projector.*` after stripping the prefix).
 */
export class InputProjector extends Module {
  /** Architecture. */
  readonly type: InputProjectorType;
  /** Number of Linears. */
  readonly depth: number;
  /** Whether features are L2-normalised before the first Linear. */
  readonly normalizeInput: boolean;
  /** `eps` of that normalisation. */
  readonly normalizeEps: number;
  /** State-dict names of the Linears, in order (`'0'`, `'2'`, ...). */
  readonly linearNames: readonly string[];

  /** A projector from `featureDim` (d_v) to `llmDim` (d). */
  constructor(
    readonly featureDim: number,
    readonly llmDim: number,
    options: InputProjectorOptions = {},
  ) {
    super();
    for (const [what, v] of [['featureDim', featureDim], ['llmDim', llmDim]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`InputProjector: ${what} must be a positive integer, got ${v}`);
    }
    this.type = options.type ?? 'mlp2x_gelu';
    this.depth = projectorDepth(this.type);
    this.normalizeInput = options.normalizeInput ?? false;
    this.normalizeEps = options.normalizeEps ?? NORMALIZE_EPS;
    if (!(this.normalizeEps > 0)) throw new Error(`InputProjector: normalizeEps must be positive, got ${this.normalizeEps}`);
    const names: string[] = [];
    for (let i = 0; i < this.depth; i++) {
      const name = String(2 * i);
      names.push(name);
      // LLaVA's `nn.Sequential` indices are not identifiers, so these are registered by name.
      this.registerModule(
        name,
        new Linear(i === 0 ? featureDim : llmDim, llmDim, {
          bias: options.bias,
          init: options.init,
          generator: options.generator,
          backend: options.backend,
          dtype: options.dtype,
        }),
      );
    }
    this.linearNames = names;
  }

  /** The Linears in order (`'0'`, `'2'`, ...; whatever module is registered under those names). */
  get linears(): Module[] {
    return this.linearNames.map((name) => this._modules.get(name)!);
  }

  /** `f [..., d_v] -> [..., d]`: runs the registered Linears (so a replaced or wrapped one is used). */
  override forward(f: Tensor): Tensor {
    this.checkFeature('InputProjector.forward', f);
    const layers = this.linears;
    let h = this.normalizeInput ? l2Normalize(f, this.normalizeEps) : f;
    layers.forEach((layer, i) => {
      h = layer.call(h) as Tensor;
      if (i + 1 < layers.length) h = h.gelu();
    });
    return h;
  }

  /**
   * The same function with other weights, looked up by state-dict name: used to run the EMA copy
   * `P_ema` from the averaged buffers (docs/method.md 6.4) without a second module.
   */
  forwardWith(weights: WeightLookup, f: Tensor, op = 'InputProjector.forwardWith'): Tensor {
    this.checkFeature(op, f);
    const layers = this.linearNames.map((name, i) => {
      const w = weights(`${name}.weight`);
      if (!w) throw new Error(`${op}: no weight '${name}.weight'`);
      const want = [this.llmDim, i === 0 ? this.featureDim : this.llmDim];
      if (w.shape.join() !== want.join()) throw new Error(`${op}: '${name}.weight' is ${fmtShape(w.shape)}, expected ${fmtShape(want)}`);
      const hasBias = ((this._modules.get(name) as Linear).bias ?? null) !== null;
      const b = hasBias ? weights(`${name}.bias`) : null;
      if (hasBias && !b) throw new Error(`${op}: no weight '${name}.bias'`);
      return [w, b ?? null] as const;
    });
    return tidy(() => {
      let h = this.normalizeInput ? l2Normalize(f, this.normalizeEps) : f;
      layers.forEach(([w, b], i) => {
        h = linear(h, w, b);
        if (i + 1 < layers.length) h = h.gelu();
      });
      return h;
    });
  }

  private checkFeature(op: string, f: Tensor): void {
    if (f.rank === 0 || f.shape[f.rank - 1] !== this.featureDim) {
      throw new Error(`${op}: feature width ${f.rank === 0 ? 'of a scalar' : f.shape[f.rank - 1]} does not match featureDim ${this.featureDim} (input ${fmtShape(f.shape)})`);
    }
  }

  override extraRepr(): string {
    return `InputProjector(${this.featureDim} -> ${this.llmDim}, ${this.type}${this.normalizeInput ? ', normalizeInput' : ''})`;
  }
}
