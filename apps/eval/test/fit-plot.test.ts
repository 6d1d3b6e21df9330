import { describe, expect, it } from 'vitest';
import { fitLine } from '../src/fit.js';
import { linePlotSvg } from '../src/plot.js';

describe('fitLine (Equation 6)', () => {
  it('recovers an exact line with R^2 = 1', () => {
    const f = fitLine([0, 1, 2, 3], [1, 3, 5, 7]);
    expect(f.a).toBeCloseTo(2, 12);
    expect(f.b).toBeCloseTo(1, 12);
    expect(f.r2).toBeCloseTo(1, 12);
  });
  it('matches the closed form on noisy points', () => {
    // x = 1..5, y = 2, 4, 5, 4, 5: mean x 3, mean y 4, Sxy = 6, Sxx = 10 -> a 0.6, b 2.2, SSE 2.4, SST 6 -> R^2 0.6
    const f = fitLine([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]);
    expect(f.a).toBeCloseTo(0.6, 12);
    expect(f.b).toBeCloseTo(2.2, 12);
    expect(f.r2).toBeCloseTo(0.6, 12);
  });
  it('rejects degenerate input with a clear message', () => {
    expect(() => fitLine([1], [1])).toThrow(/need at least 2 points, got 1/);
    expect(() => fitLine([1, 1], [1, 2])).toThrow(/all x values are equal/);
    expect(() => fitLine([1, 2], [1])).toThrow(/2 x values but 1 y values/);
    expect(() => fitLine([1, 2], [1, NaN])).toThrow(/point 1 is not finite/);
  });
});

describe('linePlotSvg', () => {
  it('draws one path, markers and a dashed fit per series, and a legend', () => {
    const svg = linePlotSvg(
      [
        { label: 'exp1 <baseline>', points: [[1, 0.5], [2, 0.6], [3, 0.7]], fit: { a: 0.1, b: 0.4 } },
        { label: 'exp2', points: [[1, 0.55], [2, 0.65]] },
      ],
      { title: 'accuracy vs samples', xLabel: 'samples (M)', yLabel: 'accuracy' },
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<path /g)!.length).toBe(2);
    expect(svg.match(/<circle /g)!.length).toBe(5);
    expect(svg.match(/stroke-dasharray/g)!.length).toBe(1);
    expect(svg).toContain('exp1 &lt;baseline&gt;');
    expect(() => linePlotSvg([], { title: 't', xLabel: 'x', yLabel: 'y' })).toThrow(/no points to plot/);
  });
});
