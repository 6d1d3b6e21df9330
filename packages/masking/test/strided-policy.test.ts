import { describe, expect, it } from 'vitest';
import { getRegenerationPolicy, regenerationPlan, stridedRemask } from '../src/index';
import { Generator } from './helpers';

describe('strided regeneration policy', () => {
  it('re-masks round(rho n) evenly spread positions from a seeded offset', () => {
    const p = stridedRemask(0.25);
    const a = p.select({ n: 64, round: 1, gen: new Generator(1) });
    expect(a.length).toBe(16);
    for (let i = 1; i < a.length; i++) expect(a[i]! - a[i - 1]!).toBe(4);
    expect(Array.from(p.select({ n: 64, round: 1, gen: new Generator(1) }))).toEqual(Array.from(a));
    expect(Array.from(stridedRemask(1).select({ n: 5, round: 1, gen: new Generator(2) }))).toEqual([0, 1, 2, 3, 4]);
    expect(() => stridedRemask(0)).toThrow('strided: rho must be in (0, 1], got 0');
  });

  it('is in the registry and drives a regeneration plan', () => {
    expect(getRegenerationPolicy({ kind: 'strided', rho: 0.5 }).name).toBe('strided');
    const plan = regenerationPlan({ n: 16, steps: 4, gen: new Generator(3), policy: 'strided', rounds: 2 });
    expect(plan.map((r) => r.positions.length)).toEqual([4, 4]);
  });
});
