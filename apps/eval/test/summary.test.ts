import { describe, expect, it } from 'vitest';
import { binomialStandardError, trainsGeneration } from '../src/metrics.js';
import { compareExp2Exp1, difference, fitPoints, signed, summarizeRuns } from '../src/summary.js';
import { point, run } from './fixtures.js';

describe('summaries', () => {
  it('pools seeds: means per scale, pooled standard error, fits over every point', () => {
    const a = run('exp2', [point(100, 0.2, 0.2, 0.1), point(200, 0.4, 0.3, 0.3)]);
    const b = { ...run('exp2', [point(100, 0.4, 0.2, 0.3), point(200, 0.6, 0.3, 0.5)]), seed: 1 };
    const [s] = summarizeRuns([a, b]);
    expect(s!.seeds).toEqual([0, 1]);
    expect(s!.points.map((p) => [p.samples, p.test, p.generation])).toEqual([
      [100, expect.closeTo(0.3, 12), expect.closeTo(0.2, 12)],
      [200, expect.closeTo(0.5, 12), expect.closeTo(0.4, 12)],
    ]);
    expect(s!.final.test.count).toBe(200);
    expect(s!.final.test.accuracy).toBeCloseTo(0.5, 12);
    expect(s!.final.test.standardError).toBeCloseTo(Math.sqrt(0.25 / 200), 12);
    // Four points (100, .2) (100, .4) (200, .4) (200, .6): a = 0.002 per sample, R^2 = 0.5.
    expect(s!.fits.test!.aPerMillion).toBeCloseTo(2000, 6);
    expect(s!.fits.test!.r2).toBeCloseTo(0.5, 12);
    expect(s!.fits.test!.count).toBe(4);
  });

  it('has no fit with a single scale', () => {
    expect(fitPoints([[5, 0.1], [5, 0.2]])).toBeNull();
    const [s] = summarizeRuns([run('exp1', [point(100, 0.3, 0.3, null)])]);
    expect(s!.fits.test).toBeNull();
    expect(s!.fits.generation).toBeNull();
  });

  it('says when exp2 lost, and when the gap is beyond two standard errors', () => {
    const sums = summarizeRuns([run('exp1', [point(100, 0.9, 0.5, null, 1000)]), run('exp2', [point(100, 0.5, 0.5, 0.2, 1000)])]);
    const c = compareExp2Exp1(sums)!;
    expect(c.test.difference).toBeCloseTo(-0.4, 12);
    expect(c.verdict).toMatch(/^No: at 100 training samples exp2 \(\+ploss\) scored below exp1 \(baseline\)/);
    expect(c.verdict).toContain('it is beyond two standard errors, so evaluation noise alone does not explain it (exp1 ahead)');
    expect(c.verdict).not.toContain('Data-scale slopes');
    expect(compareExp2Exp1(sums.slice(0, 1))).toBeNull();
  });

  it('computes standard errors and differences', () => {
    expect(binomialStandardError(0.5, 100)).toBeCloseTo(0.05, 12);
    expect(() => binomialStandardError(0.5, 0)).toThrow(/count must be positive, got 0/);
    const d = difference({ accuracy: 0.6, count: 100, standardError: 0.03 }, { accuracy: 0.5, count: 100, standardError: 0.04 });
    expect(d.standardError).toBeCloseTo(0.05, 12);
    expect(d.z).toBeCloseTo(2, 12);
    expect(Number.isNaN(difference({ accuracy: 1, count: 4, standardError: 0 }, { accuracy: 1, count: 4, standardError: 0 }).z)).toBe(true);
    expect(signed(12.345)).toBe('+12.3');
    expect(signed(-0.004)).toBe('-4.00e-3');
    expect(trainsGeneration({ alpha: 0, beta: 0, understandingFraction: 1 })).toBe(false);
    expect(trainsGeneration({ alpha: 10, beta: 10, understandingFraction: 0.5 })).toBe(true);
  });
});
