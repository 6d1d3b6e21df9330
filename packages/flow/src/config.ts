/**
 * Configuration of the flow head (docs/method.md section 8.1), its named size presets, and the
 * closed-form parameter count.
 */

/** Sizes and constants of a `FlowHead` (MAR's `SimpleMLPAdaLN`, docs/method.md section 8.1). */
export interface FlowHeadConfig {
  /** Channels per token of the latent `x` (docs/method.md 8.1 `C`). */
  tokenDim: number;
  /** Width of the condition `c`, the LLM hidden state (docs/method.md 8.1 `d`). */
  conditionDim: number;
  /** Hidden width of the head (docs/method.md 8.1 `w`). */
  width: number;
  /** Number of AdaLN residual blocks (docs/method.md 8.1 `D`). */
  depth: number;
  /** Hidden width of each block's MLP as a multiple of `width` (MAR: 1; default 1). */
  mlpRatio: number;
  /** Output channels (default `tokenDim`: the velocity; MAR's diffusion head uses `2 * tokenDim`). */
  outDim: number;
  /** Size of the sinusoidal time features (MAR: 256). */
  timeEmbedDim: number;
  /** The time `t in [0, 1]` is fed to the sinusoid as `timeScale * t` (docs/method.md 8.1 PROPOSAL: 1000). */
  timeScale: number;
  /** Longest period of the sinusoid (MAR: 10000). */
  maxPeriod: number;
  /** LayerNorm epsilon of the blocks and the final layer (MAR: 1e-6). */
  eps: number;
}

/** What the user gives: the two data widths are required, the rest has MAR's defaults. */
export type FlowHeadOptions = Pick<FlowHeadConfig, 'tokenDim' | 'conditionDim'> & Partial<Omit<FlowHeadConfig, 'tokenDim' | 'conditionDim'>>;

/** A named head size: width and depth (and optionally the MLP ratio). */
export interface FlowHeadSize {
  /** Hidden width `w`. */
  width: number;
  /** Number of residual blocks `D`. */
  depth: number;
  /** Block MLP ratio (default 1). */
  mlpRatio?: number;
}

/**
 * Named sizes. `small`: the shapes-world default (docs/method.md section 14, w=128, D=3); `base`: the
 * UniHetero-scale PROPOSAL (docs/method.md 8.1, w=1024, D=3, MAR's training default); `mar-base`,
 * `mar-large`, `mar-huge`: the heads of MAR's released models (docs/method.md 8.1); `mar-base` (twice the
 * base depth) is the paper's exp4 head (docs/method.md 9.3).
 */
export const FLOW_HEAD_SIZES = {
  small: { width: 128, depth: 3 },
  base: { width: 1024, depth: 3 },
  'mar-base': { width: 1024, depth: 6 },
  'mar-large': { width: 1280, depth: 8 },
  'mar-huge': { width: 1536, depth: 12 },
} as const satisfies Record<string, FlowHeadSize>;

/** The name of a built-in head size. */
export type FlowHeadSizeName = keyof typeof FLOW_HEAD_SIZES;

function positiveInt(op: string, name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`${op}: ${name} must be a positive integer, got ${String(v)}`);
}

function positiveNumber(op: string, name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`${op}: ${name} must be a finite number > 0, got ${String(v)}`);
}

/** Fill the defaults of a head configuration and validate every field. */
export function resolveFlowHeadConfig(options: FlowHeadOptions): FlowHeadConfig {
  const op = 'FlowHead';
  if (options === null || typeof options !== 'object') throw new Error(`${op}: expected a configuration object, got ${String(options)}`);
  const cfg: FlowHeadConfig = {
    tokenDim: options.tokenDim,
    conditionDim: options.conditionDim,
    width: options.width ?? FLOW_HEAD_SIZES.small.width,
    depth: options.depth ?? FLOW_HEAD_SIZES.small.depth,
    mlpRatio: options.mlpRatio ?? 1,
    outDim: options.outDim ?? options.tokenDim,
    timeEmbedDim: options.timeEmbedDim ?? 256,
    timeScale: options.timeScale ?? 1000,
    maxPeriod: options.maxPeriod ?? 10000,
    eps: options.eps ?? 1e-6,
  };
  for (const k of ['tokenDim', 'conditionDim', 'width', 'depth', 'outDim', 'timeEmbedDim'] as const) positiveInt(op, k, cfg[k]);
  positiveNumber(op, 'mlpRatio', cfg.mlpRatio);
  if (!Number.isInteger(cfg.width * cfg.mlpRatio)) throw new Error(`${op}: width * mlpRatio must be an integer, got ${cfg.width} * ${cfg.mlpRatio}`);
  if (cfg.timeEmbedDim < 2) throw new Error(`${op}: timeEmbedDim must be at least 2, got ${cfg.timeEmbedDim}`);
  positiveNumber(op, 'timeScale', cfg.timeScale);
  positiveNumber(op, 'maxPeriod', cfg.maxPeriod);
  positiveNumber(op, 'eps', cfg.eps);
  return cfg;
}

/**
 * A head configuration from a named size plus the data widths (and any overrides):
 * `flowHeadConfig('small', { tokenDim: 48, conditionDim: 128 })`.
 */
export function flowHeadConfig(size: FlowHeadSizeName, options: FlowHeadOptions): FlowHeadConfig {
  const s: FlowHeadSize | undefined = (FLOW_HEAD_SIZES as Record<string, FlowHeadSize>)[size];
  if (!s) throw new Error(`flowHeadConfig: unknown size '${String(size)}' (expected one of ${Object.keys(FLOW_HEAD_SIZES).join(', ')})`);
  return resolveFlowHeadConfig({ ...s, ...options });
}

/**
 * The number of parameters of a head, in closed form (docs/method.md 8.1 for r = 1, generalised to the
 * MLP ratio `r` and time-feature size `F`):
 * `C·w+w + d·w+w + F·w+w + w²+w + D·(2w + (w·rw+rw) + (rw·w+w) + 3w²+3w) + 2w²+2w + w·C_out+C_out`.
 */
export function flowHeadParamCount(options: FlowHeadOptions): number {
  const c = resolveFlowHeadConfig(options);
  const w = c.width;
  const h = w * c.mlpRatio;
  const linear = (i: number, o: number) => i * o + o;
  const block = 2 * w + linear(w, h) + linear(h, w) + linear(w, 3 * w);
  return (
    linear(c.tokenDim, w) + // input_proj
    linear(c.conditionDim, w) + // cond_embed
    linear(c.timeEmbedDim, w) + // time_embed.mlp.0
    linear(w, w) + // time_embed.mlp.2
    c.depth * block +
    linear(w, 2 * w) + // final_layer.adaLN_modulation.1
    linear(w, c.outDim) // final_layer.linear
  );
}
