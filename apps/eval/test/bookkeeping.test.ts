/**
 * Fair-ablation bookkeeping: with equal understanding data every preset sees the same training
 * samples and the same understanding examples, and the generation presets get one generation
 * example per pair in addition; exp1's examples and losses are the same in both designs, so one
 * exp1 run per seed serves both tables. Checked on tiny real models through `Trainer.lastBatch`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '@unihetero/tensor';
import { Trainer, createShapesModel, type SequenceExample, type StepMetrics } from '@unihetero/model';
import { runSpec } from '../src/ablation.js';
import { planRuns, runConfig, withSize, type RunPlan } from '../src/recipe.js';

const backend = new CpuBackend();
afterAll(() => backend.destroy());

const base = withSize({}, { hiddenSize: 32, layers: 1, heads: 2, flowWidth: 16, flowDepth: 1 });
const STEPS = 3;
const BATCH = 4;

interface Seen {
  samples: { split: string; index: number }[][];
  examples: SequenceExample[][];
  metrics: StepMetrics[];
}

/** Train `plan`'s model for a few steps with seed `seed`; what each step saw. */
async function trainFew(plan: Pick<RunPlan, 'preset' | 'config' | 'pairing' | 'invertProjector' | 'id' | 'designs' | 'variants'>, seed = 0): Promise<Seen> {
  const { model, world } = await createShapesModel(runSpec(plan as RunPlan, seed), backend);
  const trainer = new Trainer(model, world, { samples: STEPS * BATCH, batchSize: BATCH, seed });
  const seen: Seen = { samples: [], examples: [], metrics: [] };
  try {
    for (let k = 0; k < STEPS; k++) {
      seen.metrics.push(await trainer.trainStep());
      seen.samples.push(trainer.lastBatch!.samples);
      seen.examples.push(trainer.lastBatch!.examples);
    }
  } finally {
    trainer.optimizer.dispose();
    model.dispose();
  }
  return seen;
}

const understanding = (xs: SequenceExample[]) => xs.filter((e) => e.kind === 'understand');
const generation = (xs: SequenceExample[]) => xs.filter((e) => e.kind === 'generate');

describe('fair-ablation bookkeeping', () => {
  it('gives every preset the same samples and understanding examples with equal understanding data, and generation examples in addition', { timeout: 300_000 }, async () => {
    const plans = planRuns(base, ['equal-understanding'], ['exp1', 'exp2', 'exp3', 'exp4'], []);
    expect(plans.map((p) => [p.id, p.pairing])).toEqual([
      ['shared/exp1', 'both'],
      ['equal-understanding/exp2', 'both'],
      ['equal-understanding/exp3', 'both'],
      ['equal-understanding/exp4', 'both'],
    ]);
    const seen = new Map<string, Seen>();
    for (const p of plans) seen.set(p.preset, await trainFew(p));
    const exp1 = seen.get('exp1')!;
    // The sample ids: train indices 0..11 in order, for every preset.
    const ids = Array.from({ length: STEPS }, (_, k) => Array.from({ length: BATCH }, (_, i) => ({ split: 'train', index: k * BATCH + i })));
    expect(exp1.samples).toEqual(ids);
    for (const [name, s] of seen) {
      expect(s.samples, name).toEqual(ids);
      // The same understanding examples (question or caption, prompt and target tokens, image row) at every step.
      expect(s.examples.map(understanding), name).toEqual(exp1.examples.map(understanding));
      expect(s.examples.every((xs) => understanding(xs).length === BATCH), name).toBe(true);
    }
    // exp1 trains understanding only; exp2..exp4 add one generation example of each pair.
    expect(exp1.examples.map((xs) => generation(xs).length)).toEqual([0, 0, 0]);
    for (const name of ['exp2', 'exp3', 'exp4']) {
      const s = seen.get(name)!;
      expect(s.examples.map((xs) => xs.length), name).toEqual([2 * BATCH, 2 * BATCH, 2 * BATCH]);
      expect(s.examples.map((xs) => generation(xs).map((e) => e.image)), name).toEqual([[0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3]]);
      expect(s.metrics.every((m) => m.ploss > 0), name).toBe(true);
    }
    // Questions and captions both occur (questionFraction 0.5), so the comparison is not vacuous.
    const kinds = new Set(exp1.examples.flat().map((e) => (e.prompt.length > 0 ? 'question' : 'caption')));
    expect([...kinds].sort()).toEqual(['caption', 'question']);
    // With equal samples instead, exp2 gets fewer understanding examples than exp1 from the same pairs.
    const split = await trainFew(planRuns(base, ['equal-samples'], ['exp2'], [])[0]!);
    expect(split.samples).toEqual(ids);
    const u = split.examples.flatMap(understanding).length;
    expect(u).toBeLessThan(STEPS * BATCH);
    expect(u + split.examples.flatMap(generation).length).toBe(STEPS * BATCH);
  });

  it('trains exp1 identically under both pairings, so one exp1 run per seed serves both designs', { timeout: 300_000 }, async () => {
    const plans = planRuns(base, ['equal-understanding', 'equal-samples'], ['exp1', 'exp2'], []);
    expect(plans.map((p) => [p.id, p.designs])).toEqual([
      ['shared/exp1', ['equal-understanding', 'equal-samples']],
      ['equal-understanding/exp2', ['equal-understanding']],
      ['equal-samples/exp2', ['equal-samples']],
    ]);
    const shared = plans[0]!;
    const asSplit = { ...shared, pairing: 'split' as const, config: runConfig(base, 'exp1', 'split') };
    expect(asSplit.config.mix).toEqual({ pairing: 'split', understandingFraction: 1 });
    const a = await trainFew(shared, 1);
    const b = await trainFew(asSplit, 1);
    expect(b.samples).toEqual(a.samples);
    expect(b.examples).toEqual(a.examples);
    expect(b.metrics.map((m) => [m.loss, m.text, m.gradNorm])).toEqual(a.metrics.map((m) => [m.loss, m.text, m.gradNorm]));
    expect(a.metrics.every((m) => m.ploss === 0 && m.diffuloss === 0)).toBe(true);
  });
});
