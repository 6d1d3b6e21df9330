import { describe, expect, it } from 'vitest';
import { fmt, fmtRatio, gflops, matmulFlops, median, parseCount, parseSizes } from '../src/stats.js';

describe('median', () => {
  it('is the middle value of an odd-length list, in any order', () => {
    expect(median([5])).toBe(5);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([9, 1, 7, 3, 5])).toBe(5);
  });
  it('is the mean of the two middle values of an even-length list', () => {
    expect(median([4, 1])).toBe(2.5);
    expect(median([10, 2, 8, 4])).toBe(6);
  });
  it('does not reorder its input', () => {
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
  });
  it('rejects empty and non-finite input', () => {
    expect(() => median([])).toThrow('median: empty list');
    expect(() => median([1, NaN])).toThrow('median: non-finite value NaN');
  });
});

describe('GFLOP/s', () => {
  it('counts 2 n^3 flops for a square matmul', () => {
    expect(matmulFlops(1)).toBe(2);
    expect(matmulFlops(1000)).toBe(2e9);
    expect(matmulFlops(2, 3, 4)).toBe(48);
  });
  it('divides by seconds and 1e9 exactly', () => {
    expect(gflops(1000, 1)).toBe(2);
    expect(gflops(1000, 2)).toBe(1);
    expect(gflops(500, 0.25)).toBe(1);
    expect(gflops(64, 2 ** -14)).toBe(8.589934592); // 2^19 flops in 2^-14 s
  });
  it('rejects non-positive times', () => {
    expect(() => gflops(10, 0)).toThrow('gflops: seconds must be positive, got 0');
  });
});

describe('formatting and parsing', () => {
  it('formats to 2 decimals, n/a for missing', () => {
    expect(fmt(12.345)).toBe('12.35');
    expect(fmt(null)).toBe('n/a');
    expect(fmt(Infinity)).toBe('n/a');
    expect(fmtRatio(3, 2)).toBe('1.50x');
    expect(fmtRatio(3, null)).toBe('n/a');
    expect(fmtRatio(3, 0)).toBe('n/a');
  });
  it('parses size lists and counts, naming bad values', () => {
    expect(parseSizes('128, 256,512')).toEqual([128, 256, 512]);
    expect(() => parseSizes('128,x')).toThrow("--sizes: 'x' is not a positive integer (in '128,x')");
    expect(() => parseSizes('0')).toThrow("'0' is not a positive integer");
    expect(() => parseSizes('')).toThrow('expected a comma-separated list');
    expect(parseCount('--repeats', '5', 1)).toBe(5);
    expect(() => parseCount('--repeats', '0', 1)).toThrow("--repeats: expected an integer >= 1, got '0'");
  });
});
