// The README example, run as a test (keep the two in sync).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imagesToTensor } from '@unihetero/data';
import { Trainer, answerQuestions, createShapesModel, describeImages, generateImages, roundTrip, type UniHetero } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'unihetero-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The model size both README examples use. */
const TINY = { backbone: { hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 2 }, flow: { width: 32, depth: 1 } };

/** The README's training loop over `data` (64 samples, batches of 16): four steps; returns the trainer. */
async function trainFourSteps(model: UniHetero, data: ConstructorParameters<typeof Trainer>[1]): Promise<Trainer> {
  const trainer = new Trainer(model, data, { samples: 64, batchSize: 16, seed: 0 });
  const losses: number[] = [];
  while (!trainer.done) losses.push((await trainer.trainStep()).loss);
  expect(losses.length).toBe(4);
  return trainer;
}

describe('README example', () => {
  it('runs', async () => {
    const { model, world, spec } = await createShapesModel({ preset: 'exp2', config: TINY });
    const trainer = await trainFourSteps(model, world);
    await trainer.save(join(dir, 'run.safetensors'), { build: spec });

    const s = world.sample('test', 0);
    const images = imagesToTensor([s.image], model.backend);
    expect((await describeImages(model, images)).length).toBe(1);
    expect((await answerQuestions(model, images, [{ question: s.question.text, options: s.question.options }]))[0]!.logLikelihoods.length).toBe(4);
    images.dispose();
    const prompt = model.tokenizer.encode(s.canonicalCaption, { bos: false, eos: false });
    const g = await generateImages(model, [prompt], { steps: 16, guidance: 1, regenerationRounds: 0 });
    expect(g.images![0]!.width).toBe(32);
    g.embeddings.dispose();
    g.predictions.dispose();
    g.latents?.dispose();
    expect((await roundTrip(model, [s.canonicalCaption], { steps: 16 })).length).toBe(1);
  }, 120_000);
});

describe('README example: your own folder', () => {
  it('runs', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { ShapesWorld, describeTokenizer, encodePng, readImageFolder } = await import('@unihetero/data');
    const { createModel, evaluateCaptioning, evaluateGeneration, loadModel } = await import('../src/index.js');
    const pairs = join(dir, 'my-pairs');
    mkdirSync(pairs);
    const world = new ShapesWorld();
    for (let i = 0; i < 7; i++) {
      writeFileSync(join(pairs, `p${i}.png`), encodePng(world.sample('train', i).image));
      writeFileSync(join(pairs, `p${i}.txt`), world.sample('train', i).canonicalCaption);
    }

    const data = await readImageFolder(pairs, { imageSize: 32 });
    const config = TINY;
    const { model } = await createModel(data.tokenizer, { preset: 'exp2', config });
    const trainer = await trainFourSteps(model, data);
    expect(data.size('train')).toBe(6);

    const captions = await evaluateCaptioning(model, data, { split: 'test', count: data.size('test') });
    expect(captions.count).toBe(1);
    expect(Object.keys(captions.examples[0]!)).toEqual(['truth', 'caption']);
    const gen = await evaluateGeneration(model, data, { split: 'test', count: 1, generate: { steps: 8 } });
    expect(gen.meanAbsError).toBeGreaterThan(0);

    const mine = join(dir, 'mine.safetensors');
    await trainer.save(mine, { build: { preset: 'exp2', config, seed: 0, data: 'my-pairs', tokenizer: describeTokenizer(data.tokenizer) } });
    const again = await loadModel(mine);
    expect([again.world, again.data, again.step, again.preset.name, again.model.tokenizer.vocabSize]).toEqual([null, 'my-pairs', 4, 'exp2', data.tokenizer.vocabSize]);
    again.model.dispose();
  });
});
