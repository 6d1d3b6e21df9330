import { describe, expect, it } from 'vitest';
import { erf, erfc, normalCdf, normalPdf, truncatedNormalMoments } from '../src/index';

/** Composite Simpson's rule on [a, b] with 2m intervals. */
function simpson(f: (x: number) => number, a: number, b: number, m = 2000): number {
  const h = (b - a) / (2 * m);
  let s = f(a) + f(b);
  for (let i = 1; i < 2 * m; i++) s += (i % 2 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}

describe('erf / erfc / normal CDF', () => {
  // Reference values from CPython's math.erf / math.erfc.
  const erfCases: [number, number][] = [
    [0, 0],
    [0.1, 0.1124629160182849],
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [1.5, 0.9661051464753108],
    [2, 0.9953222650189527],
    [2.9, 0.9999589021219005],
    [3, 0.9999779095030014],
    [4, 0.9999999845827421],
  ];
  it('erf matches reference values to 1e-15 and is odd', () => {
    for (const [x, v] of erfCases) {
      expect(Math.abs(erf(x) - v)).toBeLessThan(1e-15);
      expect(erf(-x)).toBe(-erf(x));
    }
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erfc(Infinity)).toBe(0);
    expect(erfc(-Infinity)).toBe(2);
    expect(Number.isNaN(erf(NaN))).toBe(true);
  });
  it('erfc keeps relative accuracy in the right tail', () => {
    const cases: [number, number][] = [
      [1, 0.15729920705028513],
      [2, 0.004677734981047266],
      [2.5, 0.000406952017444959],
      [3, 2.209049699858544e-5],
      [5, 1.5374597944280349e-12],
      [10, 2.088487583762545e-45],
    ];
    for (const [x, v] of cases) expect(Math.abs(erfc(x) / v - 1)).toBeLessThan(1e-13);
    expect(Math.abs(erfc(-1) - (2 - 0.15729920705028513))).toBeLessThan(1e-15);
  });
  it('normalCdf and normalPdf', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(Math.abs(normalCdf(1.2) - 0.8849303297782918)).toBeLessThan(1e-15);
    expect(Math.abs(normalCdf(-2.8) / 0.0025551303304279793 - 1)).toBeLessThan(1e-13);
    expect(Math.abs(normalCdf(-8) / 6.220960574271785e-16 - 1)).toBeLessThan(1e-12);
    expect(normalCdf(-Infinity)).toBe(0);
    expect(normalCdf(Infinity)).toBe(1);
    expect(Math.abs(normalPdf(0) - 0.3989422804014327)).toBeLessThan(1e-16);
    // The CDF is the integral of the pdf.
    expect(Math.abs(simpson(normalPdf, -1, 0.7) - (normalCdf(0.7) - normalCdf(-1)))).toBeLessThan(1e-12);
  });
});

describe('truncatedNormalMoments', () => {
  it('gives the facts of docs/method.md 5.3', () => {
    const g = truncatedNormalMoments(0.7, 0.25, 0, 1);
    expect(g.mean).toBeCloseTo(0.6472, 4);
    expect(g.std).toBeCloseTo(0.2041, 4);
    expect(g.mass).toBeCloseTo(1 - 0.115 - 0.0026, 3);
    const m = truncatedNormalMoments(1, 0.25, 0.7, 1);
    expect(m.mean).toBeCloseTo(0.867, 3);
    // scipy.stats.truncnorm(a, b, loc, scale).mean() / .std() (scipy 1.17.1).
    expect(Math.abs(g.mean - 0.6472246603494778)).toBeLessThan(1e-13);
    expect(Math.abs(g.std - 0.20405760686891944)).toBeLessThan(1e-13);
    expect(Math.abs(m.mean - 0.8670173473105165)).toBeLessThan(1e-13);
    expect(Math.abs(m.std - 0.08354827991889184)).toBeLessThan(1e-13);
  });
  it('agrees with numerical integration', () => {
    for (const [mu, s, lo, hi] of [
      [0.7, 0.25, 0, 1],
      [1, 0.25, 0.7, 1],
      [0.1, 0.5, 0.2, 0.9],
      [-0.3, 0.2, 0, 1],
    ] as const) {
      const pdf = (x: number) => normalPdf((x - mu) / s) / s;
      const z = simpson(pdf, lo, hi);
      const mean = simpson((x) => x * pdf(x), lo, hi) / z;
      const v = simpson((x) => (x - mean) ** 2 * pdf(x), lo, hi) / z;
      const t = truncatedNormalMoments(mu, s, lo, hi);
      expect(Math.abs(t.mass - z)).toBeLessThan(1e-10);
      expect(Math.abs(t.mean - mean)).toBeLessThan(1e-10);
      expect(Math.abs(t.std - Math.sqrt(v))).toBeLessThan(1e-9);
    }
  });
  it('validates its parameters', () => {
    expect(() => truncatedNormalMoments(0.5, 0, 0, 1)).toThrow('truncatedNormalMoments: std must be > 0, got 0');
    expect(() => truncatedNormalMoments(0.5, 1, 1, 0)).toThrow('truncatedNormalMoments: need lo < hi, got lo=1 hi=0');
  });
});
