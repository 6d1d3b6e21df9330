// The README example, run as a test (keep the two in sync).
import { describe, expect, it } from 'vitest';
import { ShapesWorld, imagesToTensor } from '@unihetero/data';
import { PatchifyEncoder, checkTokenGridsAlign, loadDefaultSemanticEncoder } from '../src/index';

describe('README example', () => {
  it('runs and gives the shapes the README states', async () => {
    const world = new ShapesWorld();
    const images = imagesToTensor(world.samples('test', 0, 4).map((s) => s.image)); // [4, 3, 32, 32] in [-1, 1]

    const semantic = await loadDefaultSemanticEncoder();
    const features = semantic.encode(images);

    const pixel = new PatchifyEncoder({ patchSize: 4 });
    await pixel.fitNormalization(images);
    const latents = pixel.encode(images);
    const decoded = pixel.decode(latents);

    const grid = checkTokenGridsAlign(semantic, pixel, { semanticImage: [32, 32] });
    expect([features.shape, latents.shape, decoded.shape, grid]).toEqual([[4, 64, 64], [4, 64, 48], [4, 3, 32, 32], { height: 8, width: 8 }]);
    const want = images.dataSync();
    Array.from(decoded.dataSync()).forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-5));
  });
});
