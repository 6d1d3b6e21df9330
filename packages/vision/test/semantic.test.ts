import { describe, expect, it } from 'vitest';
import { Generator, randn, tensor } from '@unihetero/tensor';
import {
  DINOV2_PREPROCESSING,
  Dinov2Model,
  FeatureCache,
  IMAGENET_MEAN,
  IMAGENET_STD,
  PatchifyEncoder,
  SHAPES_VIT_TINY,
  ViTSemanticEncoder,
  checkTokenGridsAlign,
  dinov2ToSafetensors,
  fitRidgeProbe,
  poolCells,
  preprocessImages,
  preprocessedSize,
  tokenCells,
  vitConfig,
} from '../src/index';

const TINY = vitConfig({ hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2, patchSize: 4, imageSize: 16 });

describe('ViTSemanticEncoder', () => {
  it('encodes [B, 3, H, W] to frozen [B, N, d] patch features', async () => {
    const gen = new Generator(0);
    const enc = new ViTSemanticEncoder(new Dinov2Model(TINY, { generator: gen }));
    expect(enc.featureDim).toBe(8);
    const x = randn([2, 3, 16, 16], { generator: gen, requiresGrad: true });
    const f = enc.encode(x);
    expect(f.shape).toEqual([2, 16, 8]);
    expect(f.requiresGrad).toBe(false);
    expect(enc.model.parameters().every((p) => !p.requiresGrad)).toBe(true);
    expect(enc.grid(16, 16)).toEqual({ height: 4, width: 4 });
    const loaded = await ViTSemanticEncoder.load(await dinov2ToSafetensors(enc.model));
    expect(Array.from(loaded.encode(x).dataSync())).toEqual(Array.from(f.dataSync()));
  });

  it('with DINOv2 preprocessing: 300x400 -> resize 256x341 -> crop 224 -> 16x16 tokens of patch 14', () => {
    expect(preprocessedSize(300, 400, DINOV2_PREPROCESSING)).toEqual([224, 224]);
    const enc = new ViTSemanticEncoder(new Dinov2Model({ ...TINY, patchSize: 14, imageSize: 28 }), DINOV2_PREPROCESSING);
    expect(enc.grid(300, 400)).toEqual({ height: 16, width: 16 });
    expect(enc.grid(64, 64)).toEqual({ height: 16, width: 16 });
  });
});

describe('preprocessing', () => {
  it('maps [-1, 1] to ImageNet-normalised values', () => {
    const x = tensor([[[[-1, 1]], [[0, 0.5]], [[1, -1]]]]); // [1, 3, 1, 2]
    const y = preprocessImages(x, { normalize: { mean: IMAGENET_MEAN, std: IMAGENET_STD } }).tolistSync() as number[][][][];
    const want = (v: number, c: number) => ((v + 1) / 2 - IMAGENET_MEAN[c]!) / IMAGENET_STD[c]!;
    expect(y[0]![0]![0]![0]).toBeCloseTo(want(-1, 0), 6);
    expect(y[0]![1]![0]![1]).toBeCloseTo(want(0.5, 1), 6);
    expect(y[0]![2]![0]![0]).toBeCloseTo(want(1, 2), 6);
  });

  it('resizes the shortest edge (truncating the long one), then centre-crops', () => {
    const x = randn([1, 3, 20, 30], { generator: new Generator(1) });
    expect(preprocessImages(x, { resize: { shortestEdge: 8 } }).shape).toEqual([1, 3, 8, 12]);
    const cropped = preprocessImages(x, { centerCrop: { height: 10, width: 10 } });
    const src = x.tolistSync() as number[][][][];
    // HF centre crop: top = floor((20 - 10) / 2) = 5, left = floor((30 - 10) / 2) = 10
    expect((cropped.tolistSync() as number[][][][])[0]![2]![0]![0]).toBe(src[0]![2]![5]![10]);
    expect(() => preprocessImages(x, { centerCrop: { height: 24, width: 10 } })).toThrow('preprocessImages: centre crop 24x10 is larger than the 20x30 image');
    expect(() => preprocessImages(x, { normalize: { mean: [0.5], std: [0.5] } })).toThrow('preprocessImages: normalize has 1 means and 1 stds for 3 channels');
  });
});

describe('token grid alignment (docs/method.md 7.3)', () => {
  it('passes for the shapes-world default pair and fails naming both grids otherwise', () => {
    const sem = new ViTSemanticEncoder(new Dinov2Model(SHAPES_VIT_TINY, { generator: new Generator(2) }));
    const pix = new PatchifyEncoder({ patchSize: 4 });
    expect(checkTokenGridsAlign(sem, pix, { semanticImage: [32, 32] })).toEqual({ height: 8, width: 8 });
    expect(() => checkTokenGridsAlign(sem, new PatchifyEncoder({ patchSize: 8 }), { semanticImage: [32, 32] })).toThrow(
      'checkTokenGridsAlign: semantic grid 8x8 (image 32x32) does not match pixel grid 4x4 (image 32x32)',
    );
    // the same image resized twice (224 for DINOv2 patch 14, 256 for a patch-16 pixel encoder) lines up
    const dino = new ViTSemanticEncoder(new Dinov2Model({ ...TINY, patchSize: 14, imageSize: 28 }), DINOV2_PREPROCESSING);
    expect(checkTokenGridsAlign(dino, new PatchifyEncoder({ patchSize: 16 }), { semanticImage: [224, 224], pixelImage: [256, 256] })).toEqual({ height: 16, width: 16 });
  });
});

describe('FeatureCache', () => {
  it('encodes only unseen images and returns the same features', async () => {
    const gen = new Generator(3);
    const enc = new ViTSemanticEncoder(new Dinov2Model(TINY, { generator: gen }));
    let calls = 0;
    const counting = { featureDim: 8, grid: enc.grid.bind(enc), encode: (x: Parameters<typeof enc.encode>[0]) => (calls++, enc.encode(x)) };
    const cache = new FeatureCache(counting);
    const x = randn([3, 3, 16, 16], { generator: gen });
    const direct = enc.encode(x).dataSync();
    const a = await cache.encode(x, ['a', 'b', 'c']);
    expect(Array.from(a.dataSync())).toEqual(Array.from(direct));
    const b = await cache.encode(x, ['a', 'b', 'c']);
    expect(calls).toBe(1);
    expect(Array.from(b.dataSync())).toEqual(Array.from(direct));
    expect(cache.size).toBe(3);
    await expect(cache.encode(x, ['a'])).rejects.toThrow('FeatureCache.encode: 1 keys for 3 images');
  });
});

describe('cells and probes', () => {
  it('maps tokens to the 3x3 shapes-world cells (32 px, cell 10, offset 1) and pools them', () => {
    const cells = tokenCells({ imageSize: 32, grid: 3, cell: 10, offset: 1 }, { height: 8, width: 8 }, 4);
    // token rows 0-2 -> cell row 0, 3-4 -> 1, 5-7 -> 2 (centres 2, 6, 10 | 14, 18 | 22, 26, 30)
    expect(Array.from(cells.subarray(0, 8))).toEqual([0, 0, 0, 1, 1, 2, 2, 2]);
    expect(cells[3 * 8 + 5]).toBe(4 + 1);
    const feats = Float32Array.from({ length: 64 }, (_, t) => cells[t]!); // feature = its cell id
    Array.from(poolCells(feats, 1, 1, cells, 9)).forEach((v, k) => expect(v).toBeCloseTo(k, 5));
  });

  it('a ridge probe separates linearly separable classes', () => {
    const x = [0, 0, 0, 1, 1, 0, 1, 1, 5, 5, 5, 6, 6, 5, 6, 6];
    const y = [0, 0, 0, 0, 1, 1, 1, 1];
    const probe = fitRidgeProbe(x, y, 2, 2, { lambda: 1e-3 });
    expect(probe.accuracy(x, y)).toBe(1);
    expect(Array.from(probe.predict([0.5, 0.5, 5.5, 5.5]))).toEqual([0, 1]);
    expect(() => fitRidgeProbe(x, [0, 0, 0, 0, 1, 1, 1, 2], 2, 2)).toThrow('fitRidgeProbe: label 2 at row 7 is outside [0, 2)');
  });
});
