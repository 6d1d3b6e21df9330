/**
 * A tiny model overfits a handful of training samples: its captions are reproduced exactly, and
 * a generated image of a training caption is judged correct by the deterministic judge.
 */
import { describe, expect, it } from 'vitest';
import { Judge, imagesToTensor } from '@unihetero/data';
import { Trainer, describeImages, generateImages } from '../src/index.js';
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

  it('generates an image of a training caption that the judge accepts', async () => {
    const { model, world } = await tinyModel('exp3', { seed: 0, config: SMALL });
    const trainer = new Trainer(model, world, { samples: 8 * 200, batchSize: 8, seed: 0, lr: 3e-3, pool: 1, warmupSteps: 10 });
    while (!trainer.done) await trainer.trainStep();
    const s = world.sample('train', 0);
    const g = await generateImages(model, [model.tokenizer.encode(s.canonicalCaption, { bos: false, eos: false })], { steps: 8 });
    const score = new Judge(world).score(g.images![0]!, s.scene);
    g.embeddings.dispose();
    g.predictions.dispose();
    g.latents?.dispose();
    expect(score.objectAccuracy).toBe(1);
    expect(score.exact).toBe(true);
  }, 300_000);
});
