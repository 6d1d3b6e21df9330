// The README example, run as a test (keep the two in sync).
import { describe, expect, it } from 'vitest';
import { Generator } from '@unihetero/tensor';
import {
  gaussian,
  getMaskRateSampler,
  sampleTrainingMasks,
  randomOrder,
  revealPlan,
  revealSteps,
  cfgScale,
  maskedAfterSteps,
  regenerationPlan,
} from '../src/index';

describe('README example', () => {
  it('runs and prints what the README says', () => {
    const gen = new Generator(0);
    const sampler = gaussian();
    expect([sampler.mean?.toFixed(4), sampler.std?.toFixed(4)]).toEqual(['0.6472', '0.2041']);
    const { mask, counts, orders } = sampleTrainingMasks(gen, { batch: 4, n: 64, sampler });
    expect(mask.length).toBe(256);
    for (let b = 0; b < 4; b++) for (let i = 0; i < counts[b]!; i++) expect(mask[b * 64 + orders[b * 64 + i]!]).toBe(1);
    const marMasks = sampleTrainingMasks(gen, { batch: 4, n: 64, sampler: getMaskRateSampler('mar'), mode: 'per-batch' });
    expect(new Set(marMasks.counts).size).toBe(1);
    expect(revealPlan(64, 16).join(',')).toBe('1,1,1,2,3,3,4,4,5,5,5,6,6,6,6,6');
    const order = randomOrder(gen, 64);
    const steps = revealSteps(order, 16);
    expect(steps.length).toBe(16);
    const guidance = maskedAfterSteps(64, 16).map((left) => cfgScale('linear', 3, 64, left));
    expect(guidance.at(-1)).toBe(3);
    const rounds = regenerationPlan({ n: 64, steps: 16, rho: 0.25, rounds: 2, gen, order });
    expect(rounds.map((r) => [r.round, r.positions.length, r.steps])).toEqual([
      [1, 16, 4],
      [2, 16, 4],
    ]);
  });
});
