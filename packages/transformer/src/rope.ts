/**
 * Rotary position embeddings in Hugging Face's layout (docs/method.md 1.1).
 *
 * With `inv_freq_k = theta^(-2k/d_h)` and angle `a_{p,k} = p * inv_freq_k`, the tables are
 * `cos = [cos a, cos a]` and `sin = [sin a, sin a]` (each frequency repeated over the two halves
 * of the head) and `rope(x) = x * cos + rotate_half(x) * sin` with
 * `rotate_half([x1, x2]) = [-x2, x1]`. We fold the sign into the table (`sinSigned = [-sin a,
 * sin a]`) so that `rope(x) = x * cos + swapHalves(x) * sinSigned`: the same numbers, one op less.
 *
 * Meta's original code rotates adjacent pairs `(x_{2k}, x_{2k+1})` instead. The two agree once
 * the rows of `q_proj`/`k_proj` are permuted per head, `w.view(H, d_h/2, 2, in).transpose(1, 2)`
 * (what HF's conversion script does): `metaToHFRotary` / `hfToMetaRotary` do that permutation.
 * HF checkpoints are already permuted; load them as they are.
 */
import { Tensor, concat, rope, tensor, tidy, type Backend, type DType } from '@unihetero/tensor';

/** `inv_freq_k = 1 / theta^(2k/d_h)` for `k = 0..d_h/2-1`, rounded through float32 as HF computes it. */
export function ropeInverseFrequencies(headDim: number, theta = 10000): Float64Array {
  if (!Number.isInteger(headDim) || headDim <= 0 || headDim % 2 !== 0) throw new Error(`ropeInverseFrequencies: headDim must be a positive even integer, got ${headDim}`);
  if (!(theta > 0) || !Number.isFinite(theta)) throw new Error(`ropeInverseFrequencies: theta must be a positive finite number, got ${theta}`);
  const half = headDim / 2;
  const out = new Float64Array(half);
  for (let k = 0; k < half; k++) out[k] = Math.fround(1 / Math.fround(theta ** Math.fround((2 * k) / headDim)));
  return out;
}

/** The two RoPE tables for a batch of position ids, ready to broadcast against `[B, H, L, d_h]`. */
export interface RopeTables {
  /** `[R, 1, L, d_h]` with `R` = 1 (shared positions) or the batch size. */
  cos: Tensor;
  /** `[-sin a, sin a]`, same shape as `cos`. */
  sinSigned: Tensor;
}

/**
 * RoPE tables for `positions` (`R` rows of `L` integer positions, flat row-major). Angles are
 * `fround(p * inv_freq)` (float32 as in HF), cos/sin evaluated in float64 then stored in `dtype`.
 */
export function ropeTables(positions: ArrayLike<number>, rows: number, length: number, headDim: number, theta: number, backend: Backend, dtype: DType = 'float32'): RopeTables {
  if (positions.length !== rows * length) throw new Error(`ropeTables: ${positions.length} positions do not fill ${rows} rows of length ${length}`);
  const inv = ropeInverseFrequencies(headDim, theta);
  const half = headDim / 2;
  const n = rows * length * headDim;
  const cos = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  const sin = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < rows * length; i++) {
    const p = positions[i]!;
    if (!Number.isInteger(p) || p < 0) throw new Error(`ropeTables: positions must be non-negative integers, got ${p} at index ${i}`);
    const base = i * headDim;
    for (let k = 0; k < half; k++) {
      const a = Math.fround(p * inv[k]!);
      const c = Math.cos(a);
      const s = Math.sin(a);
      cos[base + k] = c;
      cos[base + half + k] = c;
      sin[base + k] = -s;
      sin[base + half + k] = s;
    }
  }
  const shape = [rows, 1, length, headDim];
  return { cos: tensor(cos, { shape, dtype, backend }), sinSigned: tensor(sin, { shape, dtype, backend }) };
}

/** `[x1, x2] -> [x2, x1]` over the last dim (halves of `d_h`). */
export function swapHalves(x: Tensor): Tensor {
  const h = x.shape[x.rank - 1]! / 2;
  return tidy(() => concat([x.narrow(-1, h, h), x.narrow(-1, 0, h)], -1));
}

/** HF's `rotate_half`: `[x1, x2] -> [-x2, x1]` over the last dim. */
export function rotateHalf(x: Tensor): Tensor {
  const d = x.shape[x.rank - 1]!;
  if (d % 2 !== 0) throw new Error(`rotateHalf: last dim must be even, got ${d}`);
  const h = d / 2;
  return tidy(() => concat([x.narrow(-1, h, h).neg(), x.narrow(-1, 0, h)], -1));
}

/**
 * Rotate `x [B, H, L, d_h]` by the tables (`x * cos + rotate_half(x) * sin`, HF layout): the
 * tensor package's `rope` op, one fused kernel forward and backward where the backend offers it.
 */
export function applyRope(x: Tensor, tables: RopeTables): Tensor {
  const d = x.shape[x.rank - 1]!;
  const td = tables.cos.shape[tables.cos.rank - 1]!;
  if (d !== td) throw new Error(`applyRope: head dim ${d} of x ${JSON.stringify(x.shape)} does not match the tables' ${td}`);
  return rope(x, tables.cos, tables.sinSigned);
}

function checkRotaryWeight(op: string, w: Tensor, heads: number): number {
  if (w.rank !== 2) throw new Error(`${op}: weight must be 2-D [heads * headDim, in], got ${JSON.stringify(w.shape)}`);
  if (!Number.isInteger(heads) || heads <= 0 || w.shape[0]! % heads !== 0) throw new Error(`${op}: ${w.shape[0]} rows are not divisible by ${heads} heads`);
  const dh = w.shape[0]! / heads;
  if (dh % 2 !== 0) throw new Error(`${op}: head dim ${dh} must be even`);
  return dh;
}

/** Permute Meta-layout `q_proj`/`k_proj` rows `[H*d_h, in]` into HF's rotary layout (HF's conversion script). */
export function metaToHFRotary(w: Tensor, heads: number): Tensor {
  const dh = checkRotaryWeight('metaToHFRotary', w, heads);
  const inF = w.shape[1]!;
  return tidy(() => w.reshape(heads, dh / 2, 2, inF).transpose(1, 2).reshape(heads * dh, inF));
}

/** Inverse of `metaToHFRotary`: HF rotary layout back to Meta's interleaved pairs. */
export function hfToMetaRotary(w: Tensor, heads: number): Tensor {
  const dh = checkRotaryWeight('hfToMetaRotary', w, heads);
  const inF = w.shape[1]!;
  return tidy(() => w.reshape(heads, 2, dh / 2, inF).transpose(1, 2).reshape(heads * dh, inF));
}
