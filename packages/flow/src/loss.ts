/**
 * The flow-matching loss ("diffuloss", docs/method.md section 8.2): `t = 0` is noise, `t = 1` data,
 * `x_t = t·x + (1 − t)·ε`, target velocity `v* = x − ε`, per-token MSE averaged over the (masked)
 * tokens, each token repeated `batchMul` times with fresh `(ε, t)`.
 */
import { Generator, Tensor, fmtShape, getDefaultGenerator, randn, tensor, tidy, zeros } from '@unihetero/tensor';
import type { FlowHead } from './head.js';

/** Distribution of training times: logit-normal (`t = σ(u)`, `u ~ N(mean, std²)`) or uniform on [0, 1). */
export type TimeDistribution = { kind: 'logit-normal'; mean?: number; std?: number } | { kind: 'uniform' };

/** A time distribution, or its name with default parameters (logit-normal(0, 1)). */
export type TimeDistributionSpec = TimeDistribution | 'logit-normal' | 'uniform';

/** Resolve a time-distribution spec (validated). */
export function resolveTimeDistribution(spec: TimeDistributionSpec = 'logit-normal'): Required<TimeDistribution> | { kind: 'uniform' } {
  const d: TimeDistribution = typeof spec === 'string' ? ({ kind: spec } as TimeDistribution) : spec;
  if (d?.kind === 'uniform') return { kind: 'uniform' };
  if (d?.kind !== 'logit-normal') throw new Error(`flow: unknown time distribution ${JSON.stringify(spec)} (expected 'logit-normal' or 'uniform')`);
  const mean = d.mean ?? 0;
  const std = d.std ?? 1;
  if (!Number.isFinite(mean) || !(std > 0) || !Number.isFinite(std)) throw new Error(`flow: logit-normal time needs a finite mean and std > 0, got mean=${mean} std=${std}`);
  return { kind: 'logit-normal', mean, std };
}

/**
 * `n` training times drawn from `dist` with `generator` (host values, so every backend sees the
 * same numbers): logit-normal uses one `generator.normal()` each, uniform one `generator.uniform()`.
 */
export function sampleTimes(n: number, dist: TimeDistributionSpec = 'logit-normal', generator: Generator = getDefaultGenerator()): Float32Array {
  if (!Number.isInteger(n) || n < 0) throw new Error(`sampleTimes: n must be a non-negative integer, got ${n}`);
  const d = resolveTimeDistribution(dist);
  const out = new Float32Array(n);
  if (d.kind === 'uniform') for (let i = 0; i < n; i++) out[i] = generator.uniform();
  else for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(-(d.mean + d.std * generator.normal())));
  return out;
}

/**
 * The interpolant and its velocity target for data `x [T, C]`, noise `eps [T, C]` and times
 * `t [T]`: `x_t = t·x + (1 − t)·eps`, `v* = x − eps` (docs/method.md 8.2).
 */
export function flowInterpolate(x: Tensor, eps: Tensor, t: Tensor): { xt: Tensor; velocity: Tensor } {
  if (x.rank !== 2 || eps.shape.length !== 2 || x.shape[0] !== eps.shape[0] || x.shape[1] !== eps.shape[1]) {
    throw new Error(`flowInterpolate: data ${fmtShape(x.shape)} and noise ${fmtShape(eps.shape)} must both be [T, C]`);
  }
  if (t.size !== x.shape[0]) throw new Error(`flowInterpolate: times ${fmtShape(t.shape)} must hold one value per token (${x.shape[0]})`);
  return tidy(() => {
    const tc = t.reshape(x.shape[0]!, 1);
    const velocity = x.sub(eps);
    const xt = eps.add(tc.mul(velocity));
    return { xt, velocity };
  });
}

/** Options of `flowMatchingLoss`. */
export interface FlowLossOptions {
  /** Repeat every token this many times with independent `(ε, t)` (default 4, docs/method.md 8.2). */
  batchMul?: number;
  /** Training-time distribution (default logit-normal(0, 1)). */
  time?: TimeDistributionSpec;
  /** Stop the gradient at the condition: `c = sg(z)` (the paper's exp2, docs/method.md 9.3). Default false. */
  detachCondition?: boolean;
  /**
   * Per-token weights (the masked-token indicator `m`, or any non-negative weights) with the
   * condition's leading shape; the loss is `Σ ℓ_i m_i / (Σ m_i + 1e-8)`. Default: plain mean.
   */
  mask?: Tensor;
  /** Stream of the noise and the times (default: the global generator). */
  generator?: Generator;
}

/**
 * The flow-matching loss of `head` on target latents `target [..., C]` under conditions
 * `condition [..., d]` (docs/method.md 8.2), a scalar tensor. Random numbers are drawn in this order:
 * the noise `ε [batchMul·T, C]` (row-major normals), then the times `[batchMul·T]`; repeat `r`
 * of token `i` is row `r·T + i`. The condition is projected once and the projection repeated,
 * which gives the same value and gradients as repeating `c` itself.
 */
export function flowMatchingLoss(head: FlowHead, target: Tensor, condition: Tensor, options: FlowLossOptions = {}): Tensor {
  const op = 'flowMatchingLoss';
  const cfg = head.config;
  const m = options.batchMul ?? 4;
  if (!Number.isInteger(m) || m < 1) throw new Error(`${op}: batchMul must be a positive integer, got ${m}`);
  if (cfg.outDim !== cfg.tokenDim) throw new Error(`${op}: the head predicts ${cfg.outDim} channels but the velocity has config.tokenDim ${cfg.tokenDim}`);
  if (target.rank < 1 || target.shape[target.rank - 1] !== cfg.tokenDim) throw new Error(`${op}: target ${fmtShape(target.shape)} must end with config.tokenDim ${cfg.tokenDim}`);
  const lead = target.shape.slice(0, -1);
  const cd = condition.shape[condition.rank - 1];
  if (condition.rank < 1 || cd !== cfg.conditionDim) throw new Error(`${op}: condition width ${cd ?? 'none'} (shape ${fmtShape(condition.shape)}) does not match config.conditionDim ${cfg.conditionDim}`);
  const cl = condition.shape.slice(0, -1);
  if (cl.length !== lead.length || cl.some((s, i) => s !== lead[i])) throw new Error(`${op}: condition ${fmtShape(condition.shape)} and target ${fmtShape(target.shape)} must have the same leading dims`);
  const mask = options.mask;
  if (mask && (mask.shape.length !== lead.length || mask.shape.some((s, i) => s !== lead[i]))) throw new Error(`${op}: mask ${fmtShape(mask.shape)} must have the tokens' shape ${fmtShape(lead)}`);
  const dist = resolveTimeDistribution(options.time);
  const gen = options.generator ?? getDefaultGenerator();
  const n = lead.reduce((a, b) => a * b, 1);
  const C = cfg.tokenDim;
  const w = cfg.width;
  return tidy(() => {
    const b = target.backend;
    const dt = target.dtype === 'int32' ? 'float32' : target.dtype;
    if (n === 0) return zeros([], { backend: b, dtype: dt }); // no tokens: 0, not NaN (docs/method.md 9.1)
    const eps = randn([m * n, C], { generator: gen, backend: b, dtype: dt });
    const times = tensor(dt === 'float64' ? Float64Array.from(sampleTimes(m * n, dist, gen)) : sampleTimes(m * n, dist, gen), { backend: b, dtype: dt });
    const x1 = target.reshape(n, C);
    const c = options.detachCondition ? condition.detach().reshape(n, cfg.conditionDim) : condition.reshape(n, cfg.conditionDim);
    const repeat = (a: Tensor, k: number) => (m === 1 ? a : a.unsqueeze(0).expand(m, n, k).reshape(m * n, k));
    const { xt, velocity } = flowInterpolate(repeat(x1, C), eps, times);
    const cEmb = repeat(head.cond_embed.call(c), w);
    const tEmb = head.time_embed.call(times);
    const pred = head.velocityFromEmbeddings(xt, tEmb, cEmb);
    const perToken = pred.sub(velocity).square().mean(-1); // [m·n]
    if (!mask) return perToken.mean();
    const mw = mask.dtype === 'int32' ? mask.cast(dt) : mask;
    const weights = repeat(mw.reshape(n, 1), 1).reshape(m * n);
    return perToken.mul(weights).sum().div(weights.sum().add(1e-8));
  });
}
