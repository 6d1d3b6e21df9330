import { describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ShapesWorld, WordTokenizer, describeTokenizer, encodePng, imageFolderFromEntries, wordTokenizer, type RgbImage } from '@unihetero/data';
import { Trainer, createModel, evaluateCaptioning, evaluateGeneration, loadModel, loadShapesModel, type GenerationJudge, type SampleSource, type SourceSample, type StepMetrics } from '../src/index.js';
import { TINY, tinyModel } from './helpers.js';

const world = new ShapesWorld();
const config = { backbone: { ...TINY.backbone }, flow: { ...TINY.flow } };
const strip = (m: StepMetrics) => ({ ...m, ms: 0 });

/** A folder source of shapes-world pairs, built from PNG bytes as `readImageFolder` would. */
function folder(n: number) {
  return imageFolderFromEntries(
    Array.from({ length: n }, (_, i) => ({ name: `p${i}.png`, split: i < n - 2 ? ('train' as const) : ('test' as const), png: encodePng(world.sample('train', i).image), caption: world.sample('train', i).canonicalCaption })),
    { imageSize: 32 },
  );
}

describe('sample sources', () => {
  it('the shapes world is a SampleSource', () => {
    const s: SampleSource = world;
    expect(s.imageSize).toEqual([32, 32]);
    expect([s.size('train'), s.size('heldout'), s.size('nope')]).toEqual([Infinity, Infinity, 0]);
  });

  it('trains on a folder source with its caption tokenizer, reproducibly, and evaluates captioning and generation', async () => {
    const src = folder(6);
    const run = async () => {
      const { model } = await createModel(src.tokenizer, { preset: 'exp3', config, seed: 1 });
      const t = new Trainer(model, src, { samples: 12, batchSize: 4, seed: 2, lr: 3e-3 });
      const ms: StepMetrics[] = [];
      while (!t.done) ms.push(strip(await t.trainStep()));
      return { model, t, ms };
    };
    const a = await run();
    expect(a.ms.length).toBe(3);
    for (const m of a.ms) expect(Number.isFinite(m.loss)).toBe(true);
    // The third step wraps around the 4 training pairs.
    expect(a.t.lastBatch!.samples).toEqual([8, 9, 10, 11].map((index) => ({ split: 'train', index })));
    // Without questions every understanding example captions its image.
    for (const e of a.t.lastBatch!.examples) if (e.kind === 'understand') expect(e.prompt).toEqual([]);
    expect((await run()).ms).toEqual(a.ms);

    const cap = await evaluateCaptioning(a.model, src, { split: 'test', count: 2, maxCaptionTokens: 4 });
    expect(cap.count).toBe(2);
    expect(cap.examples.map((e) => e.truth)).toEqual(src.splits.test.map((s) => s.caption));
    for (const v of [cap.exact, cap.wordRecall, cap.wordPrecision]) expect(v).toBeGreaterThanOrEqual(0);
    const seen: number[] = [];
    const judge: GenerationJudge<(typeof src.splits.test)[number]> = {
      score: (images: readonly RgbImage[], samples) => {
        seen.push(images.length, samples.length);
        return { bright: 0.5 };
      },
    };
    const gen = await evaluateGeneration(a.model, src, { split: 'test', count: 2, generate: { steps: 2 }, judge });
    expect(gen.scores).toEqual({ bright: 0.5 });
    expect(seen).toEqual([2, 2]);
    expect(gen.images.length).toBe(2);
    expect(gen.meanAbsError).toBeGreaterThan(0);
    expect(gen.meanAbsError).toBeLessThan(1);
    const plain = await evaluateGeneration(a.model, src, { split: 'test', count: 1, generate: { steps: 2 } });
    expect(plain.scores).toBeUndefined();
  });

  it('takes any object with the interface, and refuses a source that does not fit the model', async () => {
    const img = world.sample('test', 0).image;
    const custom: SampleSource<SourceSample> = { imageSize: [32, 32], size: (s) => (s === 'train' ? 3 : 0), samples: (_s, start, count) => Array.from({ length: count }, (_, i) => ({ image: img, caption: (start + i) % 2 ? 'a large red ring at the top.' : 'a small blue circle at the left.' })) };
    const { model } = await tinyModel('exp2', { seed: 1 });
    const t = new Trainer(model, custom, { samples: 4, batchSize: 2 });
    expect(Number.isFinite((await t.trainStep()).loss)).toBe(true);
    expect(() => t.world).toThrow('Trainer.world: this trainer trains on a sample source that is not a ShapesWorld');
    expect(() => new Trainer(model, { ...custom, imageSize: [16, 16] }, { samples: 4 })).toThrow("Trainer: the sample source's images are 16x16, the model sees 32x32 images");
    expect(() => new Trainer(model, custom, { samples: 4, split: 'test' })).toThrow("Trainer: the sample source has no samples in split 'test'");
    await expect(evaluateCaptioning(model, custom, { split: 'test' })).rejects.toThrow("evaluate: the sample source has no samples in split 'test'");
  });
});

describe('loadModel: checkpoints that carry their tokenizer', () => {
  it('rebuilds a folder-trained model with the saved tokenizer, and shapes-world checkpoints as before', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'unihetero-loadmodel-'));
    try {
      const src = folder(6);
      const { model } = await createModel(src.tokenizer, { preset: 'exp2', config, seed: 1 });
      const t = new Trainer(model, src, { samples: 8, batchSize: 4, seed: 2 });
      await t.trainStep();
      const path = join(dir, 'folder.safetensors');
      await t.save(path, { build: { preset: 'exp2', config, seed: 1, world: {}, data: 'my-pairs', tokenizer: describeTokenizer(src.tokenizer) } });
      const loaded = await loadModel(path);
      expect([loaded.world, loaded.data, loaded.step, loaded.preset.name]).toEqual([null, 'my-pairs', 1, 'exp2']);
      const tok = loaded.model.tokenizer as WordTokenizer;
      expect(tok.words).toEqual(src.tokenizer.words);
      expect(tok.vocabSize).toBeLessThan(wordTokenizer(world).vocabSize);
      const a = model.stateDict();
      const b = loaded.model.stateDict();
      for (const name of ['lm.model.embed_tokens.weight', 'flow_head.final_layer.linear.weight']) expect(Array.from(await b.get(name)!.data())).toEqual(Array.from(await a.get(name)!.data()));
      await expect(loadShapesModel(path)).rejects.toThrow(`readCheckpointSpec: '${path}' was trained on the folder 'my-pairs' (unihetero-train --data), not on the shapes world; load it with loadModel`);

      // Written by unihetero-train --data before tokenizers were saved: refused, naming the folder.
      const old = join(dir, 'old-folder.safetensors');
      await t.save(old, { build: { preset: 'exp2', config, seed: 1, world: {}, data: 'my-pairs' } });
      await expect(loadModel(old)).rejects.toThrow(`loadModel: '${old}' was trained on the folder 'my-pairs' (unihetero-train --data) by a version that did not save its tokenizer; train it again to get a checkpoint that records its vocabulary`);
      const none = join(dir, 'none.safetensors');
      await t.save(none, {});
      await expect(loadModel(none)).rejects.toThrow(`loadModel: '${none}' does not record how its model was built (extra.build); it was not written by unihetero-train`);
      const bad = join(dir, 'bad.safetensors');
      await t.save(bad, { build: { preset: 'exp2', config, tokenizer: { kind: 'bpe' } } });
      await expect(loadModel(bad)).rejects.toThrow(`loadModel: '${bad}': extra.build.tokenizer: unknown tokenizer kind "bpe" (known: 'byte', 'word')`);
      model.dispose();
      loaded.model.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('loads a shapes-world checkpoint without a saved tokenizer (written before tokenizers were saved) on the world\'s tokenizer', async () => {
    const path = fileURLToPath(new URL('./fixtures/pre-nesting.safetensors', import.meta.url));
    const loaded = await loadModel(path);
    const before = await loadShapesModel(path);
    expect(loaded.world).not.toBeNull();
    expect(loaded.data).toBeNull();
    expect((loaded.model.tokenizer as WordTokenizer).words).toEqual(wordTokenizer(loaded.world!).words);
    expect(loaded.step).toBe(before.step);
    const name = 'lm.model.embed_tokens.weight';
    expect(Array.from(await loaded.model.stateDict().get(name)!.data())).toEqual(Array.from(await before.model.stateDict().get(name)!.data()));
    loaded.model.dispose();
    before.model.dispose();
  });
});
