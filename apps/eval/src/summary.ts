/**
 * From per-run points to per-preset summaries: means over seeds at each scale, the data-scale fits
 * `y = a*n + b` (Equation 6, docs/method.md 12.2) over every checkpoint, and the exp2-vs-exp1
 * comparison with the binomial standard error of the difference. Pure functions of the numbers.
 */
import { fitLine, type LinearFit } from './fit.js';
import type { ModelMetrics } from './metrics.js';

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

/** What a preset trains, as shown in the report. */
export interface PresetFacts {
  preset: string;
  description: string;
  /** ploss weight. */
  alpha: number;
  /** diffuloss weight. */
  beta: number;
  /** The diffuloss gradient stops at the LLM (exp2). */
  detachFlowCondition: boolean;
  flowWidth: number;
  flowDepth: number;
  flowWarmupSteps: number;
  /** Whether the preset trains any generation objective (generation is evaluated only then). */
  trainsGeneration: boolean;
}

/** One training run (a preset and a seed) with its checkpoints. */
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

/** Means over seeds at one scale. */
export interface MeanPoint {
  samples: number;
  test: number;
  heldout: number;
  generation: number | null;
  roundTrip: number | null;
}

/** An accuracy with the binomial standard error of the pooled items (count x seeds). */
export interface PooledAccuracy {
  accuracy: number;
  /** Questions behind the estimate (per seed count x seeds). */
  count: number;
  standardError: number;
}

/** Per preset: means per scale, the final (largest-scale) numbers and the fits. */
export interface PresetSummary extends PresetFacts {
  seeds: number[];
  points: MeanPoint[];
  final: {
    samples: number;
    test: PooledAccuracy;
    heldout: PooledAccuracy;
    captionExact: number | null;
    captionObjectRecall: number | null;
    generation: { objectAccuracy: number; position: number; colour: number; shape: number; size: number; exact: number; count: number } | null;
    roundTrip: { objectRecall: number; exact: number; unparsable: number; count: number } | null;
  };
  fits: { test: FitSummary | null; heldout: FitSummary | null; generation: FitSummary | null; roundTrip: FitSummary | null };
  trainSeconds: number;
  evalSeconds: number;
}

/** The difference of two pooled accuracies. */
export interface Difference {
  a: number;
  b: number;
  /** `a - b`. */
  difference: number;
  /** `sqrt(se_a^2 + se_b^2)` (independent estimates; conservative for the same questions). */
  standardError: number;
  /** `difference / standardError` (NaN when both are exact). */
  z: number;
}

/** exp2 against exp1 (the paper's headline comparison). */
export interface Comparison {
  samples: number;
  test: Difference;
  heldout: Difference;
  slopeExp2PerMillion: number | null;
  slopeExp1PerMillion: number | null;
  /** The sentences REPORT.md prints, generated from the numbers. */
  verdict: string;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Fit `y = a*n + b` over the points; null with fewer than two distinct sample counts. */
export function fitPoints(points: readonly (readonly [number, number])[]): FitSummary | null {
  if (new Set(points.map((p) => p[0])).size < 2) return null;
  const f = fitLine(points.map((p) => p[0]), points.map((p) => p[1]));
  return { ...f, aPerMillion: f.a * 1e6 };
}

function pooled(values: readonly { accuracy: number; count: number }[]): PooledAccuracy {
  const count = values.reduce((s, v) => s + v.count, 0);
  const accuracy = values.reduce((s, v) => s + v.accuracy * v.count, 0) / count;
  return { accuracy, count, standardError: Math.sqrt(Math.max(0, accuracy * (1 - accuracy)) / count) };
}

/** Group runs by preset (first-seen order) and summarise each. */
export function summarizeRuns(runs: readonly PresetRun[]): PresetSummary[] {
  const byPreset = new Map<string, PresetRun[]>();
  for (const r of runs) {
    if (r.points.length === 0) continue;
    const list = byPreset.get(r.preset) ?? [];
    list.push(r);
    byPreset.set(r.preset, list);
  }
  return [...byPreset.values()].map(summarizePreset);
}

function summarizePreset(runs: PresetRun[]): PresetSummary {
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
  const last = at(scales[scales.length - 1]!);
  const gens = last.map((p) => p.metrics.generation);
  const rts = last.map((p) => p.metrics.roundTrip);
  const caps = last.map((p) => p.metrics.captions);
  const genFinal = gens.every((g) => g)
    ? {
        objectAccuracy: mean(gens.map((g) => g!.objectAccuracy)),
        position: mean(gens.map((g) => g!.position)),
        colour: mean(gens.map((g) => g!.colour)),
        shape: mean(gens.map((g) => g!.shape)),
        size: mean(gens.map((g) => g!.size)),
        exact: mean(gens.map((g) => g!.exact)),
        count: gens.reduce((s, g) => s + g!.count, 0),
      }
    : null;
  const rtFinal = rts.every((r) => r)
    ? { objectRecall: mean(rts.map((r) => r!.objectRecall)), exact: mean(rts.map((r) => r!.exact)), unparsable: mean(rts.map((r) => r!.unparsable)), count: rts.reduce((s, r) => s + r!.count, 0) }
    : null;
  const series = (pick: (m: ModelMetrics) => number | undefined): FitSummary | null => {
    const pts = all.map((p) => [p.samples, pick(p.metrics)] as const).filter((p): p is readonly [number, number] => typeof p[1] === 'number');
    return pts.length === all.length ? fitPoints(pts) : null;
  };
  const { seed: _seed, points: _points, trainSeconds: _t, evalSeconds: _e, ...rest } = facts;
  return {
    ...rest,
    seeds: runs.map((r) => r.seed),
    points,
    final: {
      samples: scales[scales.length - 1]!,
      test: pooled(last.map((p) => p.metrics.test)),
      heldout: pooled(last.map((p) => p.metrics.heldout)),
      captionExact: caps.every((c) => c) ? mean(caps.map((c) => c!.exact)) : null,
      captionObjectRecall: caps.every((c) => c) ? mean(caps.map((c) => c!.objectRecall)) : null,
      generation: genFinal,
      roundTrip: rtFinal,
    },
    fits: {
      test: series((m) => m.test.accuracy),
      heldout: series((m) => m.heldout.accuracy),
      generation: series((m) => m.generation?.objectAccuracy),
      roundTrip: series((m) => m.roundTrip?.objectRecall),
    },
    trainSeconds: runs.reduce((s, r) => s + r.trainSeconds, 0),
    evalSeconds: runs.reduce((s, r) => s + r.evalSeconds, 0),
  };
}

/** `a - b` with the standard error of the difference. */
export function difference(a: PooledAccuracy, b: PooledAccuracy): Difference {
  const d = a.accuracy - b.accuracy;
  const se = Math.sqrt(a.standardError ** 2 + b.standardError ** 2);
  return { a: a.accuracy, b: b.accuracy, difference: d, standardError: se, z: se > 0 ? d / se : d === 0 ? NaN : Math.sign(d) * Infinity };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const pts = (x: number) => `${x >= 0 ? '+' : '-'}${Math.abs(x * 100).toFixed(1)} points`;

function zText(d: Difference): string {
  if (Number.isNaN(d.z)) return 'both estimates are exact, so there is no sampling noise to compare with';
  if (!Number.isFinite(d.z)) return 'both estimates are exact (standard error 0)';
  return `${Math.abs(d.z).toFixed(1)} standard errors of the difference (SE ${pts(d.standardError).slice(1)})`;
}

/** exp2 against exp1 at the largest common scale, in numbers and words; null unless both ran. */
export function compareExp2Exp1(summaries: readonly PresetSummary[]): Comparison | null {
  const e1 = summaries.find((s) => s.preset === 'exp1');
  const e2 = summaries.find((s) => s.preset === 'exp2');
  if (!e1 || !e2) return null;
  if (e1.final.samples !== e2.final.samples) return null;
  const test = difference(e2.final.test, e1.final.test);
  const heldout = difference(e2.final.heldout, e1.final.heldout);
  const n = e1.final.samples;
  const s: string[] = [];
  const noisy = !(Math.abs(test.z) >= 2);
  if (test.difference > 0) {
    s.push(`Yes, numerically: at ${n} training samples exp2 (+ploss) beat exp1 (baseline) on test multiple-choice accuracy, ${pct(test.a)} against ${pct(test.b)} (${pts(test.difference)}).`);
  } else if (test.difference < 0) {
    s.push(`No: at ${n} training samples exp2 (+ploss) scored below exp1 (baseline) on test multiple-choice accuracy, ${pct(test.a)} against ${pct(test.b)} (${pts(test.difference)}).`);
  } else {
    s.push(`No: at ${n} training samples exp2 (+ploss) and exp1 (baseline) tied on test multiple-choice accuracy at ${pct(test.a)}.`);
  }
  s.push(
    `That difference is ${zText(test)}, from ${e2.final.test.count} and ${e1.final.test.count} questions; ` +
      (noisy
        ? 'it is within two standard errors, so it is not evidence either way: evaluation noise alone explains it.'
        : `it is beyond two standard errors, so evaluation noise alone does not explain it (${test.difference > 0 ? 'exp2 ahead' : 'exp1 ahead'}), though training noise across seeds is not included unless several seeds ran.`),
  );
  s.push(`On the held-out compositions: exp2 ${pct(heldout.a)} against exp1 ${pct(heldout.b)} (${pts(heldout.difference)}, ${zText(heldout)}).`);
  const a2 = e2.fits.test?.aPerMillion ?? null;
  const a1 = e1.fits.test?.aPerMillion ?? null;
  if (a2 !== null && a1 !== null) {
    s.push(
      `Data-scale slopes (test accuracy per 1M samples, Equation 6): exp2 ${signed(a2)}, exp1 ${signed(a1)}; the paper found exp2's MMBench slope higher (66e-4 against -4e-4 in its units)` +
        `; here exp2's is ${a2 > a1 ? 'higher, as in the paper' : a2 < a1 ? 'lower, unlike the paper' : 'equal'}, with R^2 ${fmtR2(e2.fits.test!.r2)} and ${fmtR2(e1.fits.test!.r2)}.`,
    );
  }
  s.push('The binomial standard errors treat the two estimates as independent; both presets answer the same questions, so the paired noise is smaller, but training-seed noise (not measured with one seed) is usually larger at this scale.');
  return { samples: n, test, heldout, slopeExp2PerMillion: a2, slopeExp1PerMillion: a1, verdict: s.join(' ') };
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
