/**
 * CPU reference versions of the fused training kernels: layerNorm / rmsNorm backward, the
 * cross-entropy rows (loss and logsumexp) and their gradient, scaled dot-product attention and the
 * rotary embedding.
 * Accumulation is in float64 (JavaScript numbers) whatever the storage dtype.
 */
import type { TypedArray } from '../backend.js';
import { contiguousStrides } from '../shape.js';
import { eachRow, planRows } from './iterate.js';

/** Max of `x[o .. o + n)` with NaN propagation; -Infinity for an empty row. */
function rowMax(x: ArrayLike<number>, o: number, n: number): number {
  let m = -Infinity;
  for (let i = o; i < o + n; i++) {
    const v = x[i]!;
    if (v > m) m = v;
    else if (v !== v) return v;
  }
  return m;
}

/** Stable logsumexp of a row (torch's handling of infinite maxima: no shift). */
function rowLogsumexp(x: ArrayLike<number>, o: number, n: number): number {
  const m = rowMax(x, o, n);
  if (m !== m) return m;
  const shift = m === Infinity || m === -Infinity ? 0 : m;
  let s = 0;
  for (let i = o; i < o + n; i++) s += Math.exp(x[i]! - shift);
  return Math.log(s) + shift;
}

/** Host arrays of a norm backward: the fields of `LayerNormBackwardArgs`, with `mean` and `dbias` null for rmsNorm. */
export interface HostNormBackward {
  x: TypedArray;
  /** Row means (layerNorm), or null (rmsNorm: `xhat = x * rstd`, no `mean(gh)` term). */
  mean: TypedArray | null;
  rstd: TypedArray;
  weight: TypedArray | null;
  grad: TypedArray;
  rows: number;
  cols: number;
  dx: TypedArray;
  dweight: TypedArray | null;
  dbias: TypedArray | null;
}

/** LayerNorm or RMSNorm backward over contiguous rows (see `FusedKernels.layerNormBackward` / `rmsNormBackward`). */
export function normBackwardRows(h: HostNormBackward): void {
  const { x, mean, rstd, weight, grad, rows, cols, dx, dweight, dbias } = h;
  const dw = dweight ? new Float64Array(cols) : null;
  const db = dbias ? new Float64Array(cols) : null;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const mu = mean ? mean[r]! : 0;
    const rs = rstd[r]!;
    let a = 0;
    let b = 0;
    for (let c = 0; c < cols; c++) {
      const xh = (x[o + c]! - mu) * rs;
      const g = grad[o + c]!;
      const gh = weight ? g * weight[c]! : g;
      a += gh;
      b += gh * xh;
      if (dw) dw[c] += g * xh;
      if (db) db[c] += g;
    }
    // rmsNorm has no centring term: gh - 0 is gh exactly, so both norms share this loop.
    a = mean ? a / cols : 0;
    b /= cols;
    for (let c = 0; c < cols; c++) {
      const xh = (x[o + c]! - mu) * rs;
      const gh = weight ? grad[o + c]! * weight[c]! : grad[o + c]!;
      dx[o + c] = rs * (gh - a - xh * b);
    }
  }
  if (dw) dweight!.set(dw);
  if (db) dbias!.set(db);
}

/** Check a cross-entropy target; returns false for an ignored row. */
function checkTarget(t: number, r: number, cols: number, ignoreIndex: number): boolean {
  if (t === ignoreIndex) return false;
  if (!(t >= 0 && t < cols)) throw new Error(`crossEntropy: target ${t} of row ${r} is out of range for ${cols} classes (ignoreIndex is ${ignoreIndex})`);
  return true;
}

/** Cross-entropy rows: per-row loss into `stats[0, rows)`, logsumexp into `stats[rows, 2 rows)`. */
export function crossEntropyRows(
  logits: TypedArray,
  targets: TypedArray,
  rows: number,
  cols: number,
  ignoreIndex: number,
  smoothing: number,
  stats: TypedArray,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const lse = rowLogsumexp(logits, o, cols);
    stats[rows + r] = lse;
    const t = targets[r]!;
    if (!checkTarget(t, r, cols, ignoreIndex)) {
      stats[r] = 0;
      continue;
    }
    let loss = (1 - smoothing) * (lse - logits[o + t]!);
    if (smoothing > 0) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += logits[o + c]!;
      loss += smoothing * (lse - s / cols);
    }
    stats[r] = loss;
  }
}

/** Gradient of the cross-entropy rows with respect to the logits (see `FusedKernels.crossEntropyBackward`). */
export function crossEntropyBackwardRows(
  logits: TypedArray,
  targets: TypedArray,
  stats: TypedArray,
  grad: TypedArray,
  rows: number,
  cols: number,
  ignoreIndex: number,
  smoothing: number,
  dx: TypedArray,
): void {
  const uniform = smoothing / cols;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const lse = stats[rows + r]!;
    const t = targets[r]!;
    const valid = checkTarget(t, r, cols, ignoreIndex);
    const gl = valid ? grad[r]! : 0;
    const gz = grad[rows + r]!;
    const gp = gl + gz;
    for (let c = 0; c < cols; c++) {
      const p = Math.exp(logits[o + c]! - lse);
      dx[o + c] = gp * p - gl * ((c === t ? 1 - smoothing : 0) + uniform);
    }
  }
}

/** A strided rank-4 host view. */
export interface HostView4 {
  data: TypedArray;
  offset: number;
  shape: readonly number[];
  strides: readonly number[];
}

/**
 * Scaled dot-product attention (see `FusedKernels.attention`): `lse` of each scaled, masked score
 * row, then `out = sum_j exp(s_j - lse) v_j` (zeros where every score is -Infinity).
 */
export function attentionHost(q: HostView4, k: HostView4, v: HostView4, mask: HostView4 | null, scale: number, out: TypedArray, lse: TypedArray): void {
  const [B, H, Lq, D] = q.shape as [number, number, number, number];
  const [, Hkv, Lk] = k.shape as [number, number, number, number];
  const Dv = v.shape[3]!;
  const group = H / Hkv;
  const [qs0, qs1, qs2, qs3] = q.strides as [number, number, number, number];
  const [ks0, ks1, ks2, ks3] = k.strides as [number, number, number, number];
  const [vs0, vs1, vs2, vs3] = v.strides as [number, number, number, number];
  const ms = (mask?.strides ?? [0, 0, 0, 0]) as [number, number, number, number];
  const s = new Float64Array(Lk);
  const acc = new Float64Array(Dv);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const kh = Math.floor(h / group);
      const kBase = k.offset + b * ks0 + kh * ks1;
      const vBase = v.offset + b * vs0 + kh * vs1;
      for (let i = 0; i < Lq; i++) {
        const qBase = q.offset + b * qs0 + h * qs1 + i * qs2;
        const mBase = mask ? mask.offset + b * ms[0] + h * ms[1] + i * ms[2] : 0;
        for (let j = 0; j < Lk; j++) {
          let dot = 0;
          const kj = kBase + j * ks2;
          for (let d = 0; d < D; d++) dot += q.data[qBase + d * qs3]! * k.data[kj + d * ks3]!;
          s[j] = dot * scale + (mask ? mask.data[mBase + j * ms[3]]! : 0);
        }
        const row = (b * H + h) * Lq + i;
        const l = rowLogsumexp(s, 0, Lk);
        lse[row] = l;
        acc.fill(0);
        if (l !== -Infinity) {
          for (let j = 0; j < Lk; j++) {
            const p = Math.exp(s[j]! - l);
            const vj = vBase + j * vs2;
            for (let d = 0; d < Dv; d++) acc[d] += p * v.data[vj + d * vs3]!;
          }
        }
        const oo = row * Dv;
        for (let d = 0; d < Dv; d++) out[oo + d] = acc[d]!;
      }
    }
  }
}

/** A strided host operand: its array, the offset of element 0 and one stride per dim. */
export interface HostStrided {
  data: TypedArray;
  offset: number;
  strides: readonly number[];
}

/**
 * Rotary embedding over the last dim (`RopeArgs`): with `j` the element of the other half,
 * `out_i = x_i cos_i + x_j sin_i`, or with `transpose` `out_i = x_i cos_i + x_j sin_j`; `out` is
 * contiguous over `shape`.
 */
export function ropeHost(shape: readonly number[], x: HostStrided, cos: HostStrided, sin: HostStrided, out: TypedArray, transpose: boolean): void {
  const r = shape.length;
  const h = shape[r - 1]! / 2;
  const lead = shape.slice(0, -1);
  const outLead = contiguousStrides(shape).slice(0, -1);
  const plan = planRows(lead, [x.strides.slice(0, -1), cos.strides.slice(0, -1), sin.strides.slice(0, -1), outLead]);
  const [xl, cl, sl] = [x.strides[r - 1]!, cos.strides[r - 1]!, sin.strides[r - 1]!];
  const xd = x.data;
  const cd = cos.data;
  const sd = sin.data;
  eachRow(plan, [x.offset, cos.offset, sin.offset, 0], (offs) => {
    for (let k = 0; k < plan.len; k++) {
      const xo = offs[0]! + k * plan.inner[0]!;
      const co = offs[1]! + k * plan.inner[1]!;
      const so = offs[2]! + k * plan.inner[2]!;
      const oo = offs[3]! + k * plan.inner[3]!;
      for (let c = 0; c < h; c++) {
        const a = xd[xo + c * xl]!;
        const b = xd[xo + (c + h) * xl]!;
        const s1 = sd[so + c * sl]!;
        const s2 = sd[so + (c + h) * sl]!;
        out[oo + c] = a * cd[co + c * cl]! + b * (transpose ? s2 : s1);
        out[oo + c + h] = b * cd[co + (c + h) * cl]! + a * (transpose ? s1 : s2);
      }
    }
  });
}
