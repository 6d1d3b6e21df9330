/**
 * The backend contract.
 *
 * A backend owns memory and kernels; the `Tensor` front end owns shapes, broadcasting, views,
 * dtype promotion and autograd. Every kernel below writes a fresh or given output and never
 * modifies its inputs. Inputs are strided `View`s (views share storage, strides may be 0 for
 * broadcast dimensions, and may be any non-negative value for permuted views); outputs are
 * contiguous row-major storages unless a kernel says otherwise.
 *
 * The front end guarantees before calling a kernel:
 * - binary/where: every input view already has exactly the output shape (broadcasting is
 *   expressed as stride 0), and both inputs have the same dtype;
 * - reduce/softmax: the input is contiguous and reduced over its last axis;
 * - matmul: rank-3 views `[B, M, K] x [B, K, N]` (batch stride may be 0);
 * - gather/scatterAdd: rank-3 views split around the indexed dimension `[outer, dim, inner]`.
 *
 * A backend is tested against the CPU reference backend with the shared parity suite.
 */

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

/** A strided window onto a storage: what kernels read (and, for `copy`, write). */
export interface View {
  readonly storage: Storage;
  readonly shape: readonly number[];
  /** Element strides, one per dimension (0 for broadcast dimensions). */
  readonly strides: readonly number[];
  /** Offset of element [0, 0, ...] in elements. */
  readonly offset: number;
}

/** Elementwise one-input ops. `a`/`b` in `UnaryParams` parameterise the ones marked. */
export type UnaryOp =
  | 'neg'
  | 'abs'
  | 'sign'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'rsqrt'
  | 'reciprocal'
  | 'square'
  | 'sin'
  | 'cos'
  | 'tanh'
  | 'erf'
  | 'sigmoid'
  | 'relu'
  | 'gelu' // exact: x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2))
  | 'gelu_tanh' // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  | 'silu'
  | 'softplus' // log(1 + e^x), stable
  | 'floor'
  | 'ceil'
  | 'round' // half to even, as PyTorch
  | 'not' // 1 where x == 0 else 0 (int32 output)
  | 'add_scalar' // x + a
  | 'mul_scalar' // x * a
  | 'rsub_scalar' // a - x
  | 'rdiv_scalar' // a / x
  | 'pow_scalar' // x ^ a
  | 'rpow_scalar' // a ^ x
  | 'clamp' // min(max(x, a), b); a = -Infinity / b = Infinity for one-sided
  | 'isnan' // 1 if NaN (int32 output)
  | 'isinf'; // 1 if +-Inf (int32 output)

/** Parameters of the parameterised unary ops. */
export interface UnaryParams {
  a?: number;
  b?: number;
}

/**
 * Elementwise two-input ops. The `*_grad` ops are fused derivative kernels used by autograd:
 * `a` is the forward input x (or, where noted, the forward output y) and `b` the upstream
 * gradient g; the result is g * f'(.) .
 */
export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div' // float: IEEE; int32: truncation toward zero (the front end only sends floats)
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'atan2'
  | 'eq' // comparisons write int32 0/1
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge'
  | 'and' // logical, int32 0/1 out
  | 'or'
  | 'relu_grad' // a = x
  | 'gelu_grad' // a = x
  | 'gelu_tanh_grad' // a = x
  | 'silu_grad' // a = x
  | 'softplus_grad' // a = x
  | 'sigmoid_grad' // a = y = sigmoid(x)
  | 'tanh_grad' // a = y = tanh(x)
  | 'erf_grad'; // a = x

/** Ops that reduce the last axis of a contiguous `[rows, cols]` input into `[rows]`. */
export type ReduceOp = 'sum' | 'prod' | 'max' | 'min' | 'argmax' | 'argmin' | 'logsumexp';

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

/**
 * Optional fused kernels. A backend may offer any subset; the front end uses them when
 * present and otherwise composes the same maths from the required kernels.
 */
export interface FusedKernels {
  /**
   * LayerNorm over the last axis of contiguous `x [rows, cols]`; writes `out [rows, cols]`,
   * `mean [rows]` and `rstd [rows]`. `weight`/`bias` are `[cols]` or null.
   */
  layerNorm?(x: Storage, weight: Storage | null, bias: Storage | null, rows: number, cols: number, eps: number, out: Storage, mean: Storage, rstd: Storage): void;
  /** RMSNorm over the last axis: `out = x * rstd * weight`, writes `rstd [rows]`. */
  rmsNorm?(x: Storage, weight: Storage | null, rows: number, cols: number, eps: number, out: Storage, rstd: Storage): void;
  /**
   * LayerNorm backward over contiguous `x [rows, cols]` with the forward's `mean`/`rstd [rows]`
   * and upstream `grad [rows, cols]`: writes `dx [rows, cols]`
   * (`rstd * (gh - mean(gh) - xhat * mean(gh * xhat))`, `gh = grad * weight`), and, when not
   * null, `dweight [cols] = sum_rows(grad * xhat)` and `dbias [cols] = sum_rows(grad)`.
   */
  layerNormBackward?(
    x: Storage,
    mean: Storage,
    rstd: Storage,
    weight: Storage | null,
    grad: Storage,
    rows: number,
    cols: number,
    dx: Storage,
    dweight: Storage | null,
    dbias: Storage | null,
  ): void;
  /**
   * RMSNorm backward: `dx = rstd * (gh - xhat * mean(gh * xhat))` with `xhat = x * rstd`,
   * `gh = grad * weight`, and `dweight [cols] = sum_rows(grad * xhat)` when not null.
   */
  rmsNormBackward?(x: Storage, rstd: Storage, weight: Storage | null, grad: Storage, rows: number, cols: number, dx: Storage, dweight: Storage | null): void;
  /**
   * Cross-entropy rows of contiguous `logits [rows, cols]` against int32 `targets [rows]`.
   * Writes `stats [2 * rows]`: `stats[r]` is the loss of row r,
   * `(1 - s) * (lse_r - x[r, t_r]) + s * (lse_r - mean_c x[r, c])` with `s = labelSmoothing`,
   * or 0 where `t_r == ignoreIndex`; `stats[rows + r]` is `lse_r = logsumexp_c x[r, c]` for every
   * row. A target outside `[0, cols)` that is not `ignoreIndex` is an error where detectable.
   */
  crossEntropy?(logits: Storage, targets: Storage, rows: number, cols: number, ignoreIndex: number, labelSmoothing: number, stats: Storage): void;
  /**
   * Gradient of `crossEntropy` with respect to the logits, from the forward's `stats` and the
   * upstream `grad [2 * rows]` (of the losses, then of the logsumexps):
   * `dx[r, c] = grad[r] * (p - (1 - s) * [c == t_r] - s / cols) * valid_r + grad[rows + r] * p`
   * with `p = exp(x[r, c] - lse_r)`.
   */
  crossEntropyBackward?(
    logits: Storage,
    targets: Storage,
    stats: Storage,
    grad: Storage,
    rows: number,
    cols: number,
    ignoreIndex: number,
    labelSmoothing: number,
    dx: Storage,
  ): void;
  /**
   * Scaled dot-product attention forward for views `q [B, H, Lq, D]`, `k [B, Hkv, Lk, D]`,
   * `v [B, Hkv, Lk, Dv]` (any strides; query head h reads key/value head `floor(h / (H / Hkv))`)
   * and an optional additive float `mask` view of shape `[B, H, Lq, Lk]` (stride 0 where
   * broadcast). Writes contiguous `out [B, H, Lq, Dv] = softmax(q k^T * scale + mask) v` and
   * `lse [B, H, Lq]` (logsumexp of each score row). A row whose scores are all -Infinity gets
   * zeros in `out` and -Infinity in `lse`. Returns false, writing nothing, when the backend
   * declines this case (head size, device limits); the front end then composes it.
   */
  attention?(q: View, k: View, v: View, mask: View | null, scale: number, out: Storage, lse: Storage): boolean;
}

/** Names of the optional fused kernels. */
export type FusedKernelName = keyof FusedKernels;

/** The kernels and memory services a backend implements. */
export interface Backend extends FusedKernels {
  /** Short name ('cpu', 'webgpu'). */
  readonly name: string;
  /** What device this backend runs on. */
  readonly info: BackendInfo;
  /** Dtypes this backend can store. */
  supportsDType(dtype: DType): boolean;

  // ---- memory ----
  /** A new storage of `size` elements; contents are undefined (use `fill` to initialise). */
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
  /** Set every element of `out` to `value`. */
  fill(out: Storage, value: number): void;
  /** Copy (and cast, when dtypes differ) a strided view into another strided view of equal shape. */
  copy(src: View, dst: View): void;
  /** Elementwise `out = op(x)`; `out` is contiguous with x's shape. */
  unary(op: UnaryOp, x: View, out: Storage, params?: UnaryParams): void;
  /** Elementwise `out = op(a, b)`; a and b already have out's shape (stride-0 broadcast). */
  binary(op: BinaryOp, a: View, b: View, out: Storage): void;
  /** `out = cond != 0 ? a : b`; all three views have out's shape. */
  where(cond: View, a: View, b: View, out: Storage): void;
  /** Reduce each row of contiguous `x [rows, cols]` (starting at `offset`) into `out [rows]` (argmax/argmin write int32). */
  reduce(op: ReduceOp, x: Storage, offset: number, rows: number, cols: number, out: Storage): void;
  /** Softmax (or log-softmax) of each row of contiguous `x [rows, cols]` into `out`. */
  softmax(x: Storage, offset: number, rows: number, cols: number, out: Storage, log: boolean): void;
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
