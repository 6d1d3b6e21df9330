/** Initialisation statistics, fan computation, and seeded reproducibility. */
import { describe, expect, it } from 'vitest';
import { Generator, Tensor, zeros } from '@unihetero/tensor';
import {
  Embedding,
  LayerNorm,
  Linear,
  MLP,
  calculateFanInAndFanOut,
  calculateGain,
  init,
} from '../src/index.js';

function stats(t: Tensor): { mean: number; std: number; min: number; max: number } {
  const d = t.dataSync();
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of d) {
    s += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = s / d.length;
  let q = 0;
  for (const v of d) q += (v - mean) ** 2;
  return { mean, std: Math.sqrt(q / (d.length - 1)), min, max };
}

describe('init', () => {
  it('computes fans and gains as PyTorch', () => {
    expect(calculateFanInAndFanOut([8, 3])).toEqual([3, 8]);
    expect(calculateFanInAndFanOut([16, 4, 3, 3])).toEqual([36, 144]);
    expect(() => calculateFanInAndFanOut([5])).toThrow('calculateFanInAndFanOut: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, got [5]');
    expect(calculateGain('relu')).toBeCloseTo(Math.SQRT2, 12);
    expect(calculateGain('tanh')).toBeCloseTo(5 / 3, 12);
    expect(calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 12);
    expect(calculateGain('leaky_relu')).toBeCloseTo(Math.sqrt(2 / 1.0001), 12);
  });

  it('normal_, uniform_, xavier and kaiming hit their target statistics on 10k elements', () => {
    const g = new Generator(123);
    const t = zeros([100, 100]); // fan_in = fan_out = 100
    const tol = (std: number) => 4 * std / Math.sqrt(10000); // ~4 standard errors

    init.normal_(t, 0.5, 2, g);
    let s = stats(t);
    expect(Math.abs(s.mean - 0.5)).toBeLessThan(tol(2));
    expect(Math.abs(s.std - 2)).toBeLessThan(0.05 * 2);

    init.uniform_(t, -3, 1, g);
    s = stats(t);
    expect(s.min).toBeGreaterThanOrEqual(-3);
    expect(s.max).toBeLessThan(1);
    expect(Math.abs(s.mean + 1)).toBeLessThan(tol(4 / Math.sqrt(12)));
    expect(Math.abs(s.std - 4 / Math.sqrt(12))).toBeLessThan(0.03);

    init.xavierUniform_(t, 1, g);
    s = stats(t);
    const xa = Math.sqrt(6 / 200);
    expect(s.max).toBeLessThanOrEqual(xa);
    expect(s.min).toBeGreaterThanOrEqual(-xa);
    expect(Math.abs(s.std - Math.sqrt(2 / 200))).toBeLessThan(0.03 * Math.sqrt(2 / 200));

    init.xavierNormal_(t, 2, g);
    expect(Math.abs(stats(t).std - 2 * Math.sqrt(2 / 200))).toBeLessThan(0.03 * 2 * Math.sqrt(2 / 200));

    init.kaimingNormal_(t, { nonlinearity: 'relu', generator: g });
    s = stats(t);
    expect(Math.abs(s.mean)).toBeLessThan(tol(Math.sqrt(2 / 100)));
    expect(Math.abs(s.std - Math.sqrt(2 / 100))).toBeLessThan(0.03 * Math.sqrt(2 / 100));

    init.kaimingUniform_(t, { mode: 'fan_out', nonlinearity: 'relu', generator: g });
    s = stats(t);
    const kb = Math.sqrt(3) * Math.sqrt(2) / Math.sqrt(100);
    expect(s.max).toBeLessThanOrEqual(kb);
    expect(Math.abs(s.std - Math.sqrt(2 / 100))).toBeLessThan(0.03 * Math.sqrt(2 / 100));

    init.truncNormal_(t, 0, 1, -1, 1.5, g);
    s = stats(t);
    expect(s.min).toBeGreaterThanOrEqual(-1);
    expect(s.max).toBeLessThanOrEqual(1.5);

    init.constant_(t, 0.25);
    expect(stats(t)).toMatchObject({ min: 0.25, max: 0.25 });
    init.zeros_(t);
    expect(stats(t).max).toBe(0);
    init.ones_(t);
    expect(stats(t).min).toBe(1);
    t.dispose();
  });

  it('Linear uses PyTorch defaults: kaiming_uniform(a=sqrt(5)) weight and U(+-1/sqrt(fan_in)) bias', () => {
    const lin = new Linear(400, 25, { generator: new Generator(7) });
    const bound = 1 / Math.sqrt(400);
    const w = stats(lin.weight);
    expect(w.max).toBeLessThanOrEqual(bound);
    expect(w.min).toBeGreaterThanOrEqual(-bound);
    expect(Math.abs(w.std - bound / Math.sqrt(3))).toBeLessThan(0.03 * bound);
    const b = stats(lin.bias!);
    expect(b.max).toBeLessThanOrEqual(bound);
    expect(b.min).toBeGreaterThanOrEqual(-bound);
    lin.dispose();
    const emb = new Embedding(100, 100, { generator: new Generator(1), paddingIdx: 3 });
    expect(Math.abs(stats(emb.weight).std - 1)).toBeLessThan(0.05);
    expect(Array.from(emb.weight.narrow(0, 3, 1).dataSync()).every((v) => v === 0)).toBe(true);
    emb.dispose();
    const ln = new LayerNorm([2, 3]);
    expect(Array.from(ln.weight!.dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(ln.bias!.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    ln.dispose();
  });

  it('is reproducible: same seed, same numbers; different seed, different numbers', () => {
    const a = new MLP([4, 8, 2], { generator: new Generator(42) });
    const b = new MLP([4, 8, 2], { generator: new Generator(42) });
    const c = new MLP([4, 8, 2], { generator: new Generator(43) });
    for (const [[n, pa], [, pb], [, pc]] of a.namedParameters().map((x, i) => [x, b.namedParameters()[i]!, c.namedParameters()[i]!] as const)) {
      expect(Array.from(pb.dataSync()), n).toEqual(Array.from(pa.dataSync()));
      expect(Array.from(pc.dataSync()), n).not.toEqual(Array.from(pa.dataSync()));
    }
    const g1 = new Generator(5);
    const t1 = init.normal_(zeros([3]), 0, 1, g1);
    const g2 = new Generator(5);
    const t2 = init.normal_(zeros([3]), 0, 1, g2);
    expect(Array.from(t1.dataSync())).toEqual(Array.from(t2.dataSync()));
    const g3 = new Generator(5);
    expect(Array.from(t1.dataSync())).toEqual([g3.normal(), g3.normal(), g3.normal()].map(Math.fround));
    for (const x of [a, b, c, t1, t2]) x.dispose();
  });
});
