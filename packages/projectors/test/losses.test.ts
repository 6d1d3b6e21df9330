import { describe, expect, it } from 'vitest';
import { Generator, cosineSimilarity, gradcheck, memory, noGrad, tensor, zeros } from '@unihetero/tensor';
import { COSINE_EPS, cosineLoss, cosineSimilaritySafe, l2Normalize, maskedMean, maskedMseLoss } from '../src/index.js';
import { host, hostCos, normal } from './helpers.js';

const f64 = { dtype: 'float64' as const };

describe('cosineSimilaritySafe', () => {
  it('matches the docs/method.md 6.2 formula on hand-made vectors, zero vectors included', () => {
    const a = tensor([[1, 0], [1, 1], [3, 4], [0, 0], [0, 0], [1e-9, 0]], f64);
    const b = tensor([[0, 1], [2, 2], [-3, -4], [1, 2], [0, 0], [1, 0]], f64);
    const c = host(cosineSimilaritySafe(a, b));
    // 1e-9 < eps: the norm is clamped to 1e-8, so cos = 1e-9 / (1e-8 * 1) = 0.1.
    expect(c).toEqual([0, 1, -1, 0, 0, 0.1].map((v, i) => expect.closeTo(v, i === 5 ? 12 : 15)));
    expect(COSINE_EPS).toBe(1e-8);
  });

  it('agrees with @unihetero/tensor cosineSimilarity on nonzero vectors', () => {
    const gen = new Generator(1);
    const a = normal([4, 5], gen, 'float32');
    const b = normal([4, 5], gen, 'float32');
    const mine = host(cosineSimilaritySafe(a, b));
    const ref = host(cosineSimilarity(a, b));
    mine.forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 6));
  });

  it('has a finite gradient at a zero vector: b / (eps |b|) for a = 0', () => {
    const a = tensor([[0, 0]], { ...f64, requiresGrad: true });
    const b = tensor([[3, 4]], { ...f64, requiresGrad: true });
    cosineSimilaritySafe(a, b).sum().backward();
    expect(host(a.grad!)).toEqual([expect.closeTo(0.6e8, 0), expect.closeTo(0.8e8, 0)]);
    expect(host(b.grad!)).toEqual([0, 0]);
    const z = tensor([[0, 0, 0]], { requiresGrad: true });
    const y = cosineSimilaritySafe(z, zeros([1, 3]));
    y.sum().backward();
    expect(host(y)).toEqual([0]);
    expect(host(z.grad!)).toEqual([0, 0, 0]);
  });

  it('passes gradcheck on random vectors', async () => {
    const gen = new Generator(2);
    await gradcheck((a, b) => cosineSimilaritySafe(a, b), [normal([3, 4], gen), normal([3, 4], gen)]);
  });

  it('rejects mismatched shapes, scalars and a bad eps', () => {
    expect(() => cosineSimilaritySafe(zeros([2, 3]), zeros([2, 4]))).toThrow('cosineSimilaritySafe: prediction [2,3] and target [2,4] differ');
    expect(() => cosineSimilaritySafe(tensor(1), tensor(1))).toThrow('need a feature dimension');
    expect(() => cosineSimilaritySafe(zeros([1, 2]), zeros([1, 2]), 0)).toThrow('cosineSimilaritySafe: eps must be a positive finite number, got 0');
  });
});

describe('l2Normalize', () => {
  it('divides by max(|x|, eps) and keeps zero vectors at zero with a finite gradient', () => {
    const x = tensor([[3, 4], [0, 0], [0, -2]], { ...f64, requiresGrad: true });
    const y = l2Normalize(x);
    expect(host(y)).toEqual([0.6, 0.8, 0, 0, 0, -1]);
    y.sum().backward();
    expect(host(x.grad!).every(Number.isFinite)).toBe(true);
    // d/dx of sum(x/|x|) at x = (3, 4): (1 - x (x.1)/|x|^2)/|x| = (1 - 3*7/25, 1 - 4*7/25)/5
    expect(host(x.grad!).slice(0, 2)).toEqual([expect.closeTo((1 - 21 / 25) / 5, 14), expect.closeTo((1 - 28 / 25) / 5, 14)]);
    // at x = 0 the norm is the constant eps: gradient 1/eps per element
    expect(host(x.grad!).slice(2, 4)).toEqual([1e12, 1e12]);
  });

  it('passes gradcheck', async () => {
    await gradcheck((x) => l2Normalize(x), [normal([2, 3], new Generator(3))]);
  });
});

describe('cosineLoss', () => {
  const eHat = () => tensor([[[1, 0], [0, 2], [0, 0]], [[1, 1], [5, 5], [-1, 0]]], { ...f64, requiresGrad: true });
  const t = tensor([[[1, 0], [1, 0], [3, 4]], [[-1, -1], [1, 1], [1, 0]]], f64);
  // 1 - cos per row: [0, 1, 1], [2, 0, 2]

  it('is mean(1 - cos) over all rows without a mask (pre-gathered rows)', () => {
    expect(cosineLoss(eHat(), t).itemSync()).toBeCloseTo(6 / 6, 14);
    expect(cosineLoss(eHat().reshape([6, 2]), t.reshape([6, 2])).itemSync()).toBeCloseTo(1, 14);
  });

  it('averages over the masked rows only (int32 or float mask, nonzero = masked)', () => {
    const m = tensor([[1, 1, 0], [1, 0, 0]], { dtype: 'int32' });
    expect(cosineLoss(eHat(), t, { mask: m }).itemSync()).toBeCloseTo((0 + 1 + 2) / 3, 14);
    const mf = tensor([[0, 0, 1], [0, 0, 0.5]]);
    expect(cosineLoss(eHat(), t, { mask: mf }).itemSync()).toBeCloseTo((1 + 2) / 2, 14);
  });

  it('gives rows outside the mask no gradient and matches 1/|M| d(1-cos)/de', () => {
    const e = eHat();
    const m = tensor([[0, 1, 0], [0, 0, 0]], { dtype: 'int32' });
    cosineLoss(e, t, { mask: m }).backward();
    // single masked row e = (0, 2), t = (1, 0): d(1 - cos)/de = -(t/|t| - cos e/|e|)/|e| = (-0.5, 0)
    expect(host(e.grad!)).toEqual([0, 0, -0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('is 0, not NaN, with an empty mask or no rows, and its gradient is zero', () => {
    const e = eHat();
    const l = cosineLoss(e, t, { mask: zeros([2, 3], { dtype: 'int32' }) });
    expect(l.itemSync()).toBe(0);
    l.backward();
    expect(host(e.grad!)).toEqual(new Array(12).fill(0));
    const empty = zeros([0, 4], { requiresGrad: true });
    const l0 = cosineLoss(empty, zeros([0, 4]));
    expect(l0.itemSync()).toBe(0);
    l0.backward();
    expect(empty.grad!.shape).toEqual([0, 4]);
  });

  it('has no NaN in value or gradient when a masked prediction or target is zero', () => {
    const e = tensor([[0, 0, 0], [1, 2, 3]], { requiresGrad: true });
    const l = cosineLoss(e, tensor([[0, 0, 0], [0, 0, 0]]));
    expect(l.itemSync()).toBe(1);
    l.backward();
    expect(host(e.grad!)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('ignores NaN rows outside the mask in the value', () => {
    const e = tensor([[NaN, 0], [1, 0]]);
    expect(cosineLoss(e, tensor([[1, 0], [1, 0]]), { mask: tensor([0, 1], { dtype: 'int32' }) }).itemSync()).toBe(0);
  });

  it('passes gradcheck with a mask', async () => {
    const gen = new Generator(4);
    const mask = tensor([[1, 0, 1], [1, 1, 0]], { dtype: 'int32' });
    await gradcheck((a, b) => cosineLoss(a, b, { mask }), [normal([2, 3, 4], gen), normal([2, 3, 4], gen)]);
  });

  it('equals the host formula on random data', () => {
    const gen = new Generator(5);
    const a = normal([6, 5], gen);
    const b = normal([6, 5], gen);
    const ar = host(a);
    const br = host(b);
    let want = 0;
    for (let i = 0; i < 6; i++) want += 1 - hostCos(ar.slice(i * 5, i * 5 + 5), br.slice(i * 5, i * 5 + 5));
    expect(cosineLoss(a, b).itemSync()).toBeCloseTo(want / 6, 14);
  });

  it('names the offending shapes', () => {
    expect(() => cosineLoss(zeros([2, 3, 4]), zeros([2, 3, 4]), { mask: zeros([3, 2]) })).toThrow(
      "cosineLoss: mask [3,2] must have the inputs' shape without the feature dim, [2,3] for inputs [2,3,4]",
    );
    expect(() => cosineLoss(zeros([2, 4]), zeros([2, 5]))).toThrow('cosineLoss: prediction [2,4] and target [2,5] differ');
    expect(() => cosineLoss(zeros([2, 4]), zeros([2, 4]), { eps: -1 })).toThrow('cosineLoss: eps must be a positive finite number, got -1');
  });

  it('frees its intermediates', () => {
    const a = tensor([[1, 2], [3, 4]]);
    const m = tensor([1, 0], { dtype: 'int32' });
    const before = memory().tensors;
    noGrad(() => cosineLoss(a, a, { mask: m })).dispose();
    cosineLoss(a, a).dispose();
    expect(memory().tensors).toBe(before);
  });
});

describe('maskedMseLoss and maskedMean', () => {
  it('is mean over masked rows of mean over channels of the squared error', () => {
    const e = tensor([[1, 2], [3, 4], [0, 0]], f64);
    const t = tensor([[1, 0], [0, 0], [1, 1]], f64);
    // per row: (0 + 4)/2 = 2, (9 + 16)/2 = 12.5, (1 + 1)/2 = 1
    expect(maskedMseLoss(e, t).itemSync()).toBeCloseTo(15.5 / 3, 14);
    expect(maskedMseLoss(e, t, { mask: tensor([1, 0, 1], { dtype: 'int32' }) }).itemSync()).toBe(1.5);
    expect(maskedMseLoss(e, t, { mask: tensor([0, 0, 0], { dtype: 'int32' }) }).itemSync()).toBe(0);
  });

  it('passes gradcheck with a mask', async () => {
    const gen = new Generator(6);
    const mask = tensor([0, 1, 1], { dtype: 'int32' });
    await gradcheck((a, b) => maskedMseLoss(a, b, { mask }), [normal([3, 4], gen), normal([3, 4], gen)]);
  });

  it('maskedMean checks the mask shape', () => {
    expect(maskedMean(tensor([1, 2, 3]), tensor([1, 1, 0])).itemSync()).toBe(1.5);
    expect(() => maskedMean(tensor([1, 2, 3]), tensor([1, 1]))).toThrow('maskedMean: mask [2] does not match the rows [3]');
  });
});
