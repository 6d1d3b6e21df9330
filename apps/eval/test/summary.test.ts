import { describe, expect, it } from 'vitest';
import { binomialStandardError, trainsGeneration } from '../src/metrics.js';
import { compareExp2Exp1, fitPoints, seedDifference, signed, summarizeRuns, tInterval, tQuantile } from '../src/summary.js';
import { fixedResults, point, run } from './fixtures.js';

/** t_{0.975, 2} in closed form: with 2 df the quantile is (2p-1) / sqrt(2p(1-p)) (tables: 4.303). */
const T2 = 0.95 / Math.sqrt(2 * 0.975 * 0.025);

describe('t-intervals over seeds', () => {
  it('uses Student t quantiles (n-1 df) that match the printed tables', () => {
    expect(tQuantile(0.975, 1)).toBeCloseTo(12.706, 3);
    expect(tQuantile(0.975, 2)).toBeCloseTo(4.303, 3);
    expect(tQuantile(0.975, 4)).toBeCloseTo(2.776, 3);
    expect(tQuantile(0.975, 30)).toBeCloseTo(2.042, 3);
    expect(tQuantile(0.975, 2)).toBeCloseTo(T2, 8);
    expect(() => tQuantile(1, 2)).toThrow('tQuantile: p must be in (0, 1), got 1');
    expect(() => tQuantile(0.975, 0)).toThrow('tQuantile: degrees of freedom must be positive, got 0');
  });

  it('gives mean ± t * s / sqrt(n) on hand-made numbers', () => {
    // 0.5, 0.6, 0.7: mean 0.6, s = 0.1, half width 4.3027 * 0.1 / sqrt(3) = 0.24841.
    const i = tInterval([0.5, 0.6, 0.7]);
    expect(i.mean).toBeCloseTo(0.6, 12);
    expect(i.sd).toBeCloseTo(0.1, 12);
    expect(i.df).toBe(2);
    expect(i.n).toBe(3);
    expect(i.level).toBe(0.95);
    expect(i.halfWidth).toBeCloseTo((T2 * 0.1) / Math.sqrt(3), 8);
    expect(i.halfWidth).toBeCloseTo(0.2484138, 6);
    expect(i.low).toBeCloseTo(0.6 - 0.2484138, 6);
    expect(i.high).toBeCloseTo(0.6 + 0.2484138, 6);
    expect(i.values).toEqual([0.5, 0.6, 0.7]);
    // Two values 1 and 3: s = sqrt(2), t_{0.975,1} = 12.706 -> half width 12.706.
    expect(tInterval([1, 3]).halfWidth).toBeCloseTo(12.706, 3);
    const one = tInterval([0.3]);
    expect([one.mean, one.n, one.df]).toEqual([0.3, 1, 0]);
    expect(Number.isNaN(one.halfWidth) && Number.isNaN(one.sd)).toBe(true);
    expect(() => tInterval([])).toThrow('tInterval: no values');
    expect(() => tInterval([0.1, NaN])).toThrow('tInterval: value 1 is not finite (NaN)');
  });

  it('clips the interval to a range and keeps the unclipped half width', () => {
    // The judge accuracies of three seeds at the 32k ablation checkpoint: the bare interval runs past 1.
    const bare = tInterval([0.8099, 0.5455, 0.9256]);
    expect(bare.high).toBeGreaterThan(1);
    const clipped = tInterval([0.8099, 0.5455, 0.9256], 0.95, [0, 1]);
    expect(clipped.high).toBe(1);
    expect(clipped.low).toBeCloseTo(bare.low, 12);
    expect(clipped.halfWidth).toBe(bare.halfWidth);
    expect(tInterval([0.01, 0.02, 0.4], 0.95, [0, 1]).low).toBe(0);
  });
});

describe('summaries', () => {
  const r = fixedResults();
  const byId = (id: string) => r.summaries.find((s) => s.id === id)!;

  it('groups runs by folder and summarises each over its seeds', () => {
    expect(r.summaries.map((s) => [s.id, s.seeds])).toEqual([
      ['shared/exp1', [0, 1, 2]],
      ['equal-understanding/exp2', [0, 1, 2]],
      ['equal-samples/exp2', [0, 1, 2]],
      ['equal-understanding/exp2-mlp-cos', [0, 1, 2]],
    ]);
    const e1 = byId('shared/exp1');
    // Finals 0.40, 0.45, 0.50: mean 0.45, s 0.05, half width 4.3027 * 0.05 / sqrt(3) = 0.12421.
    expect(e1.final.test.mean).toBeCloseTo(0.45, 12);
    expect(e1.final.test.halfWidth).toBeCloseTo(0.1242069, 6);
    expect(e1.final.questions).toBe(100);
    expect(e1.final.generation).toBeNull();
    expect(e1.points.map((p) => [p.samples, p.test])).toEqual([
      [1000, expect.closeTo(0.35, 12)],
      [2000, expect.closeTo(0.4, 12)],
      [3000, expect.closeTo(0.45, 12)],
    ]);
    // Nine points, each seed rising 0.05 per 1000 from its own level: a = 5e-5 (+50 per 1M),
    // b = 0.40 - 5e-5 * 2000 = 0.30; SST = 0.03 (0.015 between scales + 0.015 within), SSE 0.015 -> R^2 0.5.
    expect(e1.fits.test!.aPerMillion).toBeCloseTo(50, 9);
    expect(e1.fits.test!.b).toBeCloseTo(0.3, 12);
    expect(e1.fits.test!.r2).toBeCloseTo(0.5, 12);
    expect(e1.fits.test!.count).toBe(9);
    // Fitted per seed: +50 each (no spread).
    expect(e1.seedSlopes.test!.mean).toBeCloseTo(50, 9);
    expect(e1.seedSlopes.test!.sd).toBeCloseTo(0, 9);
    const e2 = byId('equal-understanding/exp2');
    // Judge finals 0.3, 0.4, 0.5: mean 0.4, s 0.1; rounds trip is half of it; the fit +100 per 1M, R^2 0.5.
    expect(e2.final.generation!.objectAccuracy.mean).toBeCloseTo(0.4, 12);
    expect(e2.final.generation!.objectAccuracy.halfWidth).toBeCloseTo(0.2484138, 6);
    expect(e2.final.generation!.images).toBe(30);
    expect(e2.final.roundTrip!.objectRecall.mean).toBeCloseTo(0.2, 12);
    expect(e2.fits.generation!.aPerMillion).toBeCloseTo(100, 9);
    expect(e2.fits.generation!.r2).toBeCloseTo(0.5, 12);
    expect(e2.seedSlopes.test!.mean).toBeCloseTo(75, 9);
  });

  it('compares exp2 with exp1 per design by the paired t-interval of the per-seed differences', () => {
    const [eu, es] = r.comparisons;
    // Differences 0.10, 0.15, 0.05: mean 0.10, s 0.05 -> [0.10 - 0.1242, 0.10 + 0.1242], which includes 0.
    expect(eu!.design).toBe('equal-understanding');
    expect(eu!.seeds).toEqual([0, 1, 2]);
    expect(eu!.test.difference).toBeCloseTo(0.1, 12);
    expect(eu!.test.paired!.low).toBeCloseTo(0.1 - 0.1242069, 6);
    expect(eu!.test.paired!.high).toBeCloseTo(0.1 + 0.1242069, 6);
    expect(eu!.verdict).toContain('Yes, numerically: with equal understanding data, at 3000 training samples exp2 (+ploss) beat exp1 (baseline) on test multiple-choice accuracy, 55.0% against 45.0% (mean over 3 seeds; +10.0 points).');
    expect(eu!.verdict).toContain('The 95% interval of the difference [-2.4, +22.4] points (paired t-interval over the 3 seeds, 2 df) includes zero: the seeds do not separate the two presets on test accuracy at this scale.');
    expect(eu!.verdict).toContain('On the held-out compositions: exp2 40.0% against exp1 35.0% (+5.0 points, 95% interval [+5.0, +5.0] points).');
    expect(eu!.verdict).toContain("exp2 +75.0, exp1 +50.0; the paper found exp2's MMBench slope higher (66e-4 against -4e-4 in its units); here exp2's is higher, as in the paper, with R^2 ");
    // Equal samples: 0.06 on every seed -> the interval lies above zero.
    expect(es!.test.difference).toBeCloseTo(0.06, 12);
    expect(es!.verdict).toContain('Yes, numerically: with equal samples, at 3000 training samples exp2 (+ploss) beat exp1 (baseline) on test multiple-choice accuracy, 51.0% against 45.0% (mean over 3 seeds; +6.0 points).');
    expect(es!.verdict).toContain('The 95% interval of the difference [+6.0, +6.0] points (paired t-interval over the 3 seeds, 2 df) lies above zero: exp2 is ahead of exp1 on test accuracy by more than the seed-to-seed variation explains.');
  });

  it('says when exp2 lost, and falls back to the binomial noise with one seed', () => {
    const sums = summarizeRuns([run('shared/exp1', 'exp1', 0, [point(100, 0.9, 0.5, null, 1000)]), run('equal-understanding/exp2', 'exp2', 0, [point(100, 0.5, 0.5, 0.2, 1000)])]);
    const c = compareExp2Exp1('equal-understanding', 'Equal understanding data', sums[1], sums[0])!;
    expect(c.test.difference).toBeCloseTo(-0.4, 12);
    expect(c.test.paired).toBeNull();
    // sqrt(0.5 * 0.5 / 1000 + 0.9 * 0.1 / 1000) = 0.01844.
    expect(c.test.standardError).toBeCloseTo(0.0184391, 6);
    expect(c.verdict).toMatch(/^No: with equal understanding data, at 100 training samples exp2 \(\+ploss\) scored below exp1 \(baseline\) on test multiple-choice accuracy, 50\.0% against 90\.0% \(mean over 1 seed; -40\.0 points\)\./);
    expect(c.verdict).toContain('With fewer than two seeds in common there is no interval over seeds: the binomial standard error of the difference (evaluation noise only) is 1.8 points, and the difference is beyond two of them');
    expect(c.verdict).not.toContain('Data-scale slopes');
    expect(compareExp2Exp1('equal-samples', 'Equal samples', undefined, sums[0])).toBeNull();
    // One seed each, 0.5 against 0.45 on 100 questions: within two standard errors.
    const near = summarizeRuns([run('shared/exp1', 'exp1', 0, [point(100, 0.45, 0.5, null)]), run('equal-samples/exp2', 'exp2', 0, [point(100, 0.5, 0.5, 0.2)])]);
    expect(compareExp2Exp1('equal-samples', 'Equal samples', near[1], near[0])!.verdict).toContain('and the difference is within two of them, so it is not evidence either way.');
  });

  it('pairs differences by seed over the seeds both ran', () => {
    const d = seedDifference(tInterval([0.5, 0.7, 0.6]), [0, 1, 2], tInterval([0.4, 0.5]), [2, 1], 100);
    // Seeds 0 and 1 of exp2 pair with exp1's seed 0 (none) and 1: common seeds [1, 2] -> 0.7 - 0.5, 0.6 - 0.4.
    expect(d.paired!.values.map((x) => Math.round(x * 1000) / 1000)).toEqual([0.2, 0.2]);
    expect(d.difference).toBeCloseTo(0.6 - 0.45, 12);
    expect(() => seedDifference(tInterval([0.5]), [0, 1], tInterval([0.4]), [0], 10)).toThrow('seedDifference: 1 and 1 values for 2 and 1 seeds');
  });

  it('has no fit with a single scale', () => {
    expect(fitPoints([[5, 0.1], [5, 0.2]])).toBeNull();
    const [s] = summarizeRuns([run('shared/exp1', 'exp1', 0, [point(100, 0.3, 0.3, null)])]);
    expect(s!.fits.test).toBeNull();
    expect(s!.fits.generation).toBeNull();
    expect(s!.seedSlopes.test).toBeNull();
  });

  it('computes standard errors, signs and which runs train generation', () => {
    expect(binomialStandardError(0.5, 100)).toBeCloseTo(0.05, 12);
    expect(() => binomialStandardError(0.5, 0)).toThrow(/count must be positive, got 0/);
    expect(signed(12.345)).toBe('+12.3');
    expect(signed(-0.004)).toBe('-4.00e-3');
    expect(trainsGeneration({ alpha: 0, beta: 0, understandingFraction: 1 })).toBe(false);
    expect(trainsGeneration({ alpha: 10, beta: 10, understandingFraction: 0.5 })).toBe(true);
    // With pairing 'both' every pair is also a generation example when a generation loss is on.
    expect(trainsGeneration({ alpha: 10, beta: 0, understandingFraction: 1 }, 'both')).toBe(true);
    expect(trainsGeneration({ alpha: 10, beta: 0, understandingFraction: 1 }, 'split')).toBe(false);
    expect(trainsGeneration({ alpha: 0, beta: 0, understandingFraction: 1 }, 'both')).toBe(false);
  });
});
