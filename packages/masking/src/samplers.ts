/**
 * Training mask-rate samplers (docs/method.md section 5.3).
 *
 * A sampler draws the fraction `r in [0, 1]` of image tokens to mask in one training sample;
 * `maskCount(n, r)` turns it into a token count. All randomness comes from the seeded
 * `Generator` passed in, so the same seed gives the same rates.
 */
import type { Generator } from '@unihetero/tensor';
import { truncatedNormalMoments } from './normal';

/** Whether a batch gets one rate per sample (`per-sample`) or one shared rate (`per-batch`, MAR). */
export type RateMode = 'per-sample' | 'per-batch';

/** A mask-rate distribution on [0, 1]. */
export interface MaskRateSampler {
  /** Registry kind, e.g. `gaussian`. */
  readonly name: string;
  /** The closed interval every draw lies in. */
  readonly support: readonly [number, number];
  /** Analytic mean of the distribution (when known). */
  readonly mean?: number;
  /** Analytic standard deviation of the distribution (when known). */
  readonly std?: number;
  /** One rate. */
  sample(gen: Generator): number;
  /** `batch` rates: independent draws (`per-sample`, default) or one draw repeated (`per-batch`). */
  sampleBatch(gen: Generator, batch: number, mode?: RateMode): Float64Array;
  /** The config that rebuilds this sampler through `getMaskRateSampler`. */
  toConfig(): MaskRateSamplerConfig;
}

/** JSON configs understood by `getMaskRateSampler`. */
export type MaskRateSamplerConfig =
  | { kind: 'fixed'; rate: number }
  | { kind: 'uniform'; a?: number; b?: number }
  | { kind: 'gaussian'; mean?: number; std?: number; lo?: number; hi?: number }
  | { kind: 'mar'; min?: number }
  | { kind: 'mixture'; components: MixtureComponent[] }
  | { kind: string; [option: string]: unknown };

function checkBatch(op: string, batch: number): void {
  if (!Number.isInteger(batch) || batch < 0) throw new Error(`${op}.sampleBatch: batch must be an integer >= 0, got ${batch}`);
}

/** A sampler's `sampleBatch` built from its one-rate `sample` (both modes, checked arguments); for new samplers. */
export function makeSampleBatch(name: string, sample: (gen: Generator) => number): MaskRateSampler['sampleBatch'] {
  return (gen: Generator, batch: number, mode: RateMode = 'per-sample'): Float64Array => {
    checkBatch(name, batch);
    const out = new Float64Array(batch);
    if (mode === 'per-batch') {
      if (batch > 0) out.fill(sample(gen));
    } else if (mode === 'per-sample') {
      for (let i = 0; i < batch; i++) out[i] = sample(gen);
    } else {
      throw new Error(`${name}.sampleBatch: mode must be 'per-sample' or 'per-batch', got '${String(mode)}'`);
    }
    return out;
  };
}

function isNum(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/** A constant rate `r` (consumes no randomness). */
export function fixed(rate: number): MaskRateSampler {
  if (!isNum(rate) || rate < 0 || rate > 1) throw new Error(`fixed: rate must be in [0, 1], got ${String(rate)}`);
  const sample = (_gen: Generator) => rate;
  return {
    name: 'fixed',
    support: [rate, rate],
    mean: rate,
    std: 0,
    sample,
    sampleBatch: makeSampleBatch('fixed', sample),
    toConfig: () => ({ kind: 'fixed', rate }),
  };
}

/** Uniform rates on [a, b] with 0 <= a <= b <= 1 (one `gen.uniform()` per draw). */
export function uniform(a = 0, b = 1): MaskRateSampler {
  if (!isNum(a) || !isNum(b) || !(a >= 0 && a <= b && b <= 1)) {
    throw new Error(`uniform: need 0 <= a <= b <= 1, got a=${String(a)} b=${String(b)}`);
  }
  const sample = (gen: Generator) => a + (b - a) * gen.uniform();
  return {
    name: 'uniform',
    support: [a, b],
    mean: (a + b) / 2,
    std: (b - a) / Math.sqrt(12),
    sample,
    sampleBatch: makeSampleBatch('uniform', sample),
    toConfig: () => ({ kind: 'uniform', a, b }),
  };
}

/** Options of the truncated Gaussian sampler. */
export interface GaussianOptions {
  /** Location of the untruncated normal (default 0.7, the UniHetero paper's mean). */
  mean?: number;
  /** Scale of the untruncated normal (default 0.25). */
  std?: number;
  /** Lower truncation bound (default 0). */
  lo?: number;
  /** Upper truncation bound (default 1). */
  hi?: number;
}

/** Smallest acceptance probability the rejection sampler allows (about 10^4 draws per accepted value). */
const MIN_ACCEPTANCE = 1e-4;

/**
 * N(mean, std^2) truncated to [lo, hi] by rejection (redraw `mean + std * gen.normal()` until it
 * falls inside). The default is the UniHetero proposal TruncNormal(0.7, 0.25, [0, 1]) with
 * analytic truncated mean 0.6472 and std 0.2041. `mean`/`std` on the returned sampler are the
 * truncated moments; `loc`/`scale` are the untruncated parameters.
 */
export function gaussian(options: GaussianOptions = {}): MaskRateSampler & { readonly loc: number; readonly scale: number; readonly acceptance: number } {
  const { mean: loc = 0.7, std: scale = 0.25, lo = 0, hi = 1 } = options;
  if (!isNum(loc)) throw new Error(`gaussian: mean must be a finite number, got ${String(loc)}`);
  if (!isNum(scale) || scale <= 0) throw new Error(`gaussian: std must be > 0, got ${String(scale)}`);
  if (!isNum(lo) || !isNum(hi) || !(lo >= 0 && lo < hi && hi <= 1)) {
    throw new Error(`gaussian: need 0 <= lo < hi <= 1, got lo=${String(lo)} hi=${String(hi)}`);
  }
  const m = truncatedNormalMoments(loc, scale, lo, hi);
  if (!(m.mass >= MIN_ACCEPTANCE)) {
    throw new Error(
      `gaussian: N(${loc}, ${scale}^2) puts only ${m.mass.toExponential(2)} of its mass in [${lo}, ${hi}] (< ${MIN_ACCEPTANCE}); rejection sampling would stall`,
    );
  }
  const sample = (gen: Generator): number => {
    for (;;) {
      const r = loc + scale * gen.normal();
      if (r >= lo && r <= hi) return r;
    }
  };
  return {
    name: 'gaussian',
    support: [lo, hi],
    mean: m.mean,
    std: m.std,
    loc,
    scale,
    acceptance: m.mass,
    sample,
    sampleBatch: makeSampleBatch('gaussian', sample),
    toConfig: () => ({ kind: 'gaussian', mean: loc, std: scale, lo, hi }),
  };
}

/** Options of the MAR sampler. */
export interface MarOptions {
  /** MAR's `mask_ratio_min` (default 0.7): the support is [min, 1]. */
  min?: number;
}

/**
 * MAR's sampler: TruncNormal(loc 1.0, scale 0.25, support [min, 1.0]) with `min = 0.7`
 * (analytic mean 0.867, std 0.0835). MAR draws it once per batch; pass `per-batch` to
 * `sampleBatch` (or `sampleTrainingMasks`) to reproduce that.
 */
export function mar(options: MarOptions = {}): MaskRateSampler {
  const { min = 0.7 } = options;
  if (!isNum(min) || !(min >= 0 && min < 1)) throw new Error(`mar: min must be in [0, 1), got ${String(min)}`);
  const g = gaussian({ mean: 1, std: 0.25, lo: min, hi: 1 });
  return {
    name: 'mar',
    support: [min, 1],
    mean: g.mean,
    std: g.std,
    sample: g.sample,
    sampleBatch: makeSampleBatch('mar', g.sample),
    toConfig: () => ({ kind: 'mar', min }),
  };
}

/** One weighted component of `mixture`. */
export interface MixtureComponent {
  /** Relative weight (> 0; weights need not sum to 1). */
  weight: number;
  /** The component: a sampler, or any config `getMaskRateSampler` accepts. */
  sampler: MaskRateSampler | MaskRateSamplerConfig | string;
}

/**
 * A mixture: each draw first picks a component with probability proportional to its weight (one
 * uniform draw), then draws from it. `mixture([{ weight: 0.5, sampler: fixed(1) }, { weight: 0.5,
 * sampler: mar() }])` masks half of the samples completely, so that the caption alone must
 * predict every token as in the first generation step.
 */
export function mixture(components: readonly MixtureComponent[]): MaskRateSampler {
  if (!Array.isArray(components) || components.length === 0) throw new Error(`mixture: needs at least one component, got ${JSON.stringify(components)}`);
  const parts = components.map((c, i) => {
    if (!c || !isNum(c.weight) || !(c.weight > 0)) throw new Error(`mixture: component ${i} needs a weight > 0, got ${JSON.stringify(c?.weight)}`);
    return { weight: c.weight, sampler: getMaskRateSampler(c.sampler) };
  });
  const total = parts.reduce((a, p) => a + p.weight, 0);
  const cum = parts.map((_, i) => parts.slice(0, i + 1).reduce((a, p) => a + p.weight, 0) / total);
  const sample = (gen: Generator): number => {
    const u = gen.uniform();
    const k = cum.findIndex((c) => u < c);
    return parts[k < 0 ? parts.length - 1 : k]!.sampler.sample(gen);
  };
  const means = parts.map((p) => p.sampler.mean);
  const mean = means.every(isNum) ? parts.reduce((a, p, i) => a + (p.weight / total) * means[i]!, 0) : undefined;
  const stds = parts.map((p) => p.sampler.std);
  const std =
    mean !== undefined && stds.every(isNum) ? Math.sqrt(parts.reduce((a, p, i) => a + (p.weight / total) * (stds[i]! ** 2 + means[i]! ** 2), 0) - mean * mean) : undefined;
  return {
    name: 'mixture',
    support: [Math.min(...parts.map((p) => p.sampler.support[0])), Math.max(...parts.map((p) => p.sampler.support[1]))],
    mean,
    std,
    sample,
    sampleBatch: makeSampleBatch('mixture', sample),
    toConfig: () => ({ kind: 'mixture', components: parts.map((p) => ({ weight: p.weight, sampler: p.sampler.toConfig() })) }),
  };
}

/** A factory that builds a sampler from a config's options (everything except `kind`). */
export type MaskRateSamplerFactory = (options: Record<string, unknown>) => MaskRateSampler;

interface RegistryEntry {
  factory: MaskRateSamplerFactory;
  options: readonly string[];
}

const registry = new Map<string, RegistryEntry>([
  ['fixed', { options: ['rate'], factory: (o) => fixed(o.rate as number) }],
  ['uniform', { options: ['a', 'b'], factory: (o) => uniform(o.a as number | undefined, o.b as number | undefined) }],
  ['gaussian', { options: ['mean', 'std', 'lo', 'hi'], factory: (o) => gaussian(o as GaussianOptions) }],
  ['mar', { options: ['min'], factory: (o) => mar(o as MarOptions) }],
  ['mixture', { options: ['components'], factory: (o) => mixture(o.components as MixtureComponent[]) }],
]);

/** Add a sampler kind to the registry (`options` lists the config keys it accepts). */
export function registerMaskRateSampler(kind: string, factory: MaskRateSamplerFactory, options: readonly string[] = []): void {
  if (typeof kind !== 'string' || kind.length === 0) throw new Error(`registerMaskRateSampler: kind must be a non-empty string, got ${String(kind)}`);
  if (registry.has(kind)) throw new Error(`registerMaskRateSampler: kind '${kind}' is already registered`);
  registry.set(kind, { factory, options: [...options] });
}

/** The registered sampler kinds. */
export function maskRateSamplerKinds(): string[] {
  return [...registry.keys()];
}

/** The default sampler: the UniHetero proposal `gaussian()` = TruncNormal(0.7, 0.25, [0, 1]). */
export const DEFAULT_MASK_RATE_SAMPLER: MaskRateSamplerConfig = { kind: 'gaussian', mean: 0.7, std: 0.25, lo: 0, hi: 1 };

/**
 * Build a sampler from a kind name (`'gaussian'`, `'mar'`, `'uniform'`), a config
 * (`{ kind: 'gaussian', mean: 0.7 }`) or pass a sampler through. Unknown kinds and unknown
 * option keys are errors.
 */
export function getMaskRateSampler(spec: string | MaskRateSamplerConfig | MaskRateSampler = DEFAULT_MASK_RATE_SAMPLER): MaskRateSampler {
  if (typeof spec === 'object' && spec !== null && typeof (spec as MaskRateSampler).sample === 'function') {
    return spec as MaskRateSampler;
  }
  let kind: string;
  let options: Record<string, unknown> = {};
  if (typeof spec === 'string') {
    kind = spec;
  } else if (typeof spec === 'object' && spec !== null && typeof (spec as { kind?: unknown }).kind === 'string') {
    const { kind: k, ...rest } = spec as { kind: string; [key: string]: unknown };
    kind = k;
    options = rest;
  } else {
    throw new Error(`getMaskRateSampler: expected a kind name, a { kind, ... } config or a sampler, got ${JSON.stringify(spec)}`);
  }
  const entry = registry.get(kind);
  if (!entry) throw new Error(`getMaskRateSampler: unknown kind '${kind}'; known kinds: ${maskRateSamplerKinds().join(', ')}`);
  for (const key of Object.keys(options)) {
    if (!entry.options.includes(key)) {
      throw new Error(`${kind}: unknown option '${key}'; known options: ${entry.options.length ? entry.options.join(', ') : '(none)'}`);
    }
  }
  if (kind === 'fixed' && options.rate === undefined) throw new Error(`fixed: option 'rate' is required`);
  if (kind === 'mixture' && options.components === undefined) throw new Error(`mixture: option 'components' is required`);
  return entry.factory(options);
}
