/**
 * The embedded default encoder (weights/shapes-vit-tiny.safetensors): loads offline, has the
 * docs/method.md 14 shape, and a closed-form linear probe on its frozen per-cell features recovers object
 * colour and shape on the shapes world's test split.
 */
import { describe, expect, it } from 'vitest';
import { ShapesWorld, imagesToTensor, type SplitName } from '@unihetero/data';
import { parseSafetensors } from '@unihetero/safetensors';
import { readFileSync } from 'node:fs';
import { SHAPES_VIT_TINY, defaultEncoderPath, fitRidgeProbe, loadDefaultSemanticEncoder, poolCells, tokenCells } from '../src/index';

/**
 * Minimum probe accuracies on the occupied test cells (128 fit / 128 test images; measured with
 * the shipped weights: colour 0.872 (chance 1/8), shape 0.855 (chance 1/6); all cells, colour incl.
 * empty: 0.973).
 */
const MIN_COLOUR = 0.82;
const MIN_SHAPE = 0.8;
const MIN_COLOUR_ALL_CELLS = 0.95;

describe('default semantic encoder', () => {
  it('loads from weights/ with the SHAPES_VIT_TINY config and the pretraining record', async () => {
    const enc = await loadDefaultSemanticEncoder();
    expect(enc.model.config).toEqual({ ...SHAPES_VIT_TINY });
    expect(enc.featureDim).toBe(64);
    expect(enc.grid(32, 32)).toEqual({ height: 8, width: 8 });
    const meta = parseSafetensors(readFileSync(await defaultEncoderPath())).metadata!;
    const record = JSON.parse(meta['unihetero.pretraining']!) as { seed: number; command: string };
    expect(record.seed).toBe(0);
    expect(record.command).toContain('scripts/pretrain-encoder.ts --seed 0');
  });

  it(`a ridge probe on frozen per-cell features recovers colour (>= ${MIN_COLOUR}) and shape (>= ${MIN_SHAPE}) on the test split`, async () => {
    const enc = await loadDefaultSemanticEncoder();
    const world = new ShapesWorld();
    const cells = tokenCells(world.layout, { height: 8, width: 8 }, 4);
    const collect = async (split: SplitName, count: number) => {
      const samples = world.samples(split, 0, count);
      const f = enc.encode(imagesToTensor(samples.map((s) => s.image)));
      const features = poolCells(await f.data(), count, 64, cells, 9);
      const colour: number[] = [];
      const shape: number[] = [];
      for (const s of samples) {
        const l = world.cellLabels(s.scene);
        for (let k = 0; k < 9; k++) {
          colour.push(l.colour[k]! + 1); // 0 = empty
          shape.push(l.shape[k]! + 1);
        }
      }
      return { features, colour, shape };
    };
    const fit = await collect('train', 128);
    const test = await collect('test', 128);
    const occupied = test.colour.flatMap((c, i) => (c > 0 ? [i] : []));
    const occFeatures = new Float32Array(occupied.length * 64);
    occupied.forEach((i, j) => occFeatures.set(test.features.subarray(i * 64, (i + 1) * 64), j * 64));
    const colourProbe = fitRidgeProbe(fit.features, fit.colour, 64, world.config.colours.length + 1);
    const shapeProbe = fitRidgeProbe(fit.features, fit.shape, 64, world.config.shapes.length + 1);
    const colourAcc = colourProbe.accuracy(occFeatures, occupied.map((i) => test.colour[i]!));
    const shapeAcc = shapeProbe.accuracy(occFeatures, occupied.map((i) => test.shape[i]!));
    expect(occupied.length).toBeGreaterThan(150);
    expect(colourAcc).toBeGreaterThanOrEqual(MIN_COLOUR);
    expect(shapeAcc).toBeGreaterThanOrEqual(MIN_SHAPE);
    // empty vs occupied is read off the same probe
    expect(colourProbe.accuracy(test.features, test.colour)).toBeGreaterThanOrEqual(MIN_COLOUR_ALL_CELLS);
  });
});
