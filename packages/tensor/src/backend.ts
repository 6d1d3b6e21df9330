/**
 * The backend contract.
 *
 * A backend owns memory and a handful of primitive kernels; the `Tensor` front end owns shapes,
 * broadcasting, views, dtype promotion, autograd and every composite op (sigmoid, gelu, the
 * derivative kernels, norms, losses, attention, ...), which it builds from the primitives once for
 * all backends. A backend may additionally register **overrides**: fused kernels for composite
 * ops, which the front end then prefers (`ops/overrides.ts` is the one place deciding that).
 *
 * Required kernels:
 * - `elementwise(program, inputs, outputs, scalars)`: evaluate an expression program (see
 *   `expr/ir.ts`: about 30 ALU ops, `where`, casts, constants and runtime scalars) at every element
 *   of the iteration shape. This one primitive covers unary/binary ops, `where`, casts, copies and
 *   fills, and whole fused chains of them;
 * - `reduce(op, ...)`: sum, prod, max or argmax over the last axis of a contiguous `[rows, cols]`;
 * - `matmul`, `gather`, `scatterAdd`.
 *
 * Kernels never modify their inputs. Inputs are strided `View`s (views share storage, strides may
 * be 0 for broadcast dimensions). The front end guarantees before calling a kernel:
 * - elementwise: every input and output view has the iteration shape; outputs do not overlap each
 *   other; an output overlaps an input only with an identical view (an in-place update);
 * - reduce: the input is contiguous and reduced over its last axis;
 * - matmul: rank-3 views `[B, M, K] x [B, K, N]` (batch stride may be 0);
 * - gather/scatterAdd: rank-3 views split around the indexed dimension `[outer, dim, inner]`.
 *
 * A backend is tested against the CPU reference backend with the shared parity suites.
 */
import type { Program } from './expr/ir.js';

/** Element types. `float64` exists on the CPU backend only (used by `gradcheck`). Boolean results are `int32` 0/1. */
export type DType = 'float32' | 'float64' | 'int32';

/** The typed array that holds values of a dtype on the host. */
export type TypedArray = Float32Array | Float64Array | Int32Array;

/** Bytes per element of a dtype (as stored on the device). */
export function dtypeBytes(dtype: DType): number {
  return dtype === 'float64' ? 8 : 4;
}

/** True for floating dtypes. */
export function isFloatDType(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

/** Opaque handle to a flat buffer of `size` elements of `dtype`, owned by `backend`. */
export interface Storage {
  readonly backend: Backend;
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
}

/** A strided window onto a storage: what kernels read (and, for `elementwise`, write). */
export interface View {
  readonly storage: Storage;
  readonly shape: readonly number[];
  /** Element strides, one per dimension (0 for broadcast dimensions). */
  readonly strides: readonly number[];
  /** Offset of element [0, 0, ...] in elements. */
  readonly offset: number;
}

/** Reductions every backend implements (min, argmin and logsumexp are composed from them). */
export type ReduceOp = 'sum' | 'prod' | 'max' | 'argmax';

/** Memory counters of one backend. */
export interface BackendMemory {
  /** Storages currently allocated and not released. */
  storages: number;
  /** Bytes of those storages. */
  bytesInUse: number;
  /** Bytes held by the backend's pool for reuse (not in use). */
  bytesPooled: number;
}

/** Description of the device a backend runs on. */
export interface BackendInfo {
  /** 'cpu' or 'webgpu'. */
  kind: string;
  /** Human-readable adapter / device description. */
  description: string;
  /** Extra facts (vendor, architecture, feature level, limits). */
  details?: Record<string, unknown>;
}

// ------------------------------------------------------------------------------------ overrides

/** Arguments of the `softmax` override. */
export interface SoftmaxArgs {
  /** Contiguous input `[rows, cols]` starting at `offset`. */
  x: Storage;
  offset: number;
  rows: number;
  cols: number;
  /** Contiguous output `[rows, cols]` from element 0. */
  out: Storage;
  /** Log-softmax instead of softmax. */
  log: boolean;
}

/** Arguments of the `logsumexp` override. */
export interface LogsumexpArgs {
  /** Contiguous input `[rows, cols]` starting at `offset`. */
  x: Storage;
  offset: number;
  rows: number;
  cols: number;
  /** `[rows]`: `m + log(sum(exp(x - m)))` with `m` the row max (0 when it is infinite). */
  out: Storage;
}

/** Arguments of the `layerNorm` override (contiguous `x [rows, cols]`). */
export interface LayerNormArgs {
  x: Storage;
  /** `[cols]` or null. */
  weight: Storage | null;
  /** `[cols]` or null. */
  bias: Storage | null;
  rows: number;
  cols: number;
  eps: number;
  /** `[rows, cols]`: `(x - mean) * rstd * weight + bias`. */
  out: Storage;
  /** `[rows]`. */
  mean: Storage;
  /** `[rows]`: `1 / sqrt(biased variance + eps)`. */
  rstd: Storage;
}

/** Arguments of the `rmsNorm` override. */
export interface RmsNormArgs {
  x: Storage;
  weight: Storage | null;
  rows: number;
  cols: number;
  eps: number;
  /** `[rows, cols]`: `x * rstd * weight`. */
  out: Storage;
  /** `[rows]`: `1 / sqrt(mean(x^2) + eps)`. */
  rstd: Storage;
}

/** Arguments of the `rmsNormBackward` override (`layerNormBackward` adds the saved `mean` and `dbias`). */
export interface RmsNormBackwardArgs {
  x: Storage;
  rstd: Storage;
  weight: Storage | null;
  /** Upstream gradient `[rows, cols]`. */
  grad: Storage;
  rows: number;
  cols: number;
  /**
   * `rstd * (gh - xhat * mean(gh * xhat))` with `xhat = x * rstd` (rmsNorm), or
   * `rstd * (gh - mean(gh) - xhat * mean(gh * xhat))` with `xhat = (x - mean) * rstd` (layerNorm);
   * `gh = grad * weight`.
   */
  dx: Storage;
  /** `sum_rows(grad * xhat)` when not null. */
  dweight: Storage | null;
}

/** Arguments of the `layerNormBackward` override: rmsNorm's plus the saved row means and `dbias`. */
export interface LayerNormBackwardArgs extends RmsNormBackwardArgs {
  /** `[rows]`, as the forward saved it. */
  mean: Storage;
  /** `sum_rows(grad)` when not null. */
  dbias: Storage | null;
}

/** Arguments of the `crossEntropy` override. */
export interface CrossEntropyArgs {
  /** Contiguous `[rows, cols]`. */
  logits: Storage;
  /** int32 `[rows]`. */
  targets: Storage;
  rows: number;
  cols: number;
  ignoreIndex: number;
  labelSmoothing: number;
  /**
   * `[2 * rows]`: `stats[r]` is the loss of row r, `(1 - s) * (lse_r - x[r, t_r]) + s * (lse_r -
   * mean_c x[r, c])`, or 0 where `t_r == ignoreIndex`; `stats[rows + r]` is `lse_r`. A target outside
   * `[0, cols)` that is not `ignoreIndex` is an error where detectable.
   */
  stats: Storage;
}

/** Arguments of the `crossEntropyBackward` override. */
export interface CrossEntropyBackwardArgs {
  logits: Storage;
  targets: Storage;
  /** The forward's `stats`. */
  stats: Storage;
  /** Upstream gradient `[2 * rows]` (of the losses, then of the logsumexps). */
  grad: Storage;
  rows: number;
  cols: number;
  ignoreIndex: number;
  labelSmoothing: number;
  /** `grad[r] * (p - (1 - s) [c == t_r] - s / cols) * valid_r + grad[rows + r] * p`, `p = exp(x - lse)`. */
  dx: Storage;
}

/** Arguments of the `attention` override. */
export interface AttentionArgs {
  /** `[B, H, Lq, D]`, any strides. */
  q: View;
  /** `[B, Hkv, Lk, D]`; query head h reads key/value head `floor(h / (H / Hkv))`. */
  k: View;
  /** `[B, Hkv, Lk, Dv]`. */
  v: View;
  /** Additive float mask `[B, H, Lq, Lk]` (stride 0 where broadcast) or null. */
  mask: View | null;
  scale: number;
  /** Contiguous `[B, H, Lq, Dv] = softmax(q k^T * scale + mask) v`; rows with every key masked get zeros. */
  out: Storage;
  /** `[B, H, Lq]` logsumexp of each score row (-Infinity for a fully masked row). */
  lse: Storage;
}

/** Arguments of the `sumColumns` override. */
export interface SumColumnsArgs {
  /** Contiguous input `[rows, cols]` starting at `offset` (float32 or float64). */
  x: Storage;
  offset: number;
  rows: number;
  cols: number;
  /** `[cols]`: `out[c] = sum_r x[r, c]` (0 when `rows` is 0). */
  out: Storage;
}

/** Arguments of the `rope` override (rotary position embeddings in the halves layout). */
export interface RopeArgs {
  /** Input of any rank with an even last dim `2h`, any strides. */
  x: View;
  /** `x`'s shape (stride 0 where broadcast). */
  cos: View;
  /** `x`'s shape (stride 0 where broadcast). */
  sin: View;
  /**
   * Contiguous, `x`'s shape. With `j` the element of the other half at the same offset
   * (last-dim index `c +- h`): `out_i = x_i cos_i + x_j sin_i`, or with `transpose`
   * `out_i = x_i cos_i + x_j sin_j` (the adjoint, which the backward uses).
   */
  out: Storage;
  transpose: boolean;
}

/**
 * Optional fused kernels for composite ops. The front end uses one when the backend offers it and
 * composes the same maths from the required kernels otherwise (see `ops/overrides.ts`).
 */
export interface BackendOverrides {
  /** Softmax or log-softmax of each row. */
  softmax?(args: SoftmaxArgs): void;
  /** Logsumexp of each row. */
  logsumexp?(args: LogsumexpArgs): void;
  /** LayerNorm forward with saved statistics. */
  layerNorm?(args: LayerNormArgs): void;
  /** RMSNorm forward with the saved `rstd`. */
  rmsNorm?(args: RmsNormArgs): void;
  /** LayerNorm backward. */
  layerNormBackward?(args: LayerNormBackwardArgs): void;
  /** RMSNorm backward. */
  rmsNormBackward?(args: RmsNormBackwardArgs): void;
  /** Cross-entropy rows and their logsumexps (used only with `crossEntropyBackward`). */
  crossEntropy?(args: CrossEntropyArgs): void;
  /** Gradient of the cross-entropy rows. */
  crossEntropyBackward?(args: CrossEntropyBackwardArgs): void;
  /** Attention forward; returns false, writing nothing, to decline a case (the front end composes it). */
  attention?(args: AttentionArgs): boolean;
  /** Rotary embedding `x cos + swapHalves(x) sin` (or its adjoint) in one pass. */
  rope?(args: RopeArgs): void;
  /** Sum over the rows of a contiguous block (a reduction over leading dims, such as a bias gradient) without transposing it. */
  sumColumns?(args: SumColumnsArgs): void;
}

/** Names of the optional overrides. */
export type OverrideName = keyof BackendOverrides;

/**
 * The storages each kernel writes, by argument name (for the compiler's dependency analysis):
 * required kernels by position, overrides by field of their argument object.
 */
export const KERNEL_OUTPUTS: Readonly<Record<string, readonly string[]>> = {
  elementwise: ['outputs'],
  reduce: ['out'],
  matmul: ['out'],
  gather: ['out'],
  scatterAdd: ['target'],
  softmax: ['out'],
  logsumexp: ['out'],
  layerNorm: ['out', 'mean', 'rstd'],
  rmsNorm: ['out', 'rstd'],
  layerNormBackward: ['dx', 'dweight', 'dbias'],
  rmsNormBackward: ['dx', 'dweight'],
  crossEntropy: ['stats'],
  crossEntropyBackward: ['dx'],
  attention: ['out', 'lse'],
  rope: ['out'],
  sumColumns: ['out'],
};

// ------------------------------------------------------------------------------------ contract

/** The memory services and the required kernels a backend implements. */
export interface Backend {
  /** Short name ('cpu', 'webgpu'). */
  readonly name: string;
  /** What device this backend runs on. */
  readonly info: BackendInfo;
  /** Fused kernels this backend offers for composite ops (any subset, or none). */
  readonly overrides?: BackendOverrides;
  /** Most distinct storages one `elementwise` call may bind (inputs and outputs); unlimited when absent. */
  readonly maxElementwiseOperands?: number;
  /** Dtypes this backend can store. */
  supportsDType(dtype: DType): boolean;

  // ---- memory ----
  /** A new storage of `size` elements; contents are undefined (fill it before reading). */
  allocate(size: number, dtype: DType): Storage;
  /** A new storage holding a copy of `data`. */
  upload(data: TypedArray, dtype: DType): Storage;
  /** Release a storage (to the pool or the allocator). Using it afterwards is an error. */
  release(storage: Storage): void;
  /** Read a whole storage back to the host. Waits for queued work that writes it. */
  read(storage: Storage): Promise<TypedArray>;
  /** Synchronous read where the backend can (CPU); undefined otherwise. */
  readSync?(storage: Storage): TypedArray;
  /** Overwrite a whole storage from host data of the same length. */
  write(storage: Storage, data: TypedArray): void;
  /** Memory counters. */
  memory(): BackendMemory;
  /** Submit queued work now (no-op for synchronous backends). */
  flush(): void;
  /** Wait until all submitted work has completed. */
  sync(): Promise<void>;
  /** Free every resource and the device itself. The backend is unusable afterwards. */
  destroy(): void;

  // ---- kernels ----
  /**
   * Evaluate `program` at every element of the common shape of `inputs` and `outputs`:
   * `outputs[k][idx] = program.outputs[k](inputs[0][idx], ...)`, with runtime scalar `i` taken from
   * `scalars[i]` (converted to its node's dtype). Output dtypes equal the program's output dtypes.
   */
  elementwise(program: Program, inputs: readonly View[], outputs: readonly View[], scalars: ArrayLike<number>): void;
  /** Reduce each row of contiguous `x [rows, cols]` (starting at `offset`) into `out [rows]` (argmax writes int32; first occurrence; NaN counts as the max). */
  reduce(op: ReduceOp, x: Storage, offset: number, rows: number, cols: number, out: Storage): void;
  /** Batched `out[b] = a[b] @ b[b]` for views `a [B, M, K]`, `b [B, K, N]`; out contiguous `[B, M, N]`. */
  matmul(a: View, b: View, out: Storage): void;
  /**
   * Gather along the middle axis: `out[o, j, i] = x[o, index[o, j, i], i]` for
   * `x [O, Dx, I]`, `index [O, Dj, I]` (int32, stride 0 allowed); out contiguous `[O, Dj, I]`.
   * Indices out of `[0, Dx)` are an error where the backend can detect it (CPU throws).
   */
  gather(x: View, index: View, out: Storage): void;
  /**
   * Scatter-add along the middle axis, accumulating into `target [O, Dt, I]` (contiguous):
   * `target[o, index[o, j, i], i] += src[o, j, i]` for `index, src [O, Dj, I]`.
   */
  scatterAdd(target: Storage, index: View, src: View): void;
}
