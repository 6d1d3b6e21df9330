import { describe, expect, it } from 'vitest';
import { Generator } from '@unihetero/tensor';
import { checkEntries, linearInit, pick, randomMatrix, referenceEntries, samplePoints } from '../src/data.js';

describe('reference entries', () => {
  const a = Float32Array.from([1, 2, 3, 4]); // [[1,2],[3,4]]
  const b = Float32Array.from([5, -6, 7, 8]); // [[5,-6],[7,8]]
  const points: [number, number][] = [[0, 0], [0, 1], [1, 0], [1, 1]];
  it('computes a @ b and sum |a_ik b_kj| exactly', () => {
    expect(referenceEntries(a, b, 2, points)).toEqual({ value: [19, 10, 43, 14], scale: [19, 22, 43, 50] });
  });
  it('accepts exact results and flags a wrong entry relative to its scale', () => {
    const ref = referenceEntries(a, b, 2, points);
    expect(checkEntries([19, 10, 43, 14], ref, points, 1e-6)).toEqual({ maxRelErr: 0, worst: [0, 0], ok: true });
    const bad = checkEntries([19, 10, 43, 19], ref, points, 1e-6);
    expect(bad.ok).toBe(false);
    expect(bad.worst).toEqual([1, 1]);
    expect(bad.maxRelErr).toBeCloseTo(5 / 50, 12);
    expect(checkEntries([NaN, 10, 43, 14], ref, points, 1).ok).toBe(false);
  });
  it('picks entries of a row-major result', () => {
    expect(pick([19, 10, 43, 14], 2, [[1, 0], [0, 1]])).toEqual([43, 10]);
    expect(() => pick([1, 2], 2, [[0, 0]])).toThrow('pick: result has 2 values, expected 4');
  });
});

describe('seeded inputs', () => {
  it('are deterministic per seed and include the corners', () => {
    expect(randomMatrix(new Generator(3), 4, 5)).toEqual(randomMatrix(new Generator(3), 4, 5));
    expect(randomMatrix(new Generator(3), 2, 2)).not.toEqual(randomMatrix(new Generator(4), 2, 2));
    const pts = samplePoints(new Generator(1), 10, 8);
    expect(pts).toHaveLength(8);
    expect(pts.slice(0, 4)).toEqual([[0, 0], [0, 9], [9, 0], [9, 9]]);
    for (const [i, j] of pts) expect(i >= 0 && i < 10 && j >= 0 && j < 10).toBe(true);
  });
  it('initialises linear layers within +-1/sqrt(fanIn)', () => {
    const w = linearInit(new Generator(0), 16, 1000);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(0.25);
    expect(Math.max(...w)).toBeGreaterThan(0.2);
  });
});
