/**
 * The per-token flow head `v(x_t, t, c)`: MAR's `SimpleMLPAdaLN` (docs/method.md section 8.1) with
 * its parameter names, so MAR-style state dicts load unchanged. Every layer runs as one `[T, ·]`
 * matmul over all tokens; no per-token loops. Members are plain fields and every block runs its
 * submodules (`adaLN_modulation`, `mlp`, ...) with `call`, so a replaced or wrapped one is used.
 */
import { Tensor, fmtShape, tensor, tidy, type Backend, type DType, type Generator } from '@unihetero/tensor';
import { LayerNorm, Linear, Module, ModuleList, Sequential, SiLU } from '@unihetero/nn';
import { resolveFlowHeadConfig, type FlowHeadConfig, type FlowHeadOptions } from './config.js';
import { TimestepEmbedder } from './embedding.js';

/** Where the head's parameters are created and which stream initialises them. */
export interface FlowHeadCreateOptions {
  /** Random stream of the initialisation (default: the global generator). */
  generator?: Generator;
  /** Backend for the parameters (default: the default backend). */
  backend?: Backend;
  /** Parameter dtype (default float32). */
  dtype?: DType;
}

/** `x·(1 + scale) + shift` (DiT/MAR `modulate`). */
export function modulate(x: Tensor, shift: Tensor, scale: Tensor): Tensor {
  return tidy(() => x.mul(scale.add(1)).add(shift));
}

/**
 * One AdaLN residual block: `(sh, sc, g) = split3(adaLN_modulation(y))` with
 * `adaLN_modulation = Sequential(SiLU, Linear(w, 3w))`, `h = x + g ⊙ mlp(LN(x)·(1 + sc) + sh)`;
 * names `in_ln`, `mlp.0`, `mlp.2`, `adaLN_modulation.1`.
 */
export class AdaLNResBlock extends Module {
  /** LayerNorm with affine, eps 1e-6. */
  in_ln: LayerNorm;
  /** `Sequential(Linear(w, rw), SiLU, Linear(rw, w))`. */
  mlp: Sequential;
  /** `Sequential(SiLU, Linear(w, 3w))`, zero-initialised. */
  adaLN_modulation: Sequential;

  /** A block of width `width` whose MLP is `hidden` wide. */
  constructor(
    readonly width: number,
    readonly hidden: number,
    eps: number,
    o: FlowHeadCreateOptions,
  ) {
    super();
    const lo = { generator: o.generator, backend: o.backend, dtype: o.dtype };
    this.in_ln = new LayerNorm(width, { eps, backend: o.backend, dtype: o.dtype });
    this.mlp = new Sequential(new Linear(width, hidden, { ...lo, init: 'xavier_uniform' }), new SiLU(), new Linear(hidden, width, { ...lo, init: 'xavier_uniform' }));
    this.adaLN_modulation = new Sequential(new SiLU(), new Linear(width, 3 * width, { ...lo, init: 'zeros' }));
  }

  /** `x [T, w]`, conditioning `y [T or 1, w]` -> `[T, w]`. */
  override forward(x: Tensor, y: Tensor): Tensor {
    const [shift, scale, gate] = this.adaLN_modulation.call(y).chunk(3, -1) as [Tensor, Tensor, Tensor];
    const h = this.mlp.call(modulate(this.in_ln.call(x), shift, scale));
    return x.add(gate.mul(h));
  }

  override extraRepr(): string {
    return `AdaLNResBlock(width=${this.width}, hidden=${this.hidden})`;
  }
}

/** The final AdaLN layer and output projection: `Linear_o(LN_noaffine(h)·(1 + sc) + sh)`. */
export class FinalLayer extends Module {
  /** LayerNorm without affine, eps 1e-6. */
  norm_final: LayerNorm;
  /** `Linear(w, C_out)`, zero-initialised. */
  linear: Linear;
  /** `Sequential(SiLU, Linear(w, 2w))`, zero-initialised. */
  adaLN_modulation: Sequential;

  /** A final layer from `width` to `outDim`. */
  constructor(
    readonly width: number,
    readonly outDim: number,
    eps: number,
    o: FlowHeadCreateOptions,
  ) {
    super();
    const lo = { generator: o.generator, backend: o.backend, dtype: o.dtype, init: 'zeros' as const };
    this.norm_final = new LayerNorm(width, { eps, elementwiseAffine: false, backend: o.backend, dtype: o.dtype });
    this.linear = new Linear(width, outDim, lo);
    this.adaLN_modulation = new Sequential(new SiLU(), new Linear(width, 2 * width, lo));
  }

  /** `x [T, w]`, conditioning `y [T or 1, w]` -> `[T, C_out]`. */
  override forward(x: Tensor, y: Tensor): Tensor {
    const [shift, scale] = this.adaLN_modulation.call(y).chunk(2, -1) as [Tensor, Tensor];
    return this.linear.call(modulate(this.norm_final.call(x), shift, scale));
  }
}

/**
 * The flow-matching head `v_θ(x_t, t, c)` (MAR's `SimpleMLPAdaLN`, docs/method.md 8.1):
 * `y = time_embed(t) + cond_embed(c)`, `h = input_proj(x_t)`, `depth` AdaLN residual blocks, a
 * final AdaLN layer and a zero-initialised output (an untrained head outputs exactly 0).
 * Init as MAR: Xavier-uniform Linears with zero biases, time MLP `N(0, 0.02²)`, every adaLN
 * output Linear and the output Linear zero. Parameter names match MAR's `net.*` keys without the
 * `net.` prefix (`time_embed.mlp.0.weight`, `res_blocks.0.adaLN_modulation.1.weight`, ...).
 */
export class FlowHead extends Module {
  /** The resolved configuration. */
  readonly config: FlowHeadConfig;
  /** Time embedding (sinusoid then MLP). */
  time_embed: TimestepEmbedder;
  /** Condition projection `d -> w`. */
  cond_embed: Linear;
  /** Input projection `C -> w`. */
  input_proj: Linear;
  /** The residual blocks. */
  res_blocks: ModuleList<AdaLNResBlock>;
  /** Final AdaLN layer and output Linear. */
  final_layer: FinalLayer;

  /** A head for the given sizes (see `FlowHeadOptions`; presets via `flowHeadConfig`). */
  constructor(options: FlowHeadOptions, create: FlowHeadCreateOptions = {}) {
    super();
    const c = resolveFlowHeadConfig(options);
    this.config = c;
    const lo = { generator: create.generator, backend: create.backend, dtype: create.dtype };
    // Construction order = MAR's module order; zero-initialised layers draw nothing.
    this.time_embed = new TimestepEmbedder(c.width, { ...lo, frequencyDim: c.timeEmbedDim, maxPeriod: c.maxPeriod, scale: c.timeScale });
    this.cond_embed = new Linear(c.conditionDim, c.width, { ...lo, init: 'xavier_uniform' });
    this.input_proj = new Linear(c.tokenDim, c.width, { ...lo, init: 'xavier_uniform' });
    this.res_blocks = new ModuleList(Array.from({ length: c.depth }, () => new AdaLNResBlock(c.width, c.width * c.mlpRatio, c.eps, create)));
    this.final_layer = new FinalLayer(c.width, c.outDim, c.eps, create);
  }

  /**
   * The velocity `v(x, t, c)`: `x [..., C]`, `t` a number, a `[1]` tensor or one time per token
   * (`[...]`), `c [..., d]` with the same leading dims as `x` -> `[..., C_out]`.
   */
  override forward(x: Tensor, t: Tensor | number, c: Tensor): Tensor {
    const lead = this.checkTokens('FlowHead.forward', x);
    this.checkCondition('FlowHead.forward', c, lead);
    const n = lead.reduce((a, b) => a * b, 1);
    if (t instanceof Tensor && t.size !== 1 && (t.size !== n || (t.rank !== lead.length && t.rank !== 1) || (t.rank === lead.length && t.shape.some((s, i) => s !== lead[i])))) {
      throw new Error(`FlowHead.forward: times ${fmtShape(t.shape)} must be one per token ${fmtShape(lead)} or a single value`);
    }
    const tEmb = this.embedTime(t, x);
    const cEmb = this.cond_embed.call(c.reshape(n, this.config.conditionDim));
    return this.velocityFromEmbeddings(x.reshape(n, this.config.tokenDim), tEmb, cEmb).reshape(...lead, this.config.outDim);
  }

  /** The condition projection `cond_embed(c)`: `c [T, d]` -> `[T, w]` (constant over ODE steps, so samplers compute it once). */
  embedCondition(c: Tensor): Tensor {
    if (c.rank !== 2) throw new Error(`FlowHead.embedCondition: expected a condition [T, ${this.config.conditionDim}], got ${fmtShape(c.shape)}`);
    this.checkCondition('FlowHead.embedCondition', c, [c.shape[0]!]);
    return this.cond_embed.call(c);
  }

  /**
   * The time embedding: a number or a one-element tensor gives `[1, w]` (broadcast over tokens),
   * a tensor of `T` times gives `[T, w]`. `like` supplies the backend and dtype for a number.
   */
  embedTime(t: Tensor | number, like: Tensor): Tensor {
    if (typeof t === 'number') {
      if (!Number.isFinite(t)) throw new Error(`FlowHead: time must be finite, got ${t}`);
      return tidy(() => this.time_embed.call(tensor([t], { backend: like.backend, dtype: like.dtype })));
    }
    return tidy(() => this.time_embed.call(t.reshape(t.size)));
  }

  /**
   * The network body on flattened tokens: `x [T, C]`, time embedding `[T or 1, w]`, condition
   * embedding `[T or 1, w]` -> `[T, C_out]`.
   */
  velocityFromEmbeddings(x: Tensor, tEmb: Tensor, cEmb: Tensor): Tensor {
    return tidy(() => {
      const y = tEmb.add(cEmb);
      let h = this.input_proj.call(x);
      for (const block of this.res_blocks) h = block.call(h, y);
      return this.final_layer.call(h, y);
    });
  }

  /** Leading dims of a token tensor `[..., C]` (validated). */
  private checkTokens(op: string, x: Tensor): number[] {
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.config.tokenDim) {
      throw new Error(`${op}: latent ${fmtShape(x.shape)} must end with config.tokenDim ${this.config.tokenDim}`);
    }
    if (x.dtype === 'int32') throw new Error(`${op}: latent must be floating, got int32 ${fmtShape(x.shape)}`);
    return x.shape.slice(0, -1);
  }

  /** Throw unless `c` is `[...lead, d]`. */
  private checkCondition(op: string, c: Tensor, lead: readonly number[]): void {
    const d = c.shape[c.rank - 1];
    if (c.rank < 1 || d !== this.config.conditionDim) throw new Error(`${op}: condition width ${d ?? 'none'} (shape ${fmtShape(c.shape)}) does not match config.conditionDim ${this.config.conditionDim}`);
    const cl = c.shape.slice(0, -1);
    if (cl.length !== lead.length || cl.some((s, i) => s !== lead[i])) throw new Error(`${op}: condition ${fmtShape(c.shape)} must have the latent's leading dims ${fmtShape(lead)}`);
    if (c.dtype === 'int32') throw new Error(`${op}: condition must be floating, got int32 ${fmtShape(c.shape)}`);
  }

  override extraRepr(): string {
    const c = this.config;
    return `FlowHead(C=${c.tokenDim}, d=${c.conditionDim}, w=${c.width}, D=${c.depth}, out=${c.outDim})`;
  }
}
