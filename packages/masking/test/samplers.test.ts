import { describe, expect, it } from 'vitest';
import {
  fixed,
  gaussian,
  getMaskRateSampler,
  mar,
  maskRateSamplerKinds,
  mixture,
  normalCdf,
  registerMaskRateSampler,
  uniform,
  type MaskRateSampler,
} from '../src/index';
import { Generator } from './helpers';

const DRAWS = 100_000;

function stats(x: Float64Array): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of x) {
    s += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = s / x.length;
  let q = 0;
  for (const v of x) q += (v - mean) ** 2;
  return { mean, std: Math.sqrt(q / (x.length - 1)), min, max };
}

describe('sampler statistics over 100k draws', () => {
  // Tolerances are about 4-5 standard errors of the estimate at 100k draws.
  const cases: [string, MaskRateSampler, number, number, number, number][] = [
    // name, sampler, analytic mean, analytic std, tol mean, tol std
    ['gaussian default', gaussian(), 0.6472, 0.2041, 0.003, 0.003],
    ['mar', mar(), 0.867, 0.0835, 0.0012, 0.0012],
    ['uniform(0.2, 0.8)', uniform(0.2, 0.8), 0.5, 0.6 / Math.sqrt(12), 0.003, 0.003],
    ['gaussian(0.5, 0.1, [0.3, 0.9])', gaussian({ mean: 0.5, std: 0.1, lo: 0.3, hi: 0.9 }), NaN, NaN, 0.0015, 0.0015],
  ];
  for (const [name, sampler, mean, std, tm, ts] of cases) {
    it(name, () => {
      const x = sampler.sampleBatch(new Generator(1234), DRAWS);
      const s = stats(x);
      if (!Number.isNaN(mean)) {
        expect(sampler.mean!).toBeCloseTo(mean, 3);
        expect(sampler.std!).toBeCloseTo(std, 3);
      }
      expect(Math.abs(s.mean - sampler.mean!)).toBeLessThan(tm);
      expect(Math.abs(s.std - sampler.std!)).toBeLessThan(ts);
      expect(s.min).toBeGreaterThanOrEqual(sampler.support[0]);
      expect(s.max).toBeLessThanOrEqual(sampler.support[1]);
    });
  }

  it('gaussian default: rejection acceptance and the tail facts of docs/method.md 5.3', () => {
    const g = gaussian();
    expect(normalCdf(-2.8)).toBeCloseTo(0.0026, 4); // P(r < 0) before truncation
    expect(1 - normalCdf(1.2)).toBeCloseTo(0.115, 3); // P(r > 1) before truncation
    expect(g.acceptance).toBeCloseTo(1 - 0.0026 - 0.1151, 3);
    expect(g.loc).toBe(0.7);
    expect(g.scale).toBe(0.25);
    // Draw-level check of the acceptance rate: count normals consumed per accepted draw.
    const gen = new Generator(9);
    const probe = { normal: () => { calls++; return gen.normal(); } } as unknown as Generator;
    let calls = 0;
    for (let i = 0; i < 20_000; i++) g.sample(probe);
    expect(Math.abs(20_000 / calls - g.acceptance)).toBeLessThan(0.01);
  });

  it('fixed always returns its rate', () => {
    const x = fixed(0.3).sampleBatch(new Generator(0), 10);
    expect([...x]).toEqual(new Array(10).fill(0.3));
  });
});

describe('reproducibility and modes', () => {
  for (const make of [() => gaussian(), () => mar(), () => uniform(0.1, 0.9)]) {
    const sampler = make();
    it(`${sampler.name}: same seed same sequence, different seed different`, () => {
      const a = sampler.sampleBatch(new Generator(7), 1000);
      const b = sampler.sampleBatch(new Generator(7), 1000);
      const c = sampler.sampleBatch(new Generator(8), 1000);
      expect(a).toEqual(b);
      expect(a).not.toEqual(c);
      // sample() and sampleBatch() consume the stream identically.
      const g = new Generator(7);
      expect(Float64Array.from({ length: 1000 }, () => sampler.sample(g))).toEqual(a);
    });
  }
  it('per-batch repeats one draw; per-sample draws independently', () => {
    const s = gaussian();
    const pb = s.sampleBatch(new Generator(3), 8, 'per-batch');
    expect(new Set(pb).size).toBe(1);
    expect(pb[0]).toBe(s.sample(new Generator(3)));
    const ps = s.sampleBatch(new Generator(3), 8, 'per-sample');
    expect(new Set(ps).size).toBe(8);
    expect(ps[0]).toBe(pb[0]);
    expect(s.sampleBatch(new Generator(3), 0, 'per-batch').length).toBe(0);
    expect(() => s.sampleBatch(new Generator(3), 4, 'per-token' as never)).toThrow(
      "gaussian.sampleBatch: mode must be 'per-sample' or 'per-batch', got 'per-token'",
    );
    expect(() => s.sampleBatch(new Generator(3), -1)).toThrow('gaussian.sampleBatch: batch must be an integer >= 0, got -1');
  });
});

describe('parameter validation', () => {
  it('reports the offending values', () => {
    expect(() => gaussian({ std: -1 })).toThrow('gaussian: std must be > 0, got -1');
    expect(() => gaussian({ std: 0 })).toThrow('gaussian: std must be > 0, got 0');
    expect(() => gaussian({ mean: NaN })).toThrow('gaussian: mean must be a finite number, got NaN');
    expect(() => gaussian({ lo: 0.5, hi: 0.5 })).toThrow('gaussian: need 0 <= lo < hi <= 1, got lo=0.5 hi=0.5');
    expect(() => gaussian({ hi: 1.5 })).toThrow('gaussian: need 0 <= lo < hi <= 1, got lo=0 hi=1.5');
    expect(() => gaussian({ mean: 5, std: 0.1 })).toThrow(/gaussian: N\(5, 0.1\^2\) puts only .* of its mass in \[0, 1\]/);
    expect(() => uniform(0.8, 0.2)).toThrow('uniform: need 0 <= a <= b <= 1, got a=0.8 b=0.2');
    expect(() => uniform(-0.1, 0.2)).toThrow('uniform: need 0 <= a <= b <= 1, got a=-0.1 b=0.2');
    expect(() => fixed(1.2)).toThrow('fixed: rate must be in [0, 1], got 1.2');
    expect(() => mar({ min: 1 })).toThrow('mar: min must be in [0, 1), got 1');
  });
});

describe('registry', () => {
  it('builds samplers from names and configs', () => {
    expect(getMaskRateSampler().toConfig()).toEqual({ kind: 'gaussian', mean: 0.7, std: 0.25, lo: 0, hi: 1 });
    expect(getMaskRateSampler('mar').mean).toBeCloseTo(0.867, 3);
    const g = getMaskRateSampler({ kind: 'gaussian', mean: 0.6 });
    expect(g.toConfig()).toEqual({ kind: 'gaussian', mean: 0.6, std: 0.25, lo: 0, hi: 1 });
    expect(getMaskRateSampler({ kind: 'uniform', a: 0.2, b: 0.4 }).support).toEqual([0.2, 0.4]);
    expect(getMaskRateSampler({ kind: 'fixed', rate: 0.5 }).sample(new Generator(0))).toBe(0.5);
    // Round trip through JSON.
    for (const s of [gaussian({ mean: 0.8 }), mar({ min: 0.5 }), uniform(0.1, 0.3), fixed(0.25)]) {
      const back = getMaskRateSampler(JSON.parse(JSON.stringify(s.toConfig())));
      expect(back.sampleBatch(new Generator(5), 50)).toEqual(s.sampleBatch(new Generator(5), 50));
    }
    const passthrough = uniform();
    expect(getMaskRateSampler(passthrough)).toBe(passthrough);
  });
  it('rejects unknown kinds and options', () => {
    expect(() => getMaskRateSampler('beta')).toThrow("getMaskRateSampler: unknown kind 'beta'; known kinds: fixed, uniform, gaussian, mar");
    expect(() => getMaskRateSampler({ kind: 'gaussian', mu: 0.7 })).toThrow("gaussian: unknown option 'mu'; known options: mean, std, lo, hi");
    expect(() => getMaskRateSampler('fixed')).toThrow("fixed: option 'rate' is required");
    expect(() => getMaskRateSampler({ kind: 'uniform', a: 0.8, b: 0.2 })).toThrow('uniform: need 0 <= a <= b <= 1, got a=0.8 b=0.2');
    expect(() => getMaskRateSampler(42 as never)).toThrow('getMaskRateSampler: expected a kind name');
  });
  it('accepts new kinds', () => {
    registerMaskRateSampler('half', () => fixed(0.5));
    expect(maskRateSamplerKinds()).toContain('half');
    expect(getMaskRateSampler('half').sample(new Generator(0))).toBe(0.5);
    expect(() => registerMaskRateSampler('half', () => fixed(0.5))).toThrow("registerMaskRateSampler: kind 'half' is already registered");
  });
});

describe('mixture', () => {
  it('picks components by weight: half fully masked, half MAR, with the exact mixture mean', () => {
    const m = mixture([
      { weight: 1, sampler: fixed(1) },
      { weight: 1, sampler: { kind: 'mar' } },
    ]);
    const marMean = mar().mean!;
    expect(m.mean).toBeCloseTo(0.5 + 0.5 * marMean, 12);
    expect(m.support).toEqual([0.7, 1]);
    const g = new Generator(3);
    const draws = Array.from({ length: 20000 }, () => m.sample(g));
    const ones = draws.filter((r) => r === 1).length / draws.length;
    expect(ones).toBeGreaterThan(0.48);
    expect(ones).toBeLessThan(0.52);
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(Math.abs(mean - m.mean!)).toBeLessThan(0.005);
    expect(Math.abs(Math.sqrt(draws.reduce((a, r) => a + (r - mean) ** 2, 0) / draws.length) - m.std!)).toBeLessThan(0.005);
  });

  it('is reproducible, round-trips through its config and the registry, and rejects bad components', () => {
    const cfg = { kind: 'mixture', components: [{ weight: 3, sampler: { kind: 'fixed', rate: 1 } }, { weight: 1, sampler: 'mar' }] };
    const a = getMaskRateSampler(cfg);
    const b = getMaskRateSampler(a.toConfig());
    expect(Array.from(a.sampleBatch(new Generator(7), 50))).toEqual(Array.from(b.sampleBatch(new Generator(7), 50)));
    expect(() => mixture([])).toThrow('mixture: needs at least one component');
    expect(() => mixture([{ weight: 0, sampler: 'mar' }])).toThrow('mixture: component 0 needs a weight > 0, got 0');
    expect(() => getMaskRateSampler({ kind: 'mixture' })).toThrow("mixture: option 'components' is required");
    expect(() => mixture([{ weight: 1, sampler: 'nope' }])).toThrow("getMaskRateSampler: unknown kind 'nope'");
  });
});
