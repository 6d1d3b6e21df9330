import { describe, expect, it } from 'vitest';
import { cosine, getMaskRateSampler, maskRateSamplerKinds } from '../src/index';
import { Generator } from './helpers';

describe('cosine mask-rate sampler', () => {
  it('draws cos(pi/2 u) with mean 2/pi and std sqrt(1/2 - 4/pi^2), reproducibly', () => {
    const s = cosine();
    expect(s.mean).toBeCloseTo(0.63662, 5);
    expect(s.std).toBeCloseTo(0.30776, 5);
    const r = s.sampleBatch(new Generator(3), 20000);
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    const std = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / r.length);
    expect(Math.abs(mean - s.mean!)).toBeLessThan(0.01);
    expect(Math.abs(std - s.std!)).toBeLessThan(0.01);
    expect(r.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(Array.from(s.sampleBatch(new Generator(3), 5))).toEqual(Array.from(r.slice(0, 5)));
  });

  it('is in the registry and round-trips its config', () => {
    expect(maskRateSamplerKinds()).toContain('cosine');
    expect(getMaskRateSampler('cosine').name).toBe('cosine');
    expect(getMaskRateSampler(cosine().toConfig()).name).toBe('cosine');
    expect(() => getMaskRateSampler({ kind: 'cosine', mean: 0.5 })).toThrow("cosine: unknown option 'mean'; known options: (none)");
  });
});
