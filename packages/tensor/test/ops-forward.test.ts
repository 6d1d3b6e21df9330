import { describe, expect, it } from 'vitest';
import {
  arange,
  concat,
  cosineSimilarity,
  crossEntropy,
  embedding,
  eye,
  full,
  layerNorm,
  linspace,
  mseLoss,
  oneHot,
  ones,
  rmsNorm,
  stack,
  tensor,
  where,
  zeros,
  type Tensor,
} from '../src/index.js';

const v = (t: Tensor) => Array.from(t.dataSync());
const close = (t: Tensor, expected: number[], digits = 5) => {
  const got = v(t);
  expect(got.length).toBe(expected.length);
  got.forEach((g, i) => expect(g).toBeCloseTo(expected[i]!, digits));
};

describe('creation', () => {
  it('builds from nested arrays and typed arrays', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe('float32');
    expect(v(a)).toEqual([1, 2, 3, 4, 5, 6]);
    const b = tensor(new Int32Array([1, 2, 3, 4]), { shape: [2, 2] });
    expect(b.dtype).toBe('int32');
    expect(b.tolistSync()).toEqual([[1, 2], [3, 4]]);
    expect(tensor(5).shape).toEqual([]);
    expect(tensor(5).itemSync()).toBe(5);
    expect(tensor([]).shape).toEqual([0]);
  });
  it('has the constant and range factories', () => {
    expect(v(zeros([2, 2]))).toEqual([0, 0, 0, 0]);
    expect(v(ones([3]))).toEqual([1, 1, 1]);
    expect(v(full([2], 7))).toEqual([7, 7]);
    expect(v(arange(5))).toEqual([0, 1, 2, 3, 4]);
    expect(arange(5).dtype).toBe('int32');
    expect(v(arange(1, 2, 0.25))).toEqual([1, 1.25, 1.5, 1.75]);
    expect(v(linspace(0, 1, 5))).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(v(eye(2, 3))).toEqual([1, 0, 0, 0, 1, 0]);
  });
  it('rejects ragged arrays and wrong sizes', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged nested array/);
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow(/3 values do not fill shape \[2,2\]/);
  });
});

describe('elementwise', () => {
  it('broadcasts binary ops', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    const b = tensor([10, 20, 30]);
    expect(v(a.add(b))).toEqual([11, 22, 33, 14, 25, 36]);
    expect(v(a.sub(tensor([[1], [2]])))).toEqual([0, 1, 2, 2, 3, 4]);
    expect(v(a.mul(2))).toEqual([2, 4, 6, 8, 10, 12]);
    close(a.div(b), [0.1, 0.1, 0.1, 0.4, 0.25, 0.2]);
    expect(v(a.pow(2))).toEqual([1, 4, 9, 16, 25, 36]);
    expect(v(tensor([2, 3]).pow(tensor([3, 2])))).toEqual([8, 9]);
    expect(v(a.maximum(3.5))).toEqual([3.5, 3.5, 3.5, 4, 5, 6]);
    expect(v(a.minimum(tensor([2])))).toEqual([1, 2, 2, 2, 2, 2]);
  });
  it('computes unary ops', () => {
    const x = tensor([-2, -0.5, 0, 0.5, 2]);
    expect(v(x.neg())).toEqual([2, 0.5, -0, -0.5, -2]);
    expect(v(x.abs())).toEqual([2, 0.5, 0, 0.5, 2]);
    expect(v(x.sign())).toEqual([-1, -1, 0, 1, 1]);
    expect(v(x.relu())).toEqual([0, 0, 0, 0.5, 2]);
    close(x.exp(), [-2, -0.5, 0, 0.5, 2].map(Math.exp));
    close(x.tanh(), [-2, -0.5, 0, 0.5, 2].map(Math.tanh));
    close(x.sigmoid(), [-2, -0.5, 0, 0.5, 2].map((u) => 1 / (1 + Math.exp(-u))));
    close(x.silu(), [-2, -0.5, 0, 0.5, 2].map((u) => u / (1 + Math.exp(-u))));
    close(x.softplus(), [-2, -0.5, 0, 0.5, 2].map((u) => Math.log1p(Math.exp(u))));
    // gelu(1) = 0.8413447460685429, gelu_tanh(1) = 0.8411919906082768 (PyTorch)
    close(tensor([1, -1]).gelu(), [0.8413447460685429, -0.15865525393145707], 6);
    close(tensor([1]).gelu('tanh'), [0.8411919906082768], 6);
    close(tensor([4, 9]).sqrt(), [2, 3]);
    close(tensor([4, 16]).rsqrt(), [0.5, 0.25]);
    close(tensor([0.5]).erf(), [0.5204998778130465], 6);
    expect(v(tensor([0.5, 1.5, 2.5, -0.5]).round())).toEqual([0, 2, 2, -0]);
    expect(v(x.clamp(-1, 1))).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(v(tensor([1, NaN, Infinity]).isnan())).toEqual([0, 1, 0]);
    expect(v(tensor([1, NaN, -Infinity]).isinf())).toEqual([0, 0, 1]);
  });
  it('compares into int32 masks and selects with where', () => {
    const a = tensor([1, 2, 3]);
    const m = a.gt(1.5);
    expect(m.dtype).toBe('int32');
    expect(v(m)).toEqual([0, 1, 1]);
    expect(v(a.eq(tensor([1, 0, 3])))).toEqual([1, 0, 1]);
    expect(v(where(m, a, tensor([-1])))).toEqual([-1, 2, 3]);
    expect(v(a.where(a.lt(2), 0))).toEqual([1, 0, 0]);
  });
  it('promotes int32 with float32 and keeps int arithmetic', () => {
    const i = tensor(new Int32Array([1, 2, 3]));
    expect(i.add(1).dtype).toBe('int32');
    expect(i.add(0.5).dtype).toBe('float32');
    expect(i.add(tensor([0.5, 0.5, 0.5])).dtype).toBe('float32');
    expect(v(i.div(2))).toEqual([0.5, 1, 1.5]);
    expect(v(tensor([1.7, -1.7]).int())).toEqual([1, -1]);
  });
});

describe('reductions', () => {
  const a = tensor([[1, 5, 3], [4, 2, 6]]);
  it('sum, mean, var, prod over dims with keepdim', () => {
    expect(v(a.sum())).toEqual([21]);
    expect(v(a.sum(0))).toEqual([5, 7, 9]);
    expect(a.sum(1, true).shape).toEqual([2, 1]);
    expect(v(a.sum([0, 1]))).toEqual([21]);
    close(a.mean(1), [3, 4]);
    close(a.var(1), [4, 4]);
    close(a.var(1, false, 0), [8 / 3, 8 / 3]);
    close(a.std(), [Math.sqrt(17.5 / 5)]);
    expect(v(a.prod(0))).toEqual([4, 10, 18]);
  });
  it('max, min, argmax, argmin and logsumexp', () => {
    expect(v(a.max())).toEqual([6]);
    expect(v(a.max(1))).toEqual([5, 6]);
    expect(v(a.min(0))).toEqual([1, 2, 3]);
    expect(v(a.argmax(1))).toEqual([1, 2]);
    expect(v(a.argmin())).toEqual([0]);
    expect(v(tensor([3, 7, 7]).argmax())).toEqual([1]);
    close(tensor([[0, Math.log(3)]]).logsumexp(1), [Math.log(4)]);
    close(tensor([1000, 1000]).logsumexp(0), [1000 + Math.log(2)], 3);
  });
  it('reduces over empty dimensions like PyTorch', () => {
    const e = zeros([2, 0]);
    expect(v(e.sum(1))).toEqual([0, 0]);
    expect(() => e.max(1)).toThrow(/max: cannot reduce over an empty dimension/);
  });
  it('softmax and logSoftmax along any dim', () => {
    const x = tensor([[1, 2, 3], [1, 1, 1]]);
    const s = x.softmax(1);
    const e = [1, 2, 3].map(Math.exp);
    const z = e.reduce((p, q) => p + q);
    close(s, [...e.map((u) => u / z), 1 / 3, 1 / 3, 1 / 3]);
    close(x.logSoftmax(-1).exp(), v(s));
    close(x.softmax(0), [0.5, 0.7310586, 0.8807971, 0.5, 0.2689414, 0.1192029]);
  });
});

describe('views', () => {
  it('reshape, permute, transpose, expand, slice share storage', () => {
    const a = arange(12, undefined, 1, { dtype: 'float32' }).reshape(3, 4);
    const t = a.transpose();
    expect(t.shape).toEqual([4, 3]);
    expect(t.isContiguous).toBe(false);
    expect(v(t)).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    expect(t._slab).toBe(a._slab);
    expect(v(a.slice(1, 1, 4, 2))).toEqual([1, 3, 5, 7, 9, 11]);
    expect(v(a.slice(0, -1))).toEqual([8, 9, 10, 11]);
    expect(v(a.select(1, -1))).toEqual([3, 7, 11]);
    expect(v(tensor([1, 2]).reshape(2, 1).expand(2, 3))).toEqual([1, 1, 1, 2, 2, 2]);
    expect(a.unsqueeze(0).shape).toEqual([1, 3, 4]);
    expect(a.unsqueeze(-1).shape).toEqual([3, 4, 1]);
    expect(a.reshape(1, 3, 1, 4).squeeze().shape).toEqual([3, 4]);
    expect(a.reshape(2, -1).shape).toEqual([2, 6]);
    expect(a.reshape([3, 2, 2]).flatten(1).shape).toEqual([3, 4]);
    // reshape of a transposed view copies; view() refuses
    expect(v(t.reshape(12))).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    expect(() => t.view(12)).toThrow(/view: cannot view a tensor of shape \[4,3\]/);
    expect(v(t.contiguous().view(12))).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  });
  it('ops on non-contiguous views', () => {
    const a = arange(6, undefined, 1, { dtype: 'float32' }).reshape(2, 3);
    expect(v(a.T.mul(tensor([1, 10])))).toEqual([0, 30, 1, 40, 2, 50]);
    expect(v(a.T.sum(1))).toEqual([3, 5, 7]);
    expect(v(a.slice(1, 0, 3, 2).exp().log())).toEqual([0, 2, 3, 5].map((x) => Math.fround(Math.log(Math.fround(Math.exp(x))))));
  });
  it('concat, stack, split and chunk', () => {
    const a = tensor([[1, 2], [3, 4]]);
    const b = tensor([[5, 6]]);
    expect(v(concat([a, b], 0))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(v(concat([a, a], 1))).toEqual([1, 2, 1, 2, 3, 4, 3, 4]);
    const s = stack([tensor([1, 2]), tensor([3, 4])], 1);
    expect(s.tolistSync()).toEqual([[1, 3], [2, 4]]);
    const parts = arange(5).split(2);
    expect(parts.map((p) => v(p))).toEqual([[0, 1], [2, 3], [4]]);
    expect(arange(6).chunk(3).map((p) => p.shape[0])).toEqual([2, 2, 2]);
    expect(() => concat([a, tensor([[1, 2, 3]])], 0)).toThrow(/concat: shapes \[2,2\], \[1,3\] differ outside dim 0/);
  });
  it('handles size-0 and size-1 dims', () => {
    const z = zeros([0, 3]);
    expect(z.add(1).shape).toEqual([0, 3]);
    expect(z.matmul(zeros([3, 2])).shape).toEqual([0, 2]);
    expect(v(zeros([2, 0]).matmul(zeros([0, 2])))).toEqual([0, 0, 0, 0]);
    expect(v(ones([1, 1]).add(ones([3, 1])))).toEqual([2, 2, 2]);
  });
});

describe('matmul', () => {
  it('covers 1-D, 2-D, batched and broadcast cases', () => {
    const a = tensor([[1, 2], [3, 4]]);
    const b = tensor([[5, 6], [7, 8]]);
    expect(v(a.matmul(b))).toEqual([19, 22, 43, 50]);
    expect(v(tensor([1, 2]).matmul(tensor([3, 4])))).toEqual([11]);
    expect(tensor([1, 2]).matmul(tensor([3, 4])).shape).toEqual([]);
    expect(v(tensor([1, 1]).matmul(a))).toEqual([4, 6]);
    expect(v(a.matmul(tensor([1, 1])))).toEqual([3, 7]);
    const batch = stack([a, b]); // [2,2,2]
    expect(v(batch.matmul(eye(2)))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(batch.matmul(ones([3, 1, 2, 5])).shape).toEqual([3, 2, 2, 5]);
    expect(v(a.matmul(b.T))).toEqual([17, 23, 39, 53]);
  });
});

describe('indexing', () => {
  it('gather, indexSelect, scatterAdd, embedding, oneHot', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    const idx = tensor(new Int32Array([2, 0, 1, 1]), { shape: [2, 2] });
    expect(v(x.gather(1, idx))).toEqual([3, 1, 5, 5]);
    expect(v(x.indexSelect(1, tensor(new Int32Array([2, 2, 0]))))).toEqual([3, 3, 1, 6, 6, 4]);
    expect(v(x.indexSelect(0, tensor(new Int32Array([1]))))).toEqual([4, 5, 6]);
    const s = zeros([2, 3]).scatterAdd(1, idx, ones([2, 2]));
    expect(v(s)).toEqual([1, 0, 1, 0, 2, 0]);
    const w = tensor([[0, 0], [1, 1], [2, 2]]);
    const e = embedding(tensor(new Int32Array([2, 0, 1, 2]), { shape: [2, 2] }), w);
    expect(e.shape).toEqual([2, 2, 2]);
    expect(v(e)).toEqual([2, 2, 0, 0, 1, 1, 2, 2]);
    expect(v(oneHot(tensor(new Int32Array([0, 2])), 3))).toEqual([1, 0, 0, 0, 0, 1]);
  });
});

describe('nn ops', () => {
  it('crossEntropy with ignoreIndex, reductions and label smoothing', () => {
    const logits = tensor([[2, 1, 0], [0, 0, 0], [1, 3, 1]]);
    const targets = tensor(new Int32Array([0, 1, -100]));
    const lse0 = Math.log(Math.exp(2) + Math.exp(1) + 1);
    const l0 = lse0 - 2;
    const l1 = Math.log(3);
    close(crossEntropy(logits, targets), [(l0 + l1) / 2]);
    close(crossEntropy(logits, targets, { reduction: 'sum' }), [l0 + l1]);
    close(crossEntropy(logits, targets, { reduction: 'none' }), [l0, l1, 0]);
    const smooth = 0.1;
    const s0 = (1 - smooth) * l0 + (smooth * ((lse0 - 2) + (lse0 - 1) + lse0)) / 3;
    close(crossEntropy(logits.slice(0, 0, 1), targets.slice(0, 0, 1), { labelSmoothing: smooth }), [s0]);
    close(crossEntropy(logits, tensor(new Int32Array([-100, -100, -100]))), [0]);
  });
  it('mseLoss and cosineSimilarity', () => {
    close(mseLoss(tensor([1, 2]), tensor([3, 2])), [2]);
    close(cosineSimilarity(tensor([[1, 0], [1, 1]]), tensor([[0, 1], [2, 2]])), [0, 1]);
    close(cosineSimilarity(tensor([0, 0]), tensor([1, 0]), 0), [0]);
  });
  it('layerNorm and rmsNorm', () => {
    const x = tensor([[1, 2, 3, 4]]);
    const mean = 2.5;
    const varb = 1.25;
    const expected = [1, 2, 3, 4].map((u) => (u - mean) / Math.sqrt(varb + 1e-5));
    close(layerNorm(x, null, null, 1e-5), expected);
    close(layerNorm(x, tensor([1, 1, 2, 2]), tensor([0, 0, 0, 1]), 1e-5), expected.map((e, i) => e * [1, 1, 2, 2][i]! + [0, 0, 0, 1][i]!));
    const rms = Math.sqrt((1 + 4 + 9 + 16) / 4 + 1e-6);
    close(rmsNorm(x, null, 1e-6), [1, 2, 3, 4].map((u) => u / rms));
    close(rmsNorm(x, tensor([2, 2, 2, 2]), 1e-6), [1, 2, 3, 4].map((u) => (2 * u) / rms));
  });
  it('dropout is seeded and scales kept values', async () => {
    const { Generator } = await import('../src/index.js');
    const x = ones([1000]);
    const a = v(x.dropout(0.25, true, new Generator(3)));
    const b = v(x.dropout(0.25, true, new Generator(3)));
    expect(a).toEqual(b);
    const kept = a.filter((u) => u !== 0);
    kept.forEach((u) => expect(u).toBeCloseTo(1 / 0.75, 6));
    expect(kept.length).toBeGreaterThan(700);
    expect(kept.length).toBeLessThan(800);
    expect(v(x.dropout(0.5, false))).toEqual(v(x));
  });
});
