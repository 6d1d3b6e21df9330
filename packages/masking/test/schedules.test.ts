import { describe, expect, it } from 'vitest';
import {
  cfgScale,
  cosineSchedule,
  getMaskSchedule,
  linearSchedule,
  maskAfterEachStep,
  maskedAfterSteps,
  randomOrder,
  randomOrders,
  rasterOrder,
  revealPlan,
  revealSteps,
  revealStepsBatch,
  type MaskSchedule,
} from '../src/index';
import { Generator } from './helpers';

/** A literal port of MAR's `sample_tokens` mask bookkeeping (LTH14/mar models/mar.py). */
function marRevealCounts(N: number, K: number): number[] {
  let masked = N;
  const out: number[] = [];
  for (let step = 0; step < K; step++) {
    const maskRatio = Math.cos((Math.PI / 2) * (step + 1) / K);
    let maskLen = Math.floor(N * maskRatio);
    maskLen = Math.max(1, Math.min(masked - 1, maskLen));
    const next = step >= K - 1 ? 0 : maskLen;
    out.push(masked - next);
    masked = next;
  }
  return out;
}

describe('revealPlan: docs/method.md 10.1 test vectors', () => {
  it('N=64, K=16', () => {
    expect(revealPlan(64, 16)).toEqual([1, 1, 1, 2, 3, 3, 4, 4, 5, 5, 5, 6, 6, 6, 6, 6]);
  });
  it('N=256, K=64', () => {
    const p = revealPlan(256, 64, 'cosine');
    expect(p.slice(0, 8)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(p.slice(-8)).toEqual([6, 6, 6, 6, 7, 6, 6, 6]);
    expect(p.reduce((a, b) => a + b, 0)).toBe(256);
  });
  it('N=K reveals one token per step', () => {
    for (const n of [1, 2, 7, 64, 256]) expect(revealPlan(n, n)).toEqual(new Array(n).fill(1));
  });
  it('follows MAR floating-point order where n * r lands on an integer (N=52, K=39: 52 cos(pi/3))', () => {
    // From numpy with MAR's expression np.cos(math.pi / 2. * (step + 1) / num_iter); the whole
    // table N <= 300, K <= N was checked against numpy the same way when this was written.
    expect(revealPlan(52, 39)).toEqual([...new Array(25).fill(1), 2, 1, ...new Array(12).fill(2)]);
  });
  it('K=1 reveals everything at once', () => {
    expect(revealPlan(64, 1)).toEqual([64]);
    expect(maskedAfterSteps(64, 1)).toEqual([0]);
  });
  it('equals the literal MAR loop for every N <= 160 and every K <= N, and for N=256', () => {
    for (let n = 1; n <= 160; n++) for (let k = 1; k <= n; k++) expect(revealPlan(n, k)).toEqual(marRevealCounts(n, k));
    for (const k of [1, 16, 32, 64, 100, 128, 255, 256]) expect(revealPlan(256, k)).toEqual(marRevealCounts(256, k));
  });
});

describe('revealPlan: invariants', () => {
  it('every step reveals >= 1 and the total is N (cosine and linear)', () => {
    for (const schedule of [cosineSchedule, linearSchedule]) {
      for (let n = 1; n <= 80; n++) {
        for (let k = 1; k <= n; k++) {
          const p = revealPlan(n, k, schedule);
          expect(p.length).toBe(k);
          expect(p.every((c) => c >= 1)).toBe(true);
          expect(p.reduce((a, b) => a + b, 0)).toBe(n);
        }
      }
    }
  });
  it('linear schedule reveals evenly', () => {
    expect(revealPlan(64, 16, 'linear')).toEqual(new Array(16).fill(4));
    expect(revealPlan(10, 4, linearSchedule)).toEqual([3, 2, 3, 2]);
  });
  it('a custom front-loaded schedule still reveals >= 1 per step', () => {
    const greedy: MaskSchedule = { name: 'greedy', masked: () => 0 };
    expect(revealPlan(10, 4, greedy)).toEqual([7, 1, 1, 1]);
    const lazy: MaskSchedule = { name: 'lazy', masked: () => 1 };
    expect(revealPlan(10, 4, lazy)).toEqual([1, 1, 1, 7]);
  });
  it('errors', () => {
    expect(() => revealPlan(64, 0)).toThrow('revealPlan: steps must be an integer >= 1, got 0');
    expect(() => revealPlan(16, 17)).toThrow('revealPlan: steps must be <= n (each step reveals at least one token), got steps=17 n=16');
    expect(() => revealPlan(0, 1)).toThrow('revealPlan: n must be an integer >= 1, got 0');
    expect(() => revealPlan(8, 2, 'zigzag')).toThrow("getMaskSchedule: unknown schedule 'zigzag'; known: cosine, linear");
    expect(() => revealPlan(8, 3, { name: 'bad', masked: () => 1.5 })).toThrow(
      "revealPlan: schedule 'bad' returned 1.5 at step 0 of 3; expected a fraction in [0, 1]",
    );
    expect(() => revealSteps(randomOrder(new Generator(0), 8), 9)).toThrow('revealSteps: steps must be <= n');
    expect(getMaskSchedule('linear')).toBe(linearSchedule);
  });
});

describe('revealSteps', () => {
  it('reveals every token exactly once, none masked at the end, for many (N, K)', () => {
    const g = new Generator(21);
    for (const [n, k] of [[1, 1], [4, 2], [16, 16], [64, 16], [64, 64], [100, 7], [256, 64], [256, 256], [49, 10]] as const) {
      for (const schedule of ['cosine', 'linear']) {
        const order = randomOrder(g, n);
        const steps = revealSteps(order, k, schedule);
        const counts = revealPlan(n, k, schedule);
        const seen = new Uint8Array(n);
        steps.forEach((s, i) => {
          expect(s.length).toBe(counts[i]);
          for (let j = 1; j < s.length; j++) expect(s[j]!).toBeGreaterThan(s[j - 1]!); // ascending
          for (const p of s) seen[p]!++;
        });
        expect(seen.every((v) => v === 1)).toBe(true);
        const masks = maskAfterEachStep(order, k, schedule);
        expect(masks[k - 1]!.every((v) => v === 0)).toBe(true);
      }
    }
  });
  it('is exactly mask XOR mask_next with the masked set a prefix of the order', () => {
    const n = 64;
    const k = 16;
    const order = randomOrder(new Generator(4), n);
    const masked = maskedAfterSteps(n, k);
    const masks = maskAfterEachStep(order, k);
    const steps = revealSteps(order, k);
    let prev: Uint8Array = new Uint8Array(n).fill(1);
    for (let s = 0; s < k; s++) {
      const xor: number[] = [];
      for (let i = 0; i < n; i++) if (prev[i] !== masks[s]![i]) xor.push(i);
      expect([...steps[s]!]).toEqual(xor);
      const prefix = new Set(order.subarray(0, masked[s]));
      for (let i = 0; i < n; i++) expect(masks[s]![i]).toBe(prefix.has(i) ? 1 : 0);
      prev = masks[s]!;
    }
  });
  it('raster order reveals the top-left first', () => {
    expect(revealSteps(rasterOrder(8), 4, 'linear').map((s) => [...s])).toEqual([[0, 1], [2, 3], [4, 5], [6, 7]]);
  });
  it('works on a subset of positions (regeneration rounds)', () => {
    const steps = revealSteps([40, 3, 17, 9], 2, 'linear');
    expect(steps.map((s) => [...s])).toEqual([[9, 17], [3, 40]]);
    expect(() => revealSteps([1, 1], 1)).toThrow('revealSteps: order repeats position 1 (at index 1)');
    expect(() => revealSteps([-1, 1], 1)).toThrow('revealSteps: order[0]=-1 is not a non-negative integer position');
  });
  it('revealStepsBatch stacks per-sample rows', () => {
    const B = 3;
    const n = 16;
    const orders = randomOrders(new Generator(6), B, n);
    const batched = revealStepsBatch(orders, B, 5);
    const plan = revealPlan(n, 5);
    for (let b = 0; b < B; b++) {
      const single = revealSteps(orders.subarray(b * n, (b + 1) * n), 5);
      single.forEach((row, k) => expect(batched[k]!.subarray(b * plan[k]!, (b + 1) * plan[k]!)).toEqual(row));
    }
    expect(() => revealStepsBatch(orders, 5, 4)).toThrow('revealStepsBatch: orders of length 48 do not split into batch=5 rows');
  });
});

describe('cfgScale', () => {
  it('linear ramps from 1 to g, constant stays at g', () => {
    expect(cfgScale('linear', 3, 256, 256)).toBe(1);
    expect(cfgScale('linear', 3, 256, 0)).toBe(3);
    expect(cfgScale('linear', 3, 256, 128)).toBe(2);
    expect(cfgScale('linear', 1, 64, 10)).toBe(1);
    expect(cfgScale('constant', 2.9, 256, 200)).toBe(2.9);
    // Along a real plan the linear scale is non-decreasing and ends at g.
    const masked = maskedAfterSteps(64, 16);
    const scales = masked.map((m) => cfgScale('linear', 4, 64, m));
    for (let i = 1; i < scales.length; i++) expect(scales[i]!).toBeGreaterThanOrEqual(scales[i - 1]!);
    expect(scales.at(-1)).toBe(4);
  });
  it('validates', () => {
    expect(() => cfgScale('cosine' as never, 2, 8, 4)).toThrow("cfgScale: unknown schedule 'cosine'; known: linear, constant");
    expect(() => cfgScale('linear', 2, 8, 9)).toThrow('cfgScale: nNext must be an integer in [0, 8], got 9');
    expect(() => cfgScale('linear', NaN, 8, 2)).toThrow('cfgScale: g must be finite, got NaN');
  });
});
