/**
 * Closed-form linear probes for judging frozen features: ridge regression onto one-hot targets
 * (`W = (XᵀX + λI)⁻¹ XᵀY`, bias unregularised, in float64 on the host), classified by argmax.
 */

/** A fitted linear classifier over `dim`-wide features. */
export interface LinearProbe {
  /** Feature width. */
  readonly dim: number;
  /** Number of classes. */
  readonly numClasses: number;
  /** `[dim + 1, numClasses]` row-major; the last row is the bias. */
  readonly weights: Float64Array;
  /** Predicted class per row of `features [n, dim]` (row-major). */
  predict(features: ArrayLike<number>): Int32Array;
  /** Fraction of rows whose prediction equals `labels`. */
  accuracy(features: ArrayLike<number>, labels: ArrayLike<number>): number;
}

/** Options of `fitRidgeProbe`. */
export interface RidgeOptions {
  /** L2 penalty on the weights (not the bias); default 1e-3 times the mean feature energy · n. */
  lambda?: number;
}

/** Solve `A X = B` for symmetric positive definite `A [m, m]` and `B [m, k]` by Cholesky, in place of a copy. */
function choleskySolve(a: Float64Array, b: Float64Array, m: number, k: number): Float64Array {
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * m + j]!;
      for (let p = 0; p < j; p++) s -= l[i * m + p]! * l[j * m + p]!;
      if (i === j) {
        if (!(s > 0)) throw new Error(`fitRidgeProbe: normal matrix is not positive definite at pivot ${i} (${s}); increase lambda`);
        l[i * m + i] = Math.sqrt(s);
      } else l[i * m + j] = s / l[j * m + j]!;
    }
  }
  const x = Float64Array.from(b);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < m; i++) {
      let s = x[i * k + c]!;
      for (let p = 0; p < i; p++) s -= l[i * m + p]! * x[p * k + c]!;
      x[i * k + c] = s / l[i * m + i]!;
    }
    for (let i = m - 1; i >= 0; i--) {
      let s = x[i * k + c]!;
      for (let p = i + 1; p < m; p++) s -= l[p * m + i]! * x[p * k + c]!;
      x[i * k + c] = s / l[i * m + i]!;
    }
  }
  return x;
}

/**
 * Fit a ridge-regression classifier on `features [n, dim]` (row-major) with integer `labels` in
 * `[0, numClasses)`. Deterministic; throws on bad labels or sizes.
 */
export function fitRidgeProbe(features: ArrayLike<number>, labels: ArrayLike<number>, dim: number, numClasses: number, options: RidgeOptions = {}): LinearProbe {
  const n = labels.length;
  if (!Number.isInteger(dim) || dim <= 0) throw new Error(`fitRidgeProbe: dim must be a positive integer, got ${dim}`);
  if (!Number.isInteger(numClasses) || numClasses < 2) throw new Error(`fitRidgeProbe: numClasses must be an integer >= 2, got ${numClasses}`);
  if (features.length !== n * dim) throw new Error(`fitRidgeProbe: ${features.length} feature values for ${n} labels x dim ${dim}`);
  if (n === 0) throw new Error('fitRidgeProbe: no samples');
  const m = dim + 1;
  const xtx = new Float64Array(m * m);
  const xty = new Float64Array(m * numClasses);
  const row = new Float64Array(m);
  let energy = 0;
  for (let r = 0; r < n; r++) {
    const y = labels[r]!;
    if (!Number.isInteger(y) || y < 0 || y >= numClasses) throw new Error(`fitRidgeProbe: label ${y} at row ${r} is outside [0, ${numClasses})`);
    for (let j = 0; j < dim; j++) {
      const v = features[r * dim + j]!;
      if (!Number.isFinite(v)) throw new Error(`fitRidgeProbe: feature [${r}, ${j}] is ${v}`);
      row[j] = v;
      energy += v * v;
    }
    row[dim] = 1;
    for (let i = 0; i < m; i++) {
      const ri = row[i]!;
      if (ri === 0) continue;
      for (let j = 0; j <= i; j++) xtx[i * m + j] += ri * row[j]!;
      xty[i * numClasses + y] += ri;
    }
  }
  for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) xtx[i * m + j] = xtx[j * m + i]!;
  const lambda = options.lambda ?? (1e-3 * energy) / dim;
  if (!(lambda >= 0)) throw new Error(`fitRidgeProbe: lambda must be >= 0, got ${lambda}`);
  for (let i = 0; i < dim; i++) xtx[i * m + i] += lambda;
  xtx[dim * m + dim] += 1e-9 * n; // keeps a constant feature set solvable
  const weights = choleskySolve(xtx, xty, m, numClasses);
  const predict = (f: ArrayLike<number>): Int32Array => {
    if (f.length % dim !== 0) throw new Error(`LinearProbe.predict: ${f.length} values are not rows of ${dim}`);
    const rows = f.length / dim;
    const out = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      let best = -Infinity;
      let arg = 0;
      for (let c = 0; c < numClasses; c++) {
        let s = weights[dim * numClasses + c]!;
        for (let j = 0; j < dim; j++) s += f[r * dim + j]! * weights[j * numClasses + c]!;
        if (s > best) {
          best = s;
          arg = c;
        }
      }
      out[r] = arg;
    }
    return out;
  };
  return {
    dim,
    numClasses,
    weights,
    predict,
    accuracy(f, y) {
      const p = predict(f);
      if (p.length !== y.length) throw new Error(`LinearProbe.accuracy: ${p.length} predictions for ${y.length} labels`);
      let ok = 0;
      for (let i = 0; i < p.length; i++) if (p[i] === y[i]) ok++;
      return ok / p.length;
    },
  };
}
