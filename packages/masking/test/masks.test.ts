import { describe, expect, it } from 'vitest';
import {
  checkOrder,
  fixed,
  maskCount,
  maskFromOrder,
  maskFromPrefix,
  randomOrder,
  randomOrders,
  rasterOrder,
  rasterOrders,
  sampleTrainingMasks,
} from '../src/index';
import { Generator } from './helpers';

function isPermutation(o: ArrayLike<number>, n: number): boolean {
  if (o.length !== n) return false;
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (o[i]! < 0 || o[i]! >= n || seen[o[i]!]) return false;
    seen[o[i]!] = 1;
  }
  return true;
}

describe('orders', () => {
  it('randomOrder is a seeded permutation (Generator.permutation)', () => {
    const a = randomOrder(new Generator(1), 64);
    expect(isPermutation(a, 64)).toBe(true);
    expect(a).toEqual(new Generator(1).permutation(64));
    expect(a).toEqual(randomOrder(new Generator(1), 64));
    expect(a).not.toEqual(randomOrder(new Generator(2), 64));
  });
  it('rasterOrder reveals position 0 first (masked-prefix convention)', () => {
    expect([...rasterOrder(5)]).toEqual([4, 3, 2, 1, 0]);
    expect([...rasterOrders(2, 3)]).toEqual([2, 1, 0, 2, 1, 0]);
  });
  it('randomOrders draws independent rows in sequence', () => {
    const g = new Generator(3);
    const rows = randomOrders(new Generator(3), 4, 16);
    for (let b = 0; b < 4; b++) {
      expect(rows.subarray(b * 16, (b + 1) * 16)).toEqual(g.permutation(16));
    }
  });
  it('validates', () => {
    expect(() => randomOrder(new Generator(0), 0)).toThrow('randomOrder: n must be an integer >= 1, got 0');
    expect(() => rasterOrder(2.5)).toThrow('rasterOrder: n must be an integer >= 1, got 2.5');
    expect(() => randomOrders(new Generator(0), -1, 4)).toThrow('randomOrders: batch must be an integer >= 0, got -1');
    expect(() => checkOrder('op', [0, 2, 2])).toThrow('op: order repeats position 2 (at index 2)');
    expect(() => checkOrder('op', [0, 3, 1])).toThrow('op: order[1]=3 is not a position in [0, 3)');
  });
});

describe('maskCount', () => {
  it('is clamp(ceil(n*r), 1, n) for many (n, r)', () => {
    const g = new Generator(11);
    for (let t = 0; t < 2000; t++) {
      const n = 1 + g.int(300);
      const r = g.uniform();
      expect(maskCount(n, r)).toBe(Math.min(n, Math.max(1, Math.ceil(n * r))));
    }
  });
  it('edge cases', () => {
    expect(maskCount(64, 0)).toBe(1);
    expect(maskCount(64, 1)).toBe(64);
    expect(maskCount(64, 0.7)).toBe(45); // ceil(44.8)
    expect(maskCount(64, 0.75)).toBe(48);
    expect(maskCount(10, 0.7)).toBe(7); // 10 * 0.7 = 7.000000000000001 in float64
    expect(maskCount(100, 0.29)).toBe(29); // 100 * 0.29 = 28.999999999999996
    expect(maskCount(256, 1e-9)).toBe(1);
    expect(maskCount(1, 0.5)).toBe(1);
  });
  it('validates', () => {
    expect(() => maskCount(0, 0.5)).toThrow('maskCount: n must be an integer >= 1, got 0');
    expect(() => maskCount(8, 1.2)).toThrow('maskCount: rate must be in [0, 1], got 1.2');
    expect(() => maskCount(8, NaN)).toThrow('maskCount: rate must be in [0, 1], got NaN');
  });
});

describe('maskFromOrder', () => {
  it('masks exactly the order prefix', () => {
    const order = randomOrder(new Generator(5), 64);
    for (const r of [0, 0.1, 0.5, 0.7, 0.99, 1]) {
      const mask = maskFromOrder(order, r);
      const c = maskCount(64, r);
      let total = 0;
      for (let i = 0; i < 64; i++) {
        total += mask[i]!;
        expect(mask[order[i]!]).toBe(i < c ? 1 : 0);
      }
      expect(total).toBe(c);
    }
    expect([...maskFromPrefix([2, 0, 1, 3], 2)]).toEqual([1, 0, 1, 0]);
    expect(() => maskFromPrefix([0, 1], 3)).toThrow('maskFromPrefix: count must be an integer in [0, 2], got 3');
    expect(() => maskFromOrder([], 0.5)).toThrow('maskFromOrder: order must not be empty');
  });
});

describe('sampleTrainingMasks', () => {
  it('counts are exact and the masked set is each order prefix', () => {
    const B = 16;
    const N = 64;
    const out = sampleTrainingMasks(new Generator(42), { batch: B, n: N });
    expect(out.mask.length).toBe(B * N);
    expect(out.orders.length).toBe(B * N);
    for (let b = 0; b < B; b++) {
      const order = out.orders.subarray(b * N, (b + 1) * N);
      expect(isPermutation(order, N)).toBe(true);
      expect(out.counts[b]).toBe(Math.min(N, Math.max(1, Math.ceil(N * out.rates[b]!))));
      expect(out.rates[b]).toBeGreaterThanOrEqual(0);
      expect(out.rates[b]).toBeLessThanOrEqual(1);
      let total = 0;
      for (let i = 0; i < N; i++) {
        total += out.mask[b * N + i]!;
        expect(out.mask[b * N + order[i]!]).toBe(i < out.counts[b]! ? 1 : 0);
      }
      expect(total).toBe(out.counts[b]);
    }
    expect(new Set(out.rates).size).toBe(B); // per-sample by default
  });
  it('draws orders first, then rates (fixed stream order)', () => {
    const out = sampleTrainingMasks(new Generator(8), { batch: 3, n: 10, sampler: 'mar', mode: 'per-batch' });
    const g = new Generator(8);
    const orders = randomOrders(g, 3, 10);
    expect(out.orders).toEqual(orders);
    const r = out.rates[0]!;
    expect([...out.rates]).toEqual([r, r, r]);
    expect(r).toBeGreaterThanOrEqual(0.7);
  });
  it('is reproducible', () => {
    const opts = { batch: 4, n: 32, sampler: { kind: 'gaussian', mean: 0.7 } } as const;
    const a = sampleTrainingMasks(new Generator(1), opts);
    const b = sampleTrainingMasks(new Generator(1), opts);
    const c = sampleTrainingMasks(new Generator(2), opts);
    expect(a).toEqual(b);
    expect(a.mask).not.toEqual(c.mask);
  });
  it('raster and explicit orders', () => {
    const out = sampleTrainingMasks(new Generator(0), { batch: 2, n: 8, sampler: fixed(0.25), order: 'raster' });
    expect([...out.mask]).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1]);
    const explicit = Int32Array.from([0, 1, 2, 3, 3, 2, 1, 0]);
    const e = sampleTrainingMasks(new Generator(0), { batch: 2, n: 4, sampler: fixed(0.5), order: explicit });
    expect([...e.mask]).toEqual([1, 1, 0, 0, 0, 0, 1, 1]);
    expect(() => sampleTrainingMasks(new Generator(0), { batch: 2, n: 4, order: explicit.subarray(0, 6) })).toThrow(
      'sampleTrainingMasks: explicit orders have 6 entries, expected batch*n = 2*4 = 8',
    );
    expect(() => sampleTrainingMasks(new Generator(0), { batch: 2, n: 4, order: Int32Array.from([0, 1, 2, 3, 0, 0, 1, 2]) })).toThrow(
      'sampleTrainingMasks (orders row 1): order repeats position 0 (at index 1)',
    );
    expect(() => sampleTrainingMasks(new Generator(0), { batch: 1, n: 0 })).toThrow('sampleTrainingMasks: n must be an integer >= 1, got 0');
  });
  it('empirical masked fraction follows the sampler', () => {
    const N = 256;
    const out = sampleTrainingMasks(new Generator(99), { batch: 2000, n: N });
    let s = 0;
    for (const c of out.counts) s += c / N;
    // E[ceil(N r)/N] is within 1/N of the truncated mean 0.6472.
    expect(Math.abs(s / 2000 - 0.6472)).toBeLessThan(0.015);
  });
});
