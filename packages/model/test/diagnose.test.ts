/**
 * The generation ladder's metrics on hand-made cases: perfect readings and real images score
 * 100%, empty readings and noise images score 0; the probe reads the true semantic targets of
 * test images well and random embeddings not at all; the decoder path is deterministic.
 */
import { describe, expect, it } from 'vitest';
import { Generator, randn } from '@unihetero/tensor';
import { ShapesWorld, imagesToTensor, type RgbImage } from '@unihetero/data';
import { decodeImages, diagnoseGeneration, evaluateUnderstanding, fitSemanticProbe, judgeImages, scoreCellReadings, semanticTargets, type CellReading } from '../src/index.js';
import { tinyModel } from './helpers.js';

const world = new ShapesWorld();
const scenes = world.samples('test', 0, 12).map((s) => s.scene);

/** The exact readings of a scene. */
function perfect(sceneIndex: number): CellReading {
  const l = world.cellLabels(scenes[sceneIndex]!);
  return { colour: Int32Array.from(l.colour), shape: Int32Array.from(l.shape), size: Int32Array.from(l.size) };
}

describe('scoreCellReadings', () => {
  it('scores perfect readings 100% and empty readings 0%', () => {
    const s = scoreCellReadings(world, scenes.map((_, i) => perfect(i)), scenes);
    expect(s).toMatchObject({ images: 12, position: 1, colour: 1, shape: 1, size: 1, objectAccuracy: 1, exact: 1, extraPerImage: 0 });
    expect(s.objects).toBe(scenes.reduce((a, sc) => a + sc.objects.length, 0));
    const empty = () => ({ colour: new Int32Array(9).fill(-1), shape: new Int32Array(9).fill(-1), size: new Int32Array(9).fill(-1) });
    const e = scoreCellReadings(world, scenes.map(empty), scenes);
    expect(e).toMatchObject({ position: 0, colour: 0, shape: 0, size: 0, objectAccuracy: 0, exact: 0, extraPerImage: 0 });
  });

  it('counts one wrong attribute and an extra object exactly', () => {
    const r = perfect(0);
    const k = world.cellLabels(scenes[0]!).occupied.indexOf(1);
    r.shape[k] = (r.shape[k]! + 1) % world.config.shapes.length;
    const free = world.cellLabels(scenes[0]!).occupied.indexOf(0);
    r.colour[free] = 0;
    r.shape[free] = 0;
    r.size[free] = 0;
    const s = scoreCellReadings(world, [r], [scenes[0]!]);
    const n = scenes[0]!.objects.length;
    expect(s.shape).toBeCloseTo((n - 1) / n, 12);
    expect(s.colour).toBe(1);
    expect(s.objectAccuracy).toBeCloseTo((n - 1) / n, 12);
    expect(s.extraPerImage).toBe(1);
    expect(s.exact).toBe(0);
  });

  it('rejects mismatched lengths', () => {
    expect(() => scoreCellReadings(world, [perfect(0)], scenes.slice(0, 2))).toThrow('scoreCellReadings: 1 readings for 2 scenes');
  });
});

describe('judgeImages (the decoder and end-to-end rungs)', () => {
  it('a perfect decoder (the rendered images) scores 100%; noise scores ~0', () => {
    const images = scenes.map((s) => world.render(s));
    expect(judgeImages(world, images, scenes)).toMatchObject({ objectAccuracy: 1, exact: 1 });
    const g = new Generator(1);
    const noise: RgbImage[] = images.map((img) => ({ ...img, data: Uint8Array.from(img.data, () => Math.floor(g.uniform() * 256)) }));
    expect(judgeImages(world, noise, scenes).objectAccuracy).toBeLessThan(0.05);
    expect(() => judgeImages(world, images.slice(1), scenes)).toThrow('judgeImages: 11 images for 12 scenes');
  });
});

describe('the semantic probe', () => {
  it('reads the true targets of test images (the ceiling) and not random embeddings', async () => {
    // mlp-cos targets the frozen encoder's features, so the probe measures the shipped encoder.
    const { model } = await tinyModel('exp2', { config: { invertProjector: { name: 'mlp-cos' } } });
    const probe = await fitSemanticProbe(model, world, { count: 192 });
    expect(probe.dim).toBe(model.config.semanticDim);
    const test = world.samples('test', 0, 32);
    const images = imagesToTensor(test.map((s) => s.image), model.backend);
    const t = semanticTargets(model, images);
    const ceiling = scoreCellReadings(world, await probe.read(t), test.map((s) => s.scene));
    expect(probe.trainAccuracy.colour).toBeGreaterThan(0.95);
    expect(ceiling.position).toBeGreaterThan(0.85);
    expect(ceiling.colour).toBeGreaterThan(0.85);
    expect(ceiling.objectAccuracy).toBeGreaterThan(0.7);
    const noise = randn(t.shape, { generator: new Generator(2), backend: model.backend });
    const random = scoreCellReadings(world, await probe.read(noise), test.map((s) => s.scene));
    expect(random.objectAccuracy).toBeLessThan(0.1);
    await expect(probe.read(noise.narrow(2, 0, 4))).rejects.toThrow(/SemanticProbe.read: expected embeddings \[B, 64, 64\]/);
    for (const x of [images, t, noise]) x.dispose();
    model.dispose();
  }, 120_000);
});

describe('decodeImages', () => {
  it('decodes a visible span into images, deterministically for a seed', async () => {
    const { model } = await tinyModel('exp2', { config: { flow: { trainOn: 'span', positionEmbedding: true }, visualPositions: 'learned' } });
    const test = world.samples('test', 0, 2);
    const images = imagesToTensor(test.map((s) => s.image), model.backend);
    const a = await decodeImages(model, images, test.map((s) => s.canonicalCaption), { generator: new Generator(3) });
    const b = await decodeImages(model, images, test.map((s) => s.canonicalCaption), { generator: new Generator(3) });
    expect(a).toHaveLength(2);
    expect(a[0]!.width).toBe(32);
    expect(a[0]!.data).toEqual(b[0]!.data);
    await expect(decodeImages(model, images, ['one caption'])).rejects.toThrow('decodeImages: 1 captions for 2 images');
    images.dispose();
    model.dispose();
  }, 60_000);
});

describe('diagnoseGeneration', () => {
  it('runs every rung on a tiny model, deterministically, with the round trip beside its captioning ceiling', async () => {
    const run = async () => {
      const { model, world: w } = await tinyModel('exp2', { seed: 0 });
      const d = await diagnoseGeneration(model, w, { count: 2, probeImages: 16, roundTrips: 2, batchSize: 2, generate: { steps: 2 } });
      const real = await evaluateUnderstanding(model, w, { split: 'test', count: 2, batchSize: 2, captions: true });
      model.dispose();
      return { d, real };
    };
    const { d, real } = await run();
    expect(d.decoder.images).toHaveLength(2);
    expect(d.endToEnd.images).toHaveLength(2);
    expect(d.semantics.count).toBe(2);
    expect(d.roundTrip.count).toBe(2);
    // The ceiling is the same model's captions of the real images of the round trip's captions.
    expect(d.roundTripCeiling).toEqual(real.captionRecall);
    expect([d.roundTripCeiling.objectRecall, d.roundTripCeiling.exact]).toEqual([real.captionObjectRecall, real.captionExact]);
    for (const v of [d.decoder.scores.objectAccuracy, d.semantics.scores.objectAccuracy, d.endToEnd.scores.objectAccuracy, d.roundTrip.objectRecall, d.roundTripCeiling.objectRecall]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    const again = await run();
    expect(again.d.endToEnd.scores).toEqual(d.endToEnd.scores);
    expect(again.d.roundTrip.examples).toEqual(d.roundTrip.examples);
  }, 120_000);
});
