/**
 * From per-run points to per-run-group summaries (one group = one preset or variant in one design,
 * over seeds): means per scale, the final numbers as means over seeds with a 95% t-interval
 * (Student's t with n-1 degrees of freedom), the data-scale fits `y = a*n + b` (Equation 6,
 * docs/method.md 12.2) over every checkpoint, and the exp2-vs-exp1 comparison per design with the paired
 * t-interval of the per-seed differences. Pure functions of the numbers.
 */
import jStat from 'jstat';
import { fitLine, type LinearFit } from './fit.js';
import type { ModelMetrics } from './metrics.js';
import type { DesignName } from './recipe.js';

/** One evaluated checkpoint of a training run. */
export interface ScalePoint {
  /** Training samples seen (`n` of Equation 6). */
  samples: number;
  /** Optimizer steps taken. */
  step: number;
  /** Cumulative training seconds of the run up to this checkpoint (flow warm-up included). */
  trainSeconds: number;
  /** Mean training loss over the steps since the previous checkpoint. */
  trainLoss: number;
  /** The checkpoint file, relative to the ablation's output folder. */
  checkpoint: string;
  metrics: ModelMetrics;
}

/** What a run trains, as shown in the report. */
export interface PresetFacts {
  /** The run's folder under the output folder (`shared/exp1`, `equal-understanding/exp2`, `equal-understanding/exp2-mlp-cos`, ...). */
  id: string;
  preset: string;
  description: string;
  /** ploss weight. */
  alpha: number;
  /** diffuloss weight. */
  beta: number;
  /** The diffuloss gradient stops at the LLM (exp2). */
  detachFlowCondition: boolean;
  /** Invert-projector variant. */
  invertProjector: string;
  /** How pairs became examples (`mix.pairing`): 'both' (equal understanding data) or 'split' (equal samples). */
  pairing: 'both' | 'split';
  flowWidth: number;
  flowDepth: number;
  flowWarmupSteps: number;
  /** Whether the run trains any generation objective (generation is evaluated only then). */
  trainsGeneration: boolean;
}

/** One training run (a preset or variant in a design, and a seed) with its checkpoints. */
export interface PresetRun extends PresetFacts {
  seed: number;
  points: ScalePoint[];
  /** Training seconds (all sessions, when resumed). */
  trainSeconds: number;
  /** Evaluation seconds (all sessions). */
  evalSeconds: number;
}

/** A fit with its slope per million samples. */
export interface FitSummary extends LinearFit {
  /** The slope in metric units per 1,000,000 samples. */
  aPerMillion: number;
}

/** A mean over seeds with its two-sided t-interval. */
export interface SeedInterval {
  mean: number;
  /** Values (seeds) behind the mean. */
  n: number;
  /** Sample standard deviation (n - 1 in the denominator; NaN with one value). */
  sd: number;
  /** Degrees of freedom, n - 1. */
  df: number;
  /** Confidence level (0.95). */
  level: number;
  /** `t_{(1+level)/2, n-1} * sd / sqrt(n)` (NaN with one value). */
  halfWidth: number;
  low: number;
  high: number;
  /** The values, in the order given (per seed). */
  values: number[];
}

/** Means over seeds at one scale (the plotted points). */
export interface MeanPoint {
  samples: number;
  test: number;
  heldout: number;
  generation: number | null;
  roundTrip: number | null;
}

/** Per run group (one folder, all seeds): means per scale, the final (largest-scale) numbers with intervals, and the fits. */
export interface PresetSummary extends PresetFacts {
  seeds: number[];
  points: MeanPoint[];
  final: {
    samples: number;
    /** Questions per split and seed. */
    questions: number;
    test: SeedInterval;
    heldout: SeedInterval;
    captionExact: number | null;
    captionObjectRecall: number | null;
    /** The judge on images generated from test captions (attributes: means over seeds; images: all seeds). */
    generation: { objectAccuracy: SeedInterval; position: number; colour: number; shape: number; size: number; exact: number; images: number } | null;
    roundTrip: { objectRecall: SeedInterval; exact: number; unparsable: number; count: number } | null;
    /** The ladder's semantics rung (null where not measured). */
    semantics: { objectAccuracy: SeedInterval; ceiling: number; count: number } | null;
  };
  /** Equation 6 over every checkpoint of every seed. */
  fits: { test: FitSummary | null; heldout: FitSummary | null; generation: FitSummary | null; roundTrip: FitSummary | null };
  /** The slope per 1M samples fitted per seed, as a mean with its t-interval (null with one scale). */
  seedSlopes: { test: SeedInterval | null; heldout: SeedInterval | null };
  trainSeconds: number;
  evalSeconds: number;
}

/** exp2 minus exp1 on one metric. */
export interface SeedDifference {
  /** exp2's mean over its seeds. */
  a: number;
  /** exp1's mean over its seeds. */
  b: number;
  /** `a - b`, the difference of means. */
  difference: number;
  /** The t-interval of the per-seed differences over the seeds both ran (paired by seed; null with fewer than two). */
  paired: SeedInterval | null;
  /** Binomial standard error of the difference of the pooled accuracies (evaluation noise only; the fallback with one seed). */
  standardError: number;
}

/** exp2 against exp1 in one design (the paper's headline comparison). */
export interface Comparison {
  design: DesignName;
  samples: number;
  /** The seeds both ran. */
  seeds: number[];
  test: SeedDifference;
  heldout: SeedDifference;
  slopeExp2PerMillion: number | null;
  slopeExp1PerMillion: number | null;
  /** The sentences REPORT.md prints, generated from the numbers. */
  verdict: string;
}

/** The range of an accuracy or recall, for clipping its interval. */
const UNIT: readonly [number, number] = [0, 1];

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Student's t quantile `t_{p, df}` (jstat). */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`tQuantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new Error(`tQuantile: degrees of freedom must be positive, got ${df}`);
  return jStat.studentt.inv(p, df);
}

/**
 * Mean, sample standard deviation and the two-sided t-interval (n-1 df) of `values`; one value
 * gives NaN spread. `range` clips the interval to a metric's possible values (accuracies: [0, 1]);
 * the half-width stays the unclipped one.
 */
export function tInterval(values: readonly number[], level = 0.95, range: readonly [number, number] = [-Infinity, Infinity]): SeedInterval {
  if (values.length === 0) throw new Error('tInterval: no values');
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new Error(`tInterval: value ${i} is not finite (${v})`);
  });
  if (!(level > 0 && level < 1)) throw new Error(`tInterval: level must be in (0, 1), got ${level}`);
  const n = values.length;
  const m = mean(values);
  if (n === 1) return { mean: m, n, sd: NaN, df: 0, level, halfWidth: NaN, low: NaN, high: NaN, values: [...values] };
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (n - 1));
  const half = (tQuantile((1 + level) / 2, n - 1) * sd) / Math.sqrt(n);
  return { mean: m, n, sd, df: n - 1, level, halfWidth: half, low: Math.max(range[0], m - half), high: Math.min(range[1], m + half), values: [...values] };
}

/** Fit `y = a*n + b` over the points; null with fewer than two distinct sample counts. */
export function fitPoints(points: readonly (readonly [number, number])[]): FitSummary | null {
  if (new Set(points.map((p) => p[0])).size < 2) return null;
  const f = fitLine(points.map((p) => p[0]), points.map((p) => p[1]));
  return { ...f, aPerMillion: f.a * 1e6 };
}

/** Group runs by their folder (first-seen order) and summarise each over its seeds. */
export function summarizeRuns(runs: readonly PresetRun[]): PresetSummary[] {
  const byId = new Map<string, PresetRun[]>();
  for (const r of runs) {
    if (r.points.length === 0) continue;
    const list = byId.get(r.id) ?? [];
    list.push(r);
    byId.set(r.id, list);
  }
  return [...byId.values()].map(summarizeGroup);
}

function summarizeGroup(runs: PresetRun[]): PresetSummary {
  const facts = runs[0]!;
  const all = runs.flatMap((r) => r.points);
  const scales = [...new Set(all.map((p) => p.samples))].sort((x, y) => x - y);
  const at = (n: number) => all.filter((p) => p.samples === n);
  const optMean = (xs: (number | null | undefined)[]): number | null => {
    const v = xs.filter((x): x is number => typeof x === 'number');
    return v.length === xs.length && v.length > 0 ? mean(v) : null;
  };
  const points: MeanPoint[] = scales.map((n) => {
    const ps = at(n);
    return {
      samples: n,
      test: mean(ps.map((p) => p.metrics.test.accuracy)),
      heldout: mean(ps.map((p) => p.metrics.heldout.accuracy)),
      generation: optMean(ps.map((p) => p.metrics.generation?.objectAccuracy)),
      roundTrip: optMean(ps.map((p) => p.metrics.roundTrip?.objectRecall)),
    };
  });
  const finalSamples = scales[scales.length - 1]!;
  // The final checkpoint of each seed that reached the largest scale, in seed order.
  const finals = runs.map((r) => ({ seed: r.seed, p: r.points.find((q) => q.samples === finalSamples) })).filter((x): x is { seed: number; p: ScalePoint } => x.p !== undefined);
  const last = finals.map((x) => x.p.metrics);
  const gens = last.map((m) => m.generation);
  const rts = last.map((m) => m.roundTrip);
  const sems = last.map((m) => m.semantics ?? null);
  const caps = last.map((m) => m.captions);
  const generation = gens.every((g) => g)
    ? {
        objectAccuracy: tInterval(gens.map((g) => g!.objectAccuracy), 0.95, UNIT),
        position: mean(gens.map((g) => g!.position)),
        colour: mean(gens.map((g) => g!.colour)),
        shape: mean(gens.map((g) => g!.shape)),
        size: mean(gens.map((g) => g!.size)),
        exact: mean(gens.map((g) => g!.exact)),
        images: gens.reduce((s, g) => s + g!.count, 0),
      }
    : null;
  const roundTrip = rts.every((r) => r)
    ? { objectRecall: tInterval(rts.map((r) => r!.objectRecall), 0.95, UNIT), exact: mean(rts.map((r) => r!.exact)), unparsable: mean(rts.map((r) => r!.unparsable)), count: rts.reduce((s, r) => s + r!.count, 0) }
    : null;
  const semantics = sems.every((s) => s) ? { objectAccuracy: tInterval(sems.map((s) => s!.objectAccuracy), 0.95, UNIT), ceiling: mean(sems.map((s) => s!.ceiling)), count: sems.reduce((a, s) => a + s!.count, 0) } : null;
  const series = (pick: (m: ModelMetrics) => number | undefined): FitSummary | null => {
    const pts = all.map((p) => [p.samples, pick(p.metrics)] as const).filter((p): p is readonly [number, number] => typeof p[1] === 'number');
    return pts.length === all.length ? fitPoints(pts) : null;
  };
  const seedSlope = (pick: (m: ModelMetrics) => number): SeedInterval | null => {
    const slopes = runs.map((r) => fitPoints(r.points.map((p) => [p.samples, pick(p.metrics)] as const))).filter((f): f is FitSummary => f !== null);
    return slopes.length > 0 ? tInterval(slopes.map((f) => f.aPerMillion)) : null;
  };
  const { seed: _seed, points: _points, trainSeconds: _t, evalSeconds: _e, ...rest } = facts;
  return {
    ...rest,
    seeds: finals.map((x) => x.seed),
    points,
    final: {
      samples: finalSamples,
      questions: last[0]!.test.count,
      test: tInterval(last.map((m) => m.test.accuracy), 0.95, UNIT),
      heldout: tInterval(last.map((m) => m.heldout.accuracy), 0.95, UNIT),
      captionExact: caps.every((c) => c) ? mean(caps.map((c) => c!.exact)) : null,
      captionObjectRecall: caps.every((c) => c) ? mean(caps.map((c) => c!.objectRecall)) : null,
      generation,
      roundTrip,
      semantics,
    },
    fits: {
      test: series((m) => m.test.accuracy),
      heldout: series((m) => m.heldout.accuracy),
      generation: series((m) => m.generation?.objectAccuracy),
      roundTrip: series((m) => m.roundTrip?.objectRecall),
    },
    seedSlopes: { test: seedSlope((m) => m.test.accuracy), heldout: seedSlope((m) => m.heldout.accuracy) },
    trainSeconds: runs.reduce((s, r) => s + r.trainSeconds, 0),
    evalSeconds: runs.reduce((s, r) => s + r.evalSeconds, 0),
  };
}

/** `a - b` over seeds: the difference of means, the paired t-interval over common seeds, and the binomial standard error of the pooled accuracies (`questions` per seed). */
export function seedDifference(a: SeedInterval, aSeeds: readonly number[], b: SeedInterval, bSeeds: readonly number[], questions: number): SeedDifference {
  if (a.values.length !== aSeeds.length || b.values.length !== bSeeds.length) throw new Error(`seedDifference: ${a.values.length} and ${b.values.length} values for ${aSeeds.length} and ${bSeeds.length} seeds`);
  const common = aSeeds.filter((s) => bSeeds.includes(s));
  const diffs = common.map((s) => a.values[aSeeds.indexOf(s)]! - b.values[bSeeds.indexOf(s)]!);
  const se = (m: SeedInterval) => Math.sqrt(Math.max(0, m.mean * (1 - m.mean)) / (questions * m.n));
  return { a: a.mean, b: b.mean, difference: a.mean - b.mean, paired: diffs.length >= 2 ? tInterval(diffs) : null, standardError: Math.sqrt(se(a) ** 2 + se(b) ** 2) };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const pts = (x: number) => `${x >= 0 ? '+' : '-'}${Math.abs(x * 100).toFixed(1)} points`;
const ptsBare = (x: number) => `${x >= 0 ? '+' : '-'}${Math.abs(x * 100).toFixed(1)}`;

/** `[-2.0, +5.6] points`: an interval of a difference. */
export function intervalPoints(i: SeedInterval): string {
  return `[${ptsBare(i.low)}, ${ptsBare(i.high)}] points`;
}

function intervalWords(d: SeedDifference, what: string): string {
  const p = d.paired;
  if (!p) {
    const z = d.standardError > 0 ? Math.abs(d.difference) / d.standardError : d.difference === 0 ? 0 : Infinity;
    return (
      `With fewer than two seeds in common there is no interval over seeds: the binomial standard error of the difference (evaluation noise only) is ${pts(d.standardError).slice(1)}, ` +
      (z < 2 ? 'and the difference is within two of them, so it is not evidence either way.' : `and the difference is beyond two of them, but training noise across seeds, usually larger at this scale, is not measured.`)
    );
  }
  const interval = `95% interval of the difference ${intervalPoints(p)} (paired t-interval over the ${p.n} seeds, ${p.df} df)`;
  if (p.low > 0) return `The ${interval} lies above zero: exp2 is ahead of exp1 on ${what} by more than the seed-to-seed variation explains.`;
  if (p.high < 0) return `The ${interval} lies below zero: exp1 is ahead of exp2 on ${what} by more than the seed-to-seed variation explains.`;
  return `The ${interval} includes zero: the seeds do not separate the two presets on ${what} at this scale.`;
}

/**
 * exp2 against exp1 at the largest scale of one design, in numbers and words (whichever way they
 * go); null unless both ran to the same budget. `e2` and `e1` are the design's rows.
 */
export function compareExp2Exp1(design: DesignName, designTitle: string, e2: PresetSummary | undefined, e1: PresetSummary | undefined): Comparison | null {
  if (!e1 || !e2) return null;
  if (e1.final.samples !== e2.final.samples) return null;
  const q = Math.min(e1.final.questions, e2.final.questions);
  const test = seedDifference(e2.final.test, e2.seeds, e1.final.test, e1.seeds, q);
  const heldout = seedDifference(e2.final.heldout, e2.seeds, e1.final.heldout, e1.seeds, q);
  const n = e1.final.samples;
  const seeds = e2.seeds.filter((s) => e1.seeds.includes(s));
  const over = `mean over ${e2.seeds.length === e1.seeds.length ? `${e2.seeds.length} seed${e2.seeds.length === 1 ? '' : 's'}` : `${e2.seeds.length} and ${e1.seeds.length} seeds`}`;
  const s: string[] = [];
  const where = `with ${designTitle.toLowerCase()}, at ${n} training samples`;
  if (test.difference > 0) {
    s.push(`Yes, numerically: ${where} exp2 (+ploss) beat exp1 (baseline) on test multiple-choice accuracy, ${pct(test.a)} against ${pct(test.b)} (${over}; ${pts(test.difference)}).`);
  } else if (test.difference < 0) {
    s.push(`No: ${where} exp2 (+ploss) scored below exp1 (baseline) on test multiple-choice accuracy, ${pct(test.a)} against ${pct(test.b)} (${over}; ${pts(test.difference)}).`);
  } else {
    s.push(`No: ${where} exp2 (+ploss) and exp1 (baseline) tied on test multiple-choice accuracy at ${pct(test.a)} (${over}).`);
  }
  s.push(intervalWords(test, 'test accuracy'));
  s.push(`On the held-out compositions: exp2 ${pct(heldout.a)} against exp1 ${pct(heldout.b)} (${pts(heldout.difference)}${heldout.paired ? `, 95% interval ${intervalPoints(heldout.paired)}` : ''}).`);
  const a2 = e2.fits.test?.aPerMillion ?? null;
  const a1 = e1.fits.test?.aPerMillion ?? null;
  if (a2 !== null && a1 !== null) {
    s.push(
      `Data-scale slopes (test accuracy per 1M samples, Equation 6 over every checkpoint and seed): exp2 ${signed(a2)}, exp1 ${signed(a1)}; the paper found exp2's MMBench slope higher (66e-4 against -4e-4 in its units)` +
        `; here exp2's is ${a2 > a1 ? 'higher, as in the paper' : a2 < a1 ? 'lower, unlike the paper' : 'equal'}, with R^2 ${fmtR2(e2.fits.test!.r2)} and ${fmtR2(e1.fits.test!.r2)}.`,
    );
  }
  return { design, samples: n, seeds, test, heldout, slopeExp2PerMillion: a2, slopeExp1PerMillion: a1, verdict: s.join(' ') };
}

/** A slope with its sign and three significant digits. */
export function signed(x: number): string {
  if (x === 0) return '0';
  const t = Math.abs(x) >= 1000 || Math.abs(x) < 0.01 ? x.toExponential(2) : x.toPrecision(3);
  return x > 0 ? `+${t}` : t;
}

/** R^2 with two decimals (n/a when undefined). */
export function fmtR2(r2: number): string {
  return Number.isFinite(r2) ? r2.toFixed(2) : 'n/a';
}
