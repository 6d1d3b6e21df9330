/**
 * Row reductions, softmax and the fused normalisation kernels over contiguous `[rows, cols]`
 * data. Accumulation is in float64 (JavaScript numbers) whatever the storage dtype.
 */
import type { TypedArray } from '../backend.js';

/** Row reductions the CPU kernels implement. */
export type RowReduceOp = 'sum' | 'prod' | 'max' | 'min' | 'argmax' | 'argmin' | 'logsumexp';

/** Sum of `x[o .. o + n)` with four independent accumulators (float64). */
function sumRow(x: TypedArray, o: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const end4 = o + (n & ~3);
  let i = o;
  for (; i < end4; i += 4) {
    s0 += x[i]!;
    s1 += x[i + 1]!;
    s2 += x[i + 2]!;
    s3 += x[i + 3]!;
  }
  const end = o + n;
  for (; i < end; i++) s0 += x[i]!;
  return s0 + s1 + (s2 + s3);
}

/** Max of a row with NaN propagation; -Infinity for an empty row. */
function maxRow(x: TypedArray, o: number, n: number): number {
  let m = -Infinity;
  const end = o + n;
  for (let i = o; i < end; i++) {
    const v = x[i]!;
    if (v > m) m = v;
    else if (v !== v) return v;
  }
  return m;
}

/** Min of a row with NaN propagation; +Infinity for an empty row. */
function minRow(x: TypedArray, o: number, n: number): number {
  let m = Infinity;
  const end = o + n;
  for (let i = o; i < end; i++) {
    const v = x[i]!;
    if (v < m) m = v;
    else if (v !== v) return v;
  }
  return m;
}

/** Stable log-sum-exp of a row, with torch.logsumexp's handling of infinite maxima. */
function logsumexpRow(x: TypedArray, o: number, n: number): number {
  const m = maxRow(x, o, n);
  if (m !== m) return m;
  const shift = m === Infinity || m === -Infinity ? 0 : m;
  let s = 0;
  const end = o + n;
  for (let i = o; i < end; i++) s += Math.exp(x[i]! - shift);
  return Math.log(s) + shift;
}

/** Index of the first maximum (`max`) or minimum of a non-empty row; a NaN counts as the extreme (the first NaN wins), as in PyTorch. */
function argExtremeRow(x: TypedArray, o: number, cols: number, max: boolean): number {
  let best = x[o]!;
  if (best !== best) return 0;
  let bi = 0;
  for (let i = 1; i < cols; i++) {
    const v = x[o + i]!;
    if (v !== v) return i;
    if (max ? v > best : v < best) {
      best = v;
      bi = i;
    }
  }
  return bi;
}

/**
 * Reduce each row of contiguous `x[offset + r * cols + c]` into `out[r]`. Empty rows: sum 0,
 * prod 1, logsumexp -Infinity; max/min/argmax/argmin of an empty row are an error.
 */
export function reduceRows(op: RowReduceOp, x: TypedArray, offset: number, rows: number, cols: number, out: TypedArray): void {
  if (cols === 0 && rows > 0 && (op === 'max' || op === 'min' || op === 'argmax' || op === 'argmin')) {
    throw new Error(`reduce ${op}: cannot reduce an empty row (cols = 0, rows = ${rows})`);
  }
  const intIn = x instanceof Int32Array;
  switch (op) {
    case 'sum':
      for (let r = 0, o = offset; r < rows; r++, o += cols) out[r] = sumRow(x, o, cols);
      return;
    case 'prod':
      for (let r = 0, o = offset; r < rows; r++, o += cols) {
        let p = 1;
        const end = o + cols;
        if (intIn) for (let i = o; i < end; i++) p = Math.imul(p, x[i]!);
        else for (let i = o; i < end; i++) p *= x[i]!;
        out[r] = p;
      }
      return;
    case 'max':
      for (let r = 0, o = offset; r < rows; r++, o += cols) out[r] = maxRow(x, o, cols);
      return;
    case 'min':
      for (let r = 0, o = offset; r < rows; r++, o += cols) out[r] = minRow(x, o, cols);
      return;
    case 'argmax':
    case 'argmin':
      for (let r = 0, o = offset; r < rows; r++, o += cols) out[r] = argExtremeRow(x, o, cols, op === 'argmax');
      return;
    case 'logsumexp':
      for (let r = 0, o = offset; r < rows; r++, o += cols) out[r] = logsumexpRow(x, o, cols);
      return;
    default:
      throw new Error(`reduce: unknown op '${String(op)}'`);
  }
}

let columnScratch = new Float64Array(0);

/**
 * `out[c] = sum_r x[offset + r * cols + c]`: the sum over the rows of a contiguous `[rows, cols]`
 * block (a reduction over leading dims) without transposing it. Each column is summed exactly as
 * `reduceRows('sum')` sums a row of the transposed block (four float64 accumulators over the
 * rows by index mod 4, the rows past the last multiple of 4 into the first, combined as
 * `(s0 + s1) + (s2 + s3)`), so both give bitwise the same result; here the rows are read in
 * order, contiguously.
 */
export function sumColumns(x: TypedArray, offset: number, rows: number, cols: number, out: TypedArray): void {
  if (columnScratch.length < 4 * cols) columnScratch = new Float64Array(4 * cols);
  const s = columnScratch;
  s.fill(0, 0, 4 * cols);
  const end4 = rows & ~3;
  const c1 = cols;
  const c2 = 2 * cols;
  const c3 = 3 * cols;
  let r = 0;
  for (; r < end4; r += 4) {
    const o0 = offset + r * cols;
    const o1 = o0 + cols;
    const o2 = o1 + cols;
    const o3 = o2 + cols;
    for (let c = 0; c < cols; c++) {
      s[c] += x[o0 + c]!;
      s[c1 + c] += x[o1 + c]!;
      s[c2 + c] += x[o2 + c]!;
      s[c3 + c] += x[o3 + c]!;
    }
  }
  for (; r < rows; r++) {
    const o = offset + r * cols;
    for (let c = 0; c < cols; c++) s[c] += x[o + c]!;
  }
  for (let c = 0; c < cols; c++) out[c] = s[c]! + s[c1 + c]! + (s[c2 + c]! + s[c3 + c]!);
}

/** Softmax (or log-softmax) of each row of contiguous `x` (from `offset`) into `out` (from 0). */
export function softmaxRows(x: TypedArray, offset: number, rows: number, cols: number, out: TypedArray, log: boolean): void {
  for (let r = 0; r < rows; r++) {
    const xo = offset + r * cols;
    const oo = r * cols;
    const m = maxRow(x, xo, cols);
    let s = 0;
    if (log) {
      for (let i = 0; i < cols; i++) s += Math.exp(x[xo + i]! - m);
      const lse = Math.log(s);
      for (let i = 0; i < cols; i++) out[oo + i] = x[xo + i]! - m - lse;
    } else {
      // Exponentials go to `out` first (rounded to its dtype, as PyTorch does for float32).
      for (let i = 0; i < cols; i++) {
        const e = Math.exp(x[xo + i]! - m);
        out[oo + i] = e;
        s += e;
      }
      const inv = 1 / s;
      for (let i = 0; i < cols; i++) out[oo + i] = out[oo + i]! * inv;
    }
  }
}

/** Host arrays of a norm forward over contiguous `x [rows, cols]`: the fields of `LayerNormArgs`, with `bias` and `mean` null for rmsNorm. */
export interface HostNorm {
  x: TypedArray;
  weight: TypedArray | null;
  bias: TypedArray | null;
  rows: number;
  cols: number;
  eps: number;
  out: TypedArray;
  /** Row means (layerNorm), or null (rmsNorm: nothing is centred). */
  mean: TypedArray | null;
  rstd: TypedArray;
}

/**
 * Fused LayerNorm (`mean` given) or RMSNorm forward over contiguous rows. LayerNorm: biased
 * variance (two-pass), `rstd = 1 / sqrt(var + eps)`, `out = (x - mean) * rstd * weight + bias`.
 * RMSNorm is the same with the centre at 0 (`x - 0` is `x` exactly): `rstd = 1 / sqrt(mean(x^2) + eps)`,
 * `out = x * rstd * weight`.
 */
export function normRows(h: HostNorm): void {
  const { x, weight, bias, rows, cols, eps, out, mean, rstd } = h;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const mu = !mean ? 0 : cols > 0 ? sumRow(x, o, cols) / cols : NaN;
    let v = 0;
    for (let i = 0; i < cols; i++) {
      const d = x[o + i]! - mu;
      v += d * d;
    }
    const rs = 1 / Math.sqrt(v / cols + eps);
    if (mean) mean[r] = mu;
    rstd[r] = rs;
    if (weight && bias) for (let i = 0; i < cols; i++) out[o + i] = (x[o + i]! - mu) * rs * weight[i]! + bias[i]!;
    else if (weight) for (let i = 0; i < cols; i++) out[o + i] = (x[o + i]! - mu) * rs * weight[i]!;
    else if (bias) for (let i = 0; i < cols; i++) out[o + i] = (x[o + i]! - mu) * rs + bias[i]!;
    else for (let i = 0; i < cols; i++) out[o + i] = (x[o + i]! - mu) * rs;
  }
}
