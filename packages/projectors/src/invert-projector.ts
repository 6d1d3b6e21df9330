/**
 * The invert-projector interface (docs/method.md 6): a head `G` maps the LLM's last hidden state
 * `z_i` at a masked position to a prediction `e_hat_i`, compared with a gradient-free target
 * `t_i` derived from the true token; `feedback(e_hat)` is the LLM input embedding the
 * generation loop feeds back (docs/method.md 6.3, last column; 10.2).
 */
import { Tensor, fmtShape, tidy } from '@unihetero/tensor';
import { MLP, Module, type LayerOptions } from '@unihetero/nn';
import { COSINE_EPS } from './losses.js';
import type { InputProjector } from './input-projector.js';

/** What a variant's prediction is fitted to: the semantic feature (width d_v) or the LLM input embedding (width d). */
export type TargetSpace = 'feature' | 'embedding';

/** What every invert-projector factory receives (the JSON-config fields plus the live input projector). */
export interface InvertProjectorConfig extends LayerOptions {
  /** LLM width `d` (the width of `z`). */
  llmDim: number;
  /** Semantic-feature width `d_v`. */
  featureDim: number;
  /** The model's input projector `P` (feature variants feed back through it; `ema-mlp-llm-cos` averages it). */
  inputProjector: InputProjector;
  /** Hidden width of the head's MLP (default `llmDim`, docs/method.md 6.3). */
  hiddenDim?: number;
  /** `eps` of the cosine similarity (default 1e-8, docs/method.md 6.2). */
  eps?: number;
  /** EMA momentum `mu` of `ema-mlp-llm-cos` (default 0.999, docs/method.md 6.4); ignored by other variants. */
  momentum?: number;
}

/** Validate a positive integer width. */
export function checkWidth(op: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`${op}: ${what} must be a positive integer, got ${String(v)}`);
  return v;
}

/**
 * Base class of every invert-projector: a `Module` (so parameters, buffers and state dicts work
 * as usual) with `predict`, `target`, `loss`, `feedback` and the after-step hook. Subclass it to
 * add a variant and register a factory with `registerInvertProjector(name, factory)`.
 */
export abstract class InvertProjector extends Module {
  /** Registry name of the variant (`'mlp-cos'`, ...). */
  abstract readonly variant: string;
  /** What the prediction is fitted to. */
  abstract readonly targetSpace: TargetSpace;
  /** LLM width `d`. */
  readonly llmDim: number;
  /** Semantic-feature width `d_v`. */
  readonly featureDim: number;
  /** Hidden width of the head. */
  readonly hiddenDim: number;
  /** `eps` of the cosine similarity. */
  readonly eps: number;
  /** @internal the input projector, held without registering it (it belongs to the model). */
  protected readonly _inputProjector: InputProjector;

  /** Validate the shared config (the projector must map `featureDim` to `llmDim`). */
  constructor(name: string, config: InvertProjectorConfig) {
    super();
    if (!config || typeof config !== 'object') throw new Error(`${name}: a config object is required, got ${String(config)}`);
    this.llmDim = checkWidth(name, 'llmDim', config.llmDim);
    this.featureDim = checkWidth(name, 'featureDim', config.featureDim);
    this.hiddenDim = checkWidth(name, 'hiddenDim', config.hiddenDim ?? config.llmDim);
    this.eps = config.eps ?? COSINE_EPS;
    if (!(this.eps > 0) || !Number.isFinite(this.eps)) throw new Error(`${name}: eps must be a positive finite number, got ${this.eps}`);
    const p = config.inputProjector;
    if (!(p instanceof Module) || typeof (p as InputProjector).forwardWith !== 'function') {
      throw new Error(`${name}: config.inputProjector must be an InputProjector, got ${p === undefined ? 'undefined' : (p as object)?.constructor?.name ?? typeof p}`);
    }
    if (p.featureDim !== this.featureDim || p.llmDim !== this.llmDim) {
      throw new Error(`${name}: input projector maps ${p.featureDim} -> ${p.llmDim} but config says featureDim ${this.featureDim}, llmDim ${this.llmDim}`);
    }
    this._inputProjector = p;
  }

  /** The model's input projector `P` (not a submodule of this one). */
  get inputProjector(): InputProjector {
    return this._inputProjector;
  }

  /** Width of the prediction and the target (`featureDim` or `llmDim`). */
  get outDim(): number {
    return this.targetSpace === 'feature' ? this.featureDim : this.llmDim;
  }

  /** `z [..., d] -> e_hat [..., outDim]` (differentiable). */
  abstract predict(z: Tensor): Tensor;

  /** Semantic features `f [..., d_v] -> t [..., outDim]`, computed without gradient. */
  abstract target(features: Tensor): Tensor;

  /** Scalar loss between `e_hat` and `t` over the masked rows (`mask` shaped like the rows; omit for pre-gathered rows). */
  abstract loss(eHat: Tensor, t: Tensor, mask?: Tensor): Tensor;

  /** The LLM input embedding `[..., d]` to feed back for a prediction `e_hat [..., outDim]` (a new tensor). */
  abstract feedback(eHat: Tensor): Tensor;

  /** Called after every optimizer step (the EMA update of `ema-mlp-llm-cos`; nothing for the others). */
  afterOptimizerStep(): void {}

  /** Alias of `predict`. */
  override forward(z: Tensor): Tensor {
    return this.predict(z);
  }

  /** Throw unless `x`'s last dim is `width`. */
  protected checkLast(op: string, what: string, x: Tensor, width: number, name: string): void {
    if (!(x instanceof Tensor)) throw new Error(`${this.variant}.${op}: ${what} must be a Tensor, got ${typeof x}`);
    const last = x.rank === 0 ? undefined : x.shape[x.rank - 1];
    if (last !== width) throw new Error(`${this.variant}.${op}: ${what} width ${last ?? 'of a scalar'} does not match ${name} ${width} (input ${fmtShape(x.shape)})`);
  }

  override extraRepr(): string {
    return `${this.variant}(d=${this.llmDim}, d_v=${this.featureDim}, hidden=${this.hiddenDim}, target=${this.targetSpace})`;
  }
}

/** Head MLP `Linear(d, h) -> GELU -> ... -> Linear(h, out)` with `hiddenLayers` hidden layers (exact GELU). */
export function headMLP(config: InvertProjectorConfig, hiddenDim: number, hiddenLayers: number, outDim: number): MLP {
  const dims = [config.llmDim, ...Array.from({ length: hiddenLayers }, () => hiddenDim), outDim];
  return new MLP(dims, { activation: 'gelu', generator: config.generator, backend: config.backend, dtype: config.dtype });
}

/** A prediction through a head, intermediates freed: `head(z)` then an optional transform. */
export function runHead(head: Module, z: Tensor, post?: (y: Tensor) => Tensor): Tensor {
  return tidy(() => {
    const y = head.call(z) as Tensor;
    return post ? post(y) : y;
  });
}
