import { describe, expect, it } from 'vitest';
import { Generator, getDefaultBackend, randn, tensor } from '@unihetero/tensor';
import { applyRope, hfToMetaRotary, metaToHFRotary, ropeInverseFrequencies, ropeTables, rotateHalf } from '../src/index';
import { maxDiff } from './helpers';

const cpu = getDefaultBackend();

describe('RoPE (HF layout)', () => {
  it('has the known inverse frequencies theta^(-2k/d)', () => {
    expect(Array.from(ropeInverseFrequencies(4, 100))).toEqual([1, Math.fround(0.1)]);
    const f = ropeInverseFrequencies(128, 10000);
    expect(f.length).toBe(64);
    expect(f[1]).toBeCloseTo(0.8659643, 6);
    expect(f[63]).toBeCloseTo(1.1548e-4, 7);
  });

  it('matches a hand computation: x*cos + rotate_half(x)*sin with [a, a] tables', () => {
    const x = tensor([1, 2, 3, 4], { shape: [1, 1, 1, 4] });
    const t = ropeTables([2], 1, 1, 4, 100, cpu);
    const y = Array.from(applyRope(x, t).dataSync());
    const a = [2, Math.fround(2 * Math.fround(0.1))];
    const want = [1 * Math.cos(a[0]!) - 3 * Math.sin(a[0]!), 2 * Math.cos(a[1]!) - 4 * Math.sin(a[1]!), 3 * Math.cos(a[0]!) + 1 * Math.sin(a[0]!), 4 * Math.cos(a[1]!) + 2 * Math.sin(a[1]!)];
    expect(maxDiff(y, want)).toBeLessThan(1e-6);
    expect(Array.from(rotateHalf(x).dataSync())).toEqual([-3, -4, 1, 2]);
    // Position 0 is the identity.
    expect(Array.from(applyRope(x, ropeTables([0], 1, 1, 4, 100, cpu)).dataSync())).toEqual([1, 2, 3, 4]);
  });

  it('makes scores depend only on the relative position', () => {
    const g = new Generator(1);
    const q = randn([1, 1, 1, 8], { generator: g });
    const k = randn([1, 1, 1, 8], { generator: g });
    const score = (m: number, n: number) => {
      const a = applyRope(q, ropeTables([m], 1, 1, 8, 10000, cpu)).dataSync();
      const b = applyRope(k, ropeTables([n], 1, 1, 8, 10000, cpu)).dataSync();
      let s = 0;
      for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
      return s;
    };
    expect(score(5, 3)).toBeCloseTo(score(9, 7), 5);
    expect(score(5, 3)).toBeCloseTo(score(2, 0), 5);
    expect(Math.abs(score(5, 3) - score(5, 4))).toBeGreaterThan(1e-3);
  });

  it("equals Meta's interleaved-pair rotation once q/k rows are permuted (HF's conversion)", () => {
    const g = new Generator(2);
    const heads = 2;
    const dh = 4;
    const wMeta = randn([heads * dh, 3], { generator: g });
    const x = randn([3], { generator: g });
    const p = 3;
    const inv = ropeInverseFrequencies(dh, 10000);
    // Meta: rotate pairs (2k, 2k+1) of each head as complex numbers.
    const qMeta = wMeta.matmul(x).dataSync();
    const meta = new Float64Array(heads * dh);
    for (let h = 0; h < heads; h++) {
      for (let k = 0; k < dh / 2; k++) {
        const a = Math.fround(p * inv[k]!);
        const [re, im] = [qMeta[h * dh + 2 * k]!, qMeta[h * dh + 2 * k + 1]!];
        meta[h * dh + 2 * k] = re * Math.cos(a) - im * Math.sin(a);
        meta[h * dh + 2 * k + 1] = re * Math.sin(a) + im * Math.cos(a);
      }
    }
    const wHF = metaToHFRotary(wMeta, heads);
    const qHF = wHF.matmul(x).reshape(1, heads, 1, dh);
    const hf = applyRope(qHF, ropeTables([p], 1, 1, dh, 10000, cpu)).dataSync();
    // HF channel k of a head is Meta channel 2k, channel k + dh/2 is Meta channel 2k + 1.
    const reordered = new Float64Array(heads * dh);
    for (let h = 0; h < heads; h++) for (let k = 0; k < dh / 2; k++) {
      reordered[h * dh + 2 * k] = hf[h * dh + k]!;
      reordered[h * dh + 2 * k + 1] = hf[h * dh + dh / 2 + k]!;
    }
    expect(maxDiff(reordered, meta)).toBeLessThan(1e-5);
    expect(Array.from(hfToMetaRotary(wHF, heads).dataSync())).toEqual(Array.from(wMeta.dataSync()));
    expect(() => metaToHFRotary(wMeta, 3)).toThrow('metaToHFRotary: 8 rows are not divisible by 3 heads');
  });

  it('validates its arguments', () => {
    expect(() => ropeInverseFrequencies(3)).toThrow('headDim must be a positive even integer, got 3');
    expect(() => ropeTables([0, -1], 1, 2, 4, 10000, cpu)).toThrow('positions must be non-negative integers, got -1 at index 1');
    expect(() => ropeTables([0], 1, 2, 4, 10000, cpu)).toThrow('1 positions do not fill 1 rows of length 2');
  });
});
