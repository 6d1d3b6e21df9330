/**
 * The paper's data-scale fit (Equation 6, docs/method.md 12.2): ordinary least squares `y = a*n + b`
 * over checkpoints, with `a = cov(n, y) / var(n)`, `b = mean(y) - a*mean(n)`, and R^2.
 */

/** A fitted line and its goodness of fit. */
export interface LinearFit {
  /** Slope (the data-scale trend), in y units per unit of n. */
  a: number;
  /** Intercept. */
  b: number;
  /** Coefficient of determination (NaN when y has no variance). */
  r2: number;
  /** Number of points. */
  count: number;
}

/** Least-squares fit of `y = a*x + b`; needs at least two distinct x values. */
export function fitLine(xs: readonly number[], ys: readonly number[]): LinearFit {
  if (xs.length !== ys.length) throw new Error(`fitLine: ${xs.length} x values but ${ys.length} y values`);
  if (xs.length < 2) throw new Error(`fitLine: need at least 2 points, got ${xs.length}`);
  const n = xs.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(xs[i]!) || !Number.isFinite(ys[i]!)) throw new Error(`fitLine: point ${i} is not finite (${xs[i]}, ${ys[i]})`);
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) throw new Error('fitLine: all x values are equal; the slope is undefined');
  const a = sxy / sxx;
  const b = my - a * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i]! - (a * xs[i]! + b)) ** 2;
  const r2 = syy === 0 ? NaN : 1 - sse / syy;
  return { a, b, r2, count: n };
}
