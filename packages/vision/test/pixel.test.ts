import { describe, expect, it } from 'vitest';
import { Generator, arange, gradcheck, memory, randn, tensor } from '@unihetero/tensor';
import { LatentNormalization, PatchifyEncoder, measureLatentStats, patchGrid, patchify, unpatchify } from '../src/index';

describe('patchify / unpatchify', () => {
  it('cuts [B, C, H, W] into row-major tokens with the hwc (MAR) value order', () => {
    // x[b, c, y, x] = 1000 c + 10 y + x  (B = 1, C = 2, 4x4, patch 2)
    const vals: number[] = [];
    for (let c = 0; c < 2; c++) for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) vals.push(1000 * c + 10 * y + x);
    const img = tensor(vals, { shape: [1, 2, 4, 4] });
    const t = patchify(img, 2);
    expect(t.shape).toEqual([1, 4, 8]);
    const rows = t.tolistSync() as number[][][];
    // token 1 = grid row 0, col 1: pixels (y, x) in {0,1} x {2,3}; values ordered (py, px, c)
    expect(rows[0]![1]).toEqual([2, 1002, 3, 1003, 12, 1012, 13, 1013]);
    // token 2 = grid row 1, col 0
    expect(rows[0]![2]).toEqual([20, 1020, 21, 1021, 30, 1030, 31, 1031]);
    const chw = patchify(img, 2, 'chw').tolistSync() as number[][][];
    expect(chw[0]![1]).toEqual([2, 3, 12, 13, 1002, 1003, 1012, 1013]);
  });

  it('is exactly invertible for both layouts and keeps memory flat', () => {
    const gen = new Generator(1);
    const img = randn([2, 3, 8, 12], { generator: gen });
    const base = memory().tensors;
    for (const layout of ['hwc', 'chw'] as const) {
      const t = patchify(img, 4, layout);
      expect(t.shape).toEqual([2, 6, 48]);
      const back = unpatchify(t, 4, { height: 2, width: 3 }, 3, layout);
      expect(back.shape).toEqual([2, 3, 8, 12]);
      expect(Array.from(back.dataSync())).toEqual(Array.from(img.dataSync()));
      t.dispose();
      back.dispose();
    }
    expect(memory().tensors).toBe(base);
  });

  it('gives the docs/method.md 14 default grid: 32x32, patch 4 -> 8x8 tokens of C = 48', () => {
    const img = randn([1, 3, 32, 32], { generator: new Generator(2) });
    expect(patchify(img, 4).shape).toEqual([1, 64, 48]);
    expect(patchGrid(32, 32, 4)).toEqual({ height: 8, width: 8 });
  });

  it('is differentiable (gradcheck)', async () => {
    const gen = new Generator(3);
    const w = randn([1, 2, 12], { generator: gen });
    await gradcheck((x) => patchify(x, 2).mul(w).sum(), [randn([1, 3, 2, 4], { generator: gen })]);
  });

  it('rejects bad inputs with the offending values', () => {
    const img = randn([1, 3, 6, 8], { generator: new Generator(4) });
    expect(() => patchify(img, 4)).toThrow('patchify: image 6x8 (input [1,3,6,8]) is not divisible by patch size 4');
    expect(() => patchify(randn([3, 8, 8]), 4)).toThrow('patchify: expected images [B, C, H, W], got [3,8,8]');
    const t = patchify(randn([1, 3, 8, 8]), 4);
    expect(() => unpatchify(t, 4, { height: 3, width: 3 }, 3)).toThrow('unpatchify: 4 tokens do not fill a 3x3 grid (9 tokens)');
    expect(() => unpatchify(t, 4, { height: 2, width: 2 }, 4)).toThrow('unpatchify: token width 48 is not patch 4x4 x 4 channels = 64');
    expect(() => patchGrid(30, 32, 4)).toThrow('patchGrid: image 30x32 is not divisible by patch size 4');
  });
});

describe('latent normalisation', () => {
  it('measures per-channel mean and 1/std exactly', async () => {
    // channel 0: 1, 3 (mean 2, std 1); channel 1: 0, 4 (mean 2, std 2)
    const x = tensor([[1, 0], [3, 4]]);
    expect(await measureLatentStats(x)).toEqual({ shift: [2, 2], scale: [1, 0.5] });
    expect(await measureLatentStats(x, { center: false })).toEqual({ shift: [0, 0], scale: [1, 0.5] });
    // shared: values 1, 0, 3, 4 -> mean 2, population std sqrt(2.5)
    const shared = await measureLatentStats(x, { perChannel: false });
    expect(shared.shift).toEqual([2, 2]);
    expect(shared.scale[0]).toBeCloseTo(1 / Math.sqrt(2.5), 12);
  });

  it('refuses a constant channel and bad statistics, naming them', async () => {
    await expect(measureLatentStats(tensor([[1, 5], [3, 5]]))).rejects.toThrow('measureLatentStats: channel 1 has std 0 over 2 values');
    expect(() => new LatentNormalization(2, { scale: [1, 0], shift: [0, 0] })).toThrow('LatentNormalization: scale[1] is 0');
    expect(() => new LatentNormalization(3, { scale: [1, 1], shift: [0, 0] })).toThrow('LatentNormalization: scale must have 3 entries, got 2');
  });

  it("applies MAR's scalar 0.2325 factor on encode and inverts it on decode", async () => {
    const enc = new PatchifyEncoder({ patchSize: 2, channels: 1, stats: { scale: [0.2325, 0.2325, 0.2325, 0.2325], shift: [0, 0, 0, 0] } });
    const img = arange(16).reshape([1, 1, 4, 4]);
    const z = enc.encode(img);
    expect(z.shape).toEqual([1, 4, 4]);
    const raw = enc.patchify(img).dataSync();
    Array.from(z.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(raw[i]! * 0.2325, 5));
    const back = enc.decode(z);
    Array.from(back.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(i, 4));
  });
});

describe('PatchifyEncoder', () => {
  it('encodes to normalised latents, decodes back, and saves/loads its statistics', async () => {
    const gen = new Generator(5);
    const imgs = randn([4, 3, 8, 8], { generator: gen }).mul(0.5).add(0.1);
    const enc = new PatchifyEncoder();
    expect(enc.latentDim).toBe(48);
    expect(enc.grid(32, 32)).toEqual({ height: 8, width: 8 });
    const stats = await enc.fitNormalization(imgs);
    const z = enc.encode(imgs);
    expect(z.shape).toEqual([4, 4, 48]);
    const zs = z.dataSync();
    // normalised: every channel has mean 0 and std 1 over the batch
    for (const ch of [0, 17, 47]) {
      let m = 0;
      let v = 0;
      for (let i = ch; i < zs.length; i += 48) m += zs[i]!;
      m /= 16;
      for (let i = ch; i < zs.length; i += 48) v += (zs[i]! - m) ** 2;
      expect(m).toBeCloseTo(0, 5);
      expect(Math.sqrt(v / 16)).toBeCloseTo(1, 4);
    }
    const back = enc.decode(z);
    const want = imgs.dataSync();
    Array.from(back.dataSync()).forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-5));

    const bytes = await enc.toSafetensors();
    const loaded = await PatchifyEncoder.load(bytes);
    expect(loaded.config()).toEqual({ patchSize: 4, channels: 3, layout: 'hwc' });
    expect(await loaded.normalization.stats()).toEqual(await enc.normalization.stats());
    expect(Array.from(loaded.encode(imgs).dataSync())).toEqual(Array.from(zs));
    expect(stats.scale).toHaveLength(48);
    expect([...enc.stateDict().keys()]).toEqual(['normalization.scale', 'normalization.shift']);
  });

  it('is bit-exact with identity statistics and checks shapes', () => {
    const enc = new PatchifyEncoder({ patchSize: 4 });
    const img = randn([2, 3, 32, 32], { generator: new Generator(6) });
    const back = enc.decode(enc.encode(img));
    expect(Array.from(back.dataSync())).toEqual(Array.from(img.dataSync()));
    expect(() => enc.encode(randn([1, 1, 8, 8]))).toThrow('PatchifyEncoder.encode: expected images [B, 3, H, W], got [1,1,8,8]');
    expect(() => enc.decode(randn([1, 4, 12]))).toThrow('PatchifyEncoder.decode: expected latents [B, N, 48], got [1,4,12]');
    expect(() => enc.decode(randn([1, 8, 48]))).toThrow('PatchifyEncoder.decode: 8 tokens are not a square grid; pass the grid');
    expect(enc.decode(randn([1, 8, 48]), { height: 2, width: 4 }).shape).toEqual([1, 3, 8, 16]);
  });
});
