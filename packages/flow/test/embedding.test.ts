/** Sinusoidal time features and the time-embedding MLP. */
import { describe, expect, it } from 'vitest';
import { Generator, gradcheck, rand, tensor } from '@unihetero/tensor';
import { TimestepEmbedder, sincosFrequencies, timestepEmbedding } from '../src/index.js';
import { values } from './helpers.js';

describe('timestepEmbedding', () => {
  it('matches hand-computed values: cos half first, f_k = exp(-ln(10000)·k/128), t scaled by 1000', async () => {
    const e = timestepEmbedding(tensor([0, 0.25]), 256, { scale: 1000 });
    expect(e.shape).toEqual([2, 256]);
    const v = await values(e);
    // t = 0: cos(0) = 1 on the first half, sin(0) = 0 on the second.
    expect(v.slice(0, 128).every((x) => x === 1)).toBe(true);
    expect(v.slice(128, 256).every((x) => x === 0)).toBe(true);
    // t = 0.25 -> argument 250·f_k.
    const row = v.slice(256);
    const f1 = Math.exp(-Math.log(10000) / 128); // 0.930572...
    expect(f1).toBeCloseTo(0.9305720409297, 12);
    expect(row[0]).toBeCloseTo(Math.cos(250), 5);
    expect(row[0]).toBeCloseTo(0.2409883053, 5); // cos(250)
    expect(row[128]).toBeCloseTo(Math.sin(250), 5);
    expect(row[128]).toBeCloseTo(-0.9705280195, 5); // sin(250)
    expect(row[1]).toBeCloseTo(Math.cos(250 * f1), 5);
    expect(row[129]).toBeCloseTo(Math.sin(250 * f1), 5);
    const f127 = Math.exp((-Math.log(10000) * 127) / 128);
    expect(row[127]).toBeCloseTo(Math.cos(250 * f127), 6);
    expect(row[255]).toBeCloseTo(Math.sin(250 * f127), 6);
  });

  it('pads an odd dim with one zero column and accepts [N, 1] times', async () => {
    const v = await values(timestepEmbedding(tensor([[0.5]]), 5, { maxPeriod: 100 }));
    const f = sincosFrequencies(5, 100);
    expect(Array.from(f)).toEqual([1, Math.exp(-Math.log(100) / 2)]);
    expect(v).toHaveLength(5);
    expect(v[0]).toBeCloseTo(Math.cos(0.5), 6);
    expect(v[1]).toBeCloseTo(Math.cos(0.5 * f[1]!), 6);
    expect(v[2]).toBeCloseTo(Math.sin(0.5), 6);
    expect(v[3]).toBeCloseTo(Math.sin(0.5 * f[1]!), 6);
    expect(v[4]).toBe(0);
  });

  it('is differentiable in t', async () => {
    await expect(gradcheck((t) => timestepEmbedding(t, 6, { scale: 2 }), [rand([3], { generator: new Generator(0) })])).resolves.toBe(true);
  });

  it('rejects bad shapes and sizes', () => {
    expect(() => timestepEmbedding(tensor([[1, 2]]), 4)).toThrow('timestepEmbedding: expected times of shape [N] or [N, 1], got [1,2]');
    expect(() => sincosFrequencies(1)).toThrow('sincosFrequencies: dim must be an integer >= 2, got 1');
  });
});

describe('TimestepEmbedder', () => {
  it('is Linear(F, w) -> SiLU -> Linear(w, w) on sincos(1000·t), weights N(0, 0.02²)', async () => {
    const emb = new TimestepEmbedder(4, { frequencyDim: 6, generator: new Generator(1) });
    expect(emb.namedParameters().map(([n]) => n)).toEqual(['mlp.0.weight', 'mlp.0.bias', 'mlp.2.weight', 'mlp.2.bias']);
    const t = tensor([0.1, 0.9]);
    const out = await values(emb.forward(t));
    const f = timestepEmbedding(t, 6, { scale: 1000 });
    const l0 = emb.mlp.at(0) as unknown as { weight: import('@unihetero/tensor').Tensor; bias: import('@unihetero/tensor').Tensor };
    const l2 = emb.mlp.at(2) as unknown as typeof l0;
    const manual = await values(f.matmul(l0.weight.T).add(l0.bias).silu().matmul(l2.weight.T).add(l2.bias));
    out.forEach((v, i) => expect(v).toBeCloseTo(manual[i]!, 6));
    emb.dispose();
  });
});
