/**
 * A tiny model overfits a handful of training samples: its captions are reproduced exactly, and
 * images generated from three distinct training captions are judged exact by the deterministic
 * judge (with a check that the span's hidden states depend on the caption).
 */
import { describe, expect, it } from 'vitest';
import { Judge, imagesToTensor } from '@unihetero/data';
import { GENERATION_RECIPE, Trainer, describeImages, generateImages, mergeConfig } from '../src/index.js';
import { cachedSpanHidden } from '../src/generate.js';
import { tinyModel } from './helpers.js';

const SMALL = {
  backbone: { hiddenSize: 48, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 96 },
  flow: { width: 64, depth: 2, batchMul: 4, sampleSteps: 10 },
  mix: { captionStyle: 'canonical' as const, captionDropout: 0 },
  invertProjector: { name: 'ema-mlp-llm-cos', momentum: 0.9 },
};

describe('overfitting', () => {
  it('reproduces the captions of three training images exactly', async () => {
    const { model, world } = await tinyModel('exp1', { seed: 0, config: SMALL });
    const trainer = new Trainer(model, world, { samples: 8 * 150, batchSize: 8, seed: 0, lr: 3e-3, pool: 3, warmupSteps: 5 });
    while (!trainer.done) await trainer.trainStep();
    const samples = [0, 1, 2].map((i) => world.sample('train', i));
    const images = imagesToTensor(samples.map((s) => s.image), model.backend);
    expect(await describeImages(model, images)).toEqual(samples.map((s) => s.canonicalCaption));
    images.dispose();
  }, 300_000);

  it('generates judge-exact images for three distinct training captions, and the span reads the caption', async () => {
    // The generation recipe (GENERATION_RECIPE) at a tiny size, on a pool of three scenes.
    const config = mergeConfig(GENERATION_RECIPE, SMALL, { flow: { ...SMALL.flow, batchMul: 1, trainOn: 'span', decode: 'final', conditionOnToken: true, positionEmbedding: true } });
    const { model, world } = await tinyModel('exp2', { seed: 0, config: { ...config, mix: { ...SMALL.mix, understandingFraction: 0.25 } } });
    const trainer = new Trainer(model, world, { samples: 8 * 320, batchSize: 8, seed: 0, lr: 3e-3, pool: 3, warmupSteps: 10 });
    while (!trainer.done) await trainer.trainStep();
    const samples = [0, 1, 2].map((i) => world.sample('train', i));
    expect(new Set(samples.map((s) => s.canonicalCaption)).size).toBe(3);
    const prompts = samples.map((s) => model.tokenizer.encode(s.canonicalCaption, { bos: false, eos: false }));
    const g = await generateImages(model, prompts, { steps: 8, temperature: 0 });
    const judge = new Judge(world);
    const scores = g.images!.map((img, i) => judge.score(img, samples[i]!.scene));
    g.embeddings.dispose();
    g.predictions.dispose();
    g.latents?.dispose();
    expect(scores.map((s) => s.objectAccuracy), JSON.stringify(scores)).toEqual([1, 1, 1]);
    expect(scores.every((s) => s.exact)).toBe(true);
    // The span's hidden states must depend on the caption: a fully masked span after two of the
    // captions gives states far apart at every position.
    const z = cachedSpanHidden(model, prompts.slice(0, 2));
    const N = model.numVisualTokens;
    const [a, b] = [z.narrow(0, 0, N), z.narrow(0, N, N)];
    const rel = (await a.sub(b).square().sum(-1).sqrt().div(a.square().sum(-1).sqrt()).min().item()) as number;
    z.dispose();
    expect(rel).toBeGreaterThan(0.05);
  }, 300_000);
});
