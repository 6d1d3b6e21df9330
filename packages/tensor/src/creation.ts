/** Tensor factories: from values, constants, ranges, and seeded random tensors. */
import type { Backend, DType, TypedArray } from './backend.js';
import { Tensor, allocTensor, fromStorage, type NestedArray } from './tensor.js';
import { checkShape, fmtShape, numel, type Shape } from './shape.js';
import { Generator, getDefaultGenerator } from './random.js';
import { getDefaultBackend } from './default-backend.js';
import { uploadStorage } from './runtime/dispatch.js';
import { fillKernel } from './runtime/kernels.js';

/** Options shared by the factories. */
export interface CreateOptions {
  /** Element type (default float32, or int32 for Int32Array input). */
  dtype?: DType;
  /** Backend (default: `getDefaultBackend()`). */
  backend?: Backend;
  /** Mark the new (leaf) tensor as requiring gradients. */
  requiresGrad?: boolean;
}

/** Options of the random factories. */
export interface RandomOptions extends CreateOptions {
  /** Random stream (default: the global generator, see `manualSeed`). */
  generator?: Generator;
}

function finalize(t: Tensor, opts: CreateOptions | undefined): Tensor {
  if (opts?.requiresGrad) t.requiresGrad_(true);
  return t;
}

function hostArray(dtype: DType, n: number): TypedArray {
  return dtype === 'int32' ? new Int32Array(n) : dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

function upload(values: TypedArray, shape: Shape, dtype: DType, opts: CreateOptions | undefined): Tensor {
  const backend = opts?.backend ?? getDefaultBackend();
  if (!backend.supportsDType(dtype)) throw new Error(`tensor: backend ${backend.name} does not support dtype ${dtype}`);
  const data = values.constructor === hostArray(dtype, 0).constructor ? values : convert(values, dtype);
  return finalize(fromStorage(uploadStorage(backend, data, dtype), shape), opts);
}

function convert(values: ArrayLike<number>, dtype: DType): TypedArray {
  const out = hostArray(dtype, values.length);
  if (dtype === 'int32') for (let i = 0; i < values.length; i++) out[i] = Math.trunc(values[i]!);
  else out.set(values as ArrayLike<number>);
  return out;
}

function inferShape(v: NestedArray, shape: number[] = []): number[] {
  if (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length > 0) inferShape(v[0]!, shape);
  }
  return shape;
}

function flattenInto(v: NestedArray, shape: number[], depth: number, out: number[]): void {
  if (depth === shape.length) {
    if (Array.isArray(v)) throw new Error(`tensor: ragged nested array: expected a number at depth ${depth}, got an array`);
    out.push(typeof v === 'boolean' ? (v ? 1 : 0) : v);
    return;
  }
  if (!Array.isArray(v) || v.length !== shape[depth]) {
    throw new Error(`tensor: ragged nested array: expected length ${shape[depth]} at depth ${depth}, got ${Array.isArray(v) ? v.length : typeof v}`);
  }
  for (const e of v) flattenInto(e, shape, depth + 1, out);
}

/**
 * A tensor from nested arrays (`tensor([[1, 2], [3, 4]])`) or a typed/plain array plus
 * `shape`. dtype defaults to int32 for an Int32Array and float32 otherwise (a Float64Array
 * becomes float32 unless `dtype: 'float64'` is asked for).
 */
export function tensor(values: NestedArray | TypedArray | readonly number[], opts: CreateOptions & { shape?: Shape } = {}): Tensor {
  let flat: ArrayLike<number>;
  let shape: number[];
  if (ArrayBuffer.isView(values)) {
    flat = values as TypedArray;
    shape = opts.shape ? [...opts.shape] : [flat.length];
  } else if (opts.shape && Array.isArray(values) && values.every((v) => typeof v === 'number')) {
    flat = values as number[];
    shape = [...opts.shape];
  } else {
    shape = inferShape(values as NestedArray);
    const out: number[] = [];
    flattenInto(values as NestedArray, shape, 0, out);
    flat = out;
    if (opts.shape && numel(opts.shape) === out.length) shape = [...opts.shape];
  }
  checkShape('tensor', shape);
  if (numel(shape) !== flat.length) throw new Error(`tensor: ${flat.length} values do not fill shape ${fmtShape(shape)} (${numel(shape)} elements)`);
  const dtype = opts.dtype ?? (values instanceof Int32Array ? 'int32' : 'float32');
  const host = ArrayBuffer.isView(flat) && flat.constructor === hostArray(dtype, 0).constructor ? (flat as TypedArray).slice() : convert(flat, dtype);
  return upload(host, shape, dtype, opts);
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: Shape, value: number, opts: CreateOptions = {}): Tensor {
  checkShape('full', shape);
  const backend = opts.backend ?? getDefaultBackend();
  const t = allocTensor(backend, shape, opts.dtype ?? 'float32');
  if (t.size > 0) fillKernel(backend, t._slab.storage, value);
  return finalize(t, opts);
}

/** Zeros. */
export function zeros(shape: Shape, opts: CreateOptions = {}): Tensor {
  return full(shape, 0, opts);
}

/** Ones. */
export function ones(shape: Shape, opts: CreateOptions = {}): Tensor {
  return full(shape, 1, opts);
}

function likeOpts(t: Tensor, opts: CreateOptions): CreateOptions {
  return { dtype: opts.dtype ?? t.dtype, backend: opts.backend ?? t.backend, requiresGrad: opts.requiresGrad };
}

/** Zeros with t's shape, dtype and backend. */
export function zerosLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return full(t.shape, 0, likeOpts(t, opts));
}

/** Ones with t's shape, dtype and backend. */
export function onesLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return full(t.shape, 1, likeOpts(t, opts));
}

/** `value` with t's shape, dtype and backend. */
export function fullLike(t: Tensor, value: number, opts: CreateOptions = {}): Tensor {
  return full(t.shape, value, likeOpts(t, opts));
}

/** `[start, end)` in steps of `step` (`arange(n)` is 0..n-1). int32 when all arguments are integers. */
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  if (step === 0 || !Number.isFinite(step)) throw new Error(`arange: step must be a non-zero finite number, got ${step}`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const dtype = opts.dtype ?? (Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step) ? 'int32' : 'float32');
  const host = hostArray(dtype, n);
  for (let i = 0; i < n; i++) host[i] = start + i * step;
  return upload(host, [n], dtype, opts);
}

/** `steps` evenly spaced values from `start` to `end` inclusive. */
export function linspace(start: number, end: number, steps: number, opts: CreateOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`linspace: steps must be a non-negative integer, got ${steps}`);
  const dtype = opts.dtype ?? 'float32';
  const host = hostArray(dtype, steps);
  const d = steps > 1 ? (end - start) / (steps - 1) : 0;
  // Symmetric formula (as PyTorch): first half from start, second half from end.
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) host[i] = i < half ? start + i * d : end - (steps - 1 - i) * d;
  return upload(host, [steps], dtype, opts);
}

/** Identity matrix `n x m` (m defaults to n). */
export function eye(n: number, m = n, opts: CreateOptions = {}): Tensor {
  checkShape('eye', [n, m]);
  const dtype = opts.dtype ?? 'float32';
  const host = hostArray(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) host[i * m + i] = 1;
  return upload(host, [n, m], dtype, opts);
}

function randomHost(shape: Shape, dtype: DType, fill: (i: number) => number): TypedArray {
  const host = hostArray(dtype, numel(shape));
  for (let i = 0; i < host.length; i++) host[i] = fill(i);
  return host;
}

/** Uniform [0, 1) values from a seeded generator. */
export function rand(shape: Shape, opts: RandomOptions = {}): Tensor {
  checkShape('rand', shape);
  const g = opts.generator ?? getDefaultGenerator();
  const dtype = opts.dtype ?? 'float32';
  return upload(randomHost(shape, dtype, () => g.uniform()), shape, dtype, opts);
}

/** Standard normal values from a seeded generator. */
export function randn(shape: Shape, opts: RandomOptions = {}): Tensor {
  checkShape('randn', shape);
  const g = opts.generator ?? getDefaultGenerator();
  const dtype = opts.dtype ?? 'float32';
  return upload(randomHost(shape, dtype, () => g.normal()), shape, dtype, opts);
}

/** Uniform integers in [low, high) (int32). */
export function randint(low: number, high: number, shape: Shape, opts: RandomOptions = {}): Tensor {
  checkShape('randint', shape);
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) throw new Error(`randint: need integers low < high, got low=${low} high=${high}`);
  const g = opts.generator ?? getDefaultGenerator();
  const dtype = opts.dtype ?? 'int32';
  return upload(randomHost(shape, dtype, () => low + g.int(high - low)), shape, dtype, opts);
}

/** A random permutation of 0..n-1 (int32). */
export function randperm(n: number, opts: RandomOptions = {}): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new Error(`randperm: n must be a non-negative integer, got ${n}`);
  const g = opts.generator ?? getDefaultGenerator();
  return upload(g.permutation(n), [n], 'int32', { ...opts, dtype: 'int32' });
}

/**
 * 1 with probability `p`, else 0. `p` is a number (with `shape`) or a tensor of per-element
 * probabilities (the result has its shape, dtype and backend). Draws one uniform per element.
 */
export function bernoulli(p: number | Tensor, shape: Shape = [], opts: RandomOptions = {}): Tensor {
  if (typeof p === 'number') {
    if (!(p >= 0 && p <= 1)) throw new Error(`bernoulli: p must be in [0, 1], got ${p}`);
    checkShape('bernoulli', shape);
    const g = opts.generator ?? getDefaultGenerator();
    const dtype = opts.dtype ?? 'float32';
    return upload(randomHost(shape, dtype, () => (g.uniform() < p ? 1 : 0)), shape, dtype, opts);
  }
  const u = rand(p.shape, { backend: p.backend, dtype: p.dtype === 'int32' ? 'float32' : p.dtype, generator: opts.generator });
  const hit = u.lt(p);
  u.dispose();
  const out = hit.cast(opts.dtype ?? (p.dtype === 'int32' ? 'float32' : p.dtype));
  hit.dispose();
  return out;
}

/** Uniform [0,1) with t's shape/dtype/backend. */
export function randLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  return rand(t.shape, { ...likeOpts(t, opts), generator: opts.generator });
}

/** Standard normal with t's shape/dtype/backend. */
export function randnLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  return randn(t.shape, { ...likeOpts(t, opts), generator: opts.generator });
}
