import { describe, expect, it } from 'vitest';
import { Generator, tensor } from '@unihetero/tensor';
import { argmax, generate, sampleFromLogits, sampleTokens, samplingProbabilities } from '../src/index';
import { maxDiff, tinyModel } from './helpers';

const logits = [Math.log(0.1), Math.log(0.5), Math.log(0.15), Math.log(0.25)];

describe('sampling', () => {
  it('greedy and temperature 0 take the argmax', () => {
    expect(argmax(logits)).toBe(1);
    expect(sampleFromLogits(logits, { greedy: true }, new Generator(0))).toBe(1);
    expect(sampleFromLogits(logits, { temperature: 0 }, new Generator(0))).toBe(1);
  });

  it('temperature, top-k and top-p give the expected distributions', () => {
    expect(maxDiff(samplingProbabilities(logits), [0.1, 0.5, 0.15, 0.25])).toBeLessThan(1e-12);
    const t2 = samplingProbabilities(logits, { temperature: 2 });
    const s = [0.1, 0.5, 0.15, 0.25].map(Math.sqrt);
    const z = s.reduce((a, b) => a + b);
    expect(maxDiff(t2, s.map((v) => v / z))).toBeLessThan(1e-12);
    expect(maxDiff(samplingProbabilities(logits, { topK: 2 }), [0, 0.5 / 0.75, 0, 0.25 / 0.75])).toBeLessThan(1e-12);
    // top-p 0.7: 0.5 + 0.25 = 0.75 >= 0.7 -> keep two.
    expect(maxDiff(samplingProbabilities(logits, { topP: 0.7 }), [0, 0.5 / 0.75, 0, 0.25 / 0.75])).toBeLessThan(1e-12);
    expect(maxDiff(samplingProbabilities(logits, { topP: 0.5 }), [0, 1, 0, 0])).toBeLessThan(1e-12);
    // top-p acts on the renormalised top-k distribution (as HF): 0.556 + 0.278 < 0.85 keeps three.
    expect(maxDiff(samplingProbabilities(logits, { topK: 3, topP: 0.8 }), [0, 0.5 / 0.75, 0, 0.25 / 0.75])).toBeLessThan(1e-12);
    expect(maxDiff(samplingProbabilities(logits, { topK: 3, topP: 0.85 }), [0, 0.5 / 0.9, 0.15 / 0.9, 0.25 / 0.9])).toBeLessThan(1e-12);
  });

  it('is seeded: same generator seed, same tokens; frequencies follow the distribution', async () => {
    const draw = (seed: number) => {
      const g = new Generator(seed);
      return Array.from({ length: 4000 }, () => sampleFromLogits(logits, { topK: 3 }, g));
    };
    const a = draw(1);
    expect(draw(1)).toEqual(a);
    const freq = [0, 1, 2, 3].map((i) => a.filter((v) => v === i).length / a.length);
    expect(maxDiff(freq, [0, 0.5 / 0.9, 0.15 / 0.9, 0.25 / 0.9])).toBeLessThan(0.03);
    const t = tensor([logits, [0, 0, 9, 0]]);
    expect(Array.from(await sampleTokens(t, { greedy: true }, new Generator(0)))).toEqual([1, 2]);
  });

  it('rejects bad options', () => {
    expect(() => samplingProbabilities(logits, { topK: 0 })).toThrow('sample: topK must be a positive integer, got 0');
    expect(() => samplingProbabilities(logits, { topP: 1.5 })).toThrow('sample: topP must be in (0, 1], got 1.5');
    expect(() => samplingProbabilities(logits, { temperature: -1 })).toThrow('sample: temperature must be a finite number >= 0, got -1');
    expect(() => samplingProbabilities([0, NaN])).toThrow('samplingProbabilities: logit 1 is NaN');
  });
});

describe('generate', () => {
  it('left-pads ragged prompts: each sequence equals generating it alone; seeded sampling is reproducible', async () => {
    const m = tinyModel({ numKeyValueHeads: 2 }, 8);
    const prompts = [[1, 2, 3, 4, 5], [6, 7]];
    const both = await generate(m, { prompts, maxNewTokens: 6 });
    const a = await generate(m, { prompts: [prompts[0]!], maxNewTokens: 6 });
    const b = await generate(m, { prompts: [prompts[1]!], maxNewTokens: 6 });
    expect(both).toEqual([a[0], b[0]]);
    const opts = { prompts, maxNewTokens: 5, sampling: { temperature: 1.5, topP: 0.9 } };
    expect(await generate(m, { ...opts, generator: new Generator(3) })).toEqual(await generate(m, { ...opts, generator: new Generator(3) }));
    // EOS stops a sequence (its token is kept).
    const eos = a[0]![1]!;
    const stopped = await generate(m, { prompts: [prompts[0]!], maxNewTokens: 6, eosTokenId: eos });
    expect(stopped[0]).toEqual(a[0]!.slice(0, a[0]!.indexOf(eos) + 1));
    m.dispose();
  });
});
