/**
 * The `Tensor` class: a strided view onto reference-counted backend storage, plus autograd state.
 * Op implementations live in `ops/`; the methods here are thin, documented entry points.
 */
import type { Backend, DType, Storage, TypedArray, View } from './backend.js';
import { GradNode, runBackward } from './autograd.js';
import { track, untrack, type ScopedResource } from './scope.js';
import { contiguousStrides, fmtShape, isContiguous, numel, type Shape } from './shape.js';
import * as ew from './ops/elementwise.js';
import * as red from './ops/reduce.js';
import * as vw from './ops/views.js';
import * as la from './ops/linalg.js';
import * as ix from './ops/indexing.js';
import * as nnops from './ops/nn.js';
import { checkPendingNumerics } from './debug.js';
import { allocStorage, readStorage, readStorageSync, releaseStorage, uploadStorage, type ScalarLike } from './runtime/dispatch.js';
import { fillKernel } from './runtime/kernels.js';

/** Reference-counted storage shared by a tensor and its views. */
export class Slab {
  refs = 1;
  constructor(readonly storage: Storage) {}
  /** Add a reference. */
  retain(): this {
    this.refs++;
    return this;
  }
  /** Drop a reference; at zero the storage goes back to its backend. */
  release(): void {
    if (--this.refs === 0) releaseStorage(this.storage);
  }
}

let liveTensors = 0;
let nextId = 1;

/** Number of tensors created and not yet disposed (all backends). */
export function liveTensorCount(): number {
  return liveTensors;
}

/** A scalar or a tensor: what binary ops accept as their second operand. */
export type TensorOrScalar = Tensor | number;

/** Nested arrays of numbers, any depth. */
export type NestedArray = number | boolean | NestedArray[];

/** An n-dimensional array on a backend, with PyTorch-style autograd. */
export class Tensor implements ScopedResource {
  /** Unique id (for debugging). */
  readonly id = nextId++;
  /** Whether gradients are tracked for this tensor. Set on leaves (parameters). */
  requiresGrad = false;
  /** Accumulated gradient of a leaf after `backward()`. */
  grad: Tensor | null = null;
  /** Optional name, used in debug messages. */
  name?: string;
  /** @internal tape node that produced this tensor. */
  _node: GradNode | null = null;
  /** @internal owning tidy scope. */
  _scope: Set<ScopedResource> | null = null;
  private disposed = false;

  /** @internal use the factories (`tensor`, `zeros`, ...) or ops instead. */
  constructor(
    /** @internal */ public _slab: Slab,
    /** Sizes per dimension. */
    readonly shape: readonly number[],
    /** Element strides per dimension. */
    readonly strides: readonly number[],
    /** Offset of the first element in the storage, in elements. */
    readonly offset: number,
  ) {
    liveTensors++;
    track(this);
  }

  /** Element type. */
  get dtype(): DType {
    return this._slab.storage.dtype;
  }
  /** The backend that owns the storage. */
  get backend(): Backend {
    return this._slab.storage.backend;
  }
  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }
  /** Number of dimensions (alias of `rank`). */
  get ndim(): number {
    return this.shape.length;
  }
  /** Number of elements. */
  get size(): number {
    return numel(this.shape);
  }
  /** True once disposed. */
  get isDisposed(): boolean {
    return this.disposed;
  }
  /** True when the elements are laid out row-major without gaps from `offset`. */
  get isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }
  /** True for tensors created by the user (not by a recorded op). */
  get isLeaf(): boolean {
    return this._node === null;
  }
  /** @internal the kernel view of this tensor. */
  get view_(): View {
    this.assertAlive('view');
    return { storage: this._slab.storage, shape: this.shape, strides: this.strides, offset: this.offset };
  }

  /** @internal throw if disposed. */
  assertAlive(op: string): void {
    if (this.disposed) throw new Error(`${op}: tensor ${this.name ?? `#${this.id}`} ${fmtShape(this.shape)} was disposed`);
  }

  // ------------------------------------------------------------------ lifetime

  /** Free this handle (its storage is freed when no other view uses it). Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    liveTensors--;
    untrack(this);
    this._slab.release();
    if (this._node) {
      this._node.decref();
      this._node = null;
    }
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }

  /** `using t = ...` support. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ------------------------------------------------------------------ data access

  /** Read the values (row-major, a fresh typed array). Waits for queued device work. */
  async data(): Promise<TypedArray> {
    this.assertAlive('data');
    await checkPendingNumerics();
    if (this.isContiguous && this.offset === 0 && this._slab.storage.size === this.size) {
      return readStorage(this._slab.storage);
    }
    const c = vw.contiguousRaw(this, true);
    try {
      const all = await readStorage(c._slab.storage);
      return all.length === this.size ? all : all.slice(0, this.size);
    } finally {
      c.dispose();
    }
  }

  /** Synchronous read; only on backends that can (the CPU backend). */
  dataSync(): TypedArray {
    this.assertAlive('dataSync');
    const b = this.backend;
    if (!b.readSync) throw new Error(`dataSync: backend ${b.name} cannot read synchronously; use await t.data()`);
    if (this.isContiguous && this.offset === 0 && this._slab.storage.size === this.size) return readStorageSync(this._slab.storage);
    const c = vw.contiguousRaw(this, true);
    try {
      return readStorageSync(c._slab.storage).slice(0, this.size);
    } finally {
      c.dispose();
    }
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item: tensor has ${this.size} elements, shape ${fmtShape(this.shape)}; item() needs exactly one`);
    return (await this.data())[0]!;
  }

  /** Synchronous `item()` (CPU backend only). */
  itemSync(): number {
    if (this.size !== 1) throw new Error(`itemSync: tensor has ${this.size} elements, shape ${fmtShape(this.shape)}; itemSync() needs exactly one`);
    return this.dataSync()[0]!;
  }

  /** Values as nested arrays (a number for a scalar). */
  async tolist(): Promise<NestedArray> {
    return nest(await this.data(), this.shape);
  }

  /** Synchronous `tolist()` (CPU backend only). */
  tolistSync(): NestedArray {
    return nest(this.dataSync(), this.shape);
  }

  /** A copy of this tensor on another backend (reads back, uploads). */
  async toBackend(backend: Backend): Promise<Tensor> {
    if (backend === this.backend) return this.clone();
    if (!backend.supportsDType(this.dtype)) throw new Error(`toBackend: backend ${backend.name} does not support dtype ${this.dtype}`);
    const values = await this.data();
    const s = uploadStorage(backend, values, this.dtype);
    return fromStorage(s, this.shape);
  }

  /** Short description: `Tensor(float32 [2,3] cpu)`. */
  toString(): string {
    return `Tensor(${this.dtype} ${fmtShape(this.shape)} ${this.backend.name}${this.requiresGrad ? ' requiresGrad' : ''})`;
  }

  // ------------------------------------------------------------------ autograd

  /** Mark this (leaf) tensor as requiring gradients; returns this. */
  requiresGrad_(on = true): this {
    if (!this.isLeaf) throw new Error('requiresGrad_: only leaf tensors can change requiresGrad (use detach() first)');
    if (on && this.dtype === 'int32') throw new Error('requiresGrad_: only floating tensors can require gradients, got int32');
    this.requiresGrad = on;
    return this;
  }

  /** Back-propagate from this tensor, accumulating into the `.grad` of leaves. */
  backward(gradOutput?: Tensor, options: { retainGraph?: boolean } = {}): void {
    this.assertAlive('backward');
    runBackward(this, gradOutput, options.retainGraph ?? false, engineOps);
  }

  /** A new handle on the same storage, cut from the graph. */
  detach(): Tensor {
    this.assertAlive('detach');
    return new Tensor(this._slab.retain(), this.shape, this.strides, this.offset);
  }

  /** Clear the gradient (disposing it). */
  zeroGrad(): void {
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }

  /**
   * Replace this tensor's contents with `value` (same shape; cast to this dtype), in place and
   * without recording. For optimizers and EMA updates; views of this tensor see the change.
   */
  assign(value: Tensor): this {
    this.assertAlive('assign');
    vw.assignInPlace(this, value);
    return this;
  }

  // ------------------------------------------------------------------ elementwise
  /** Elementwise sum (broadcasting; a number or host scalar is a kernel scalar). */ add(o: Tensor | ScalarLike): Tensor { return ew.add(this, o); }
  /** Elementwise difference (broadcasting). */ sub(o: Tensor | ScalarLike): Tensor { return ew.sub(this, o); }
  /** Elementwise product (broadcasting). */ mul(o: Tensor | ScalarLike): Tensor { return ew.mul(this, o); }
  /** Elementwise true division (broadcasting; ints promote to float32). */ div(o: Tensor | ScalarLike): Tensor { return ew.div(this, o); }
  /** Elementwise power (broadcasting). */ pow(o: TensorOrScalar): Tensor { return ew.pow(this, o); }
  /** Elementwise maximum (ties split the gradient). */ maximum(o: TensorOrScalar): Tensor { return ew.maximum(this, o); }
  /** Elementwise minimum (ties split the gradient). */ minimum(o: TensorOrScalar): Tensor { return ew.minimum(this, o); }
  /** Elementwise atan2(this, o). */ atan2(o: TensorOrScalar): Tensor { return ew.atan2(this, o); }
  /** -x. */ neg(): Tensor { return ew.unary('neg', this); }
  /** |x|. */ abs(): Tensor { return ew.unary('abs', this); }
  /** sign(x) (0 at 0). */ sign(): Tensor { return ew.unary('sign', this); }
  /** e^x. */ exp(): Tensor { return ew.unary('exp', this); }
  /** Natural log. */ log(): Tensor { return ew.unary('log', this); }
  /** Square root. */ sqrt(): Tensor { return ew.unary('sqrt', this); }
  /** 1 / sqrt(x). */ rsqrt(): Tensor { return ew.unary('rsqrt', this); }
  /** 1 / x. */ reciprocal(): Tensor { return ew.unary('reciprocal', this); }
  /** x^2. */ square(): Tensor { return ew.unary('square', this); }
  /** sin(x). */ sin(): Tensor { return ew.unary('sin', this); }
  /** cos(x). */ cos(): Tensor { return ew.unary('cos', this); }
  /** tanh(x). */ tanh(): Tensor { return ew.unary('tanh', this); }
  /** erf(x). */ erf(): Tensor { return ew.unary('erf', this); }
  /** Logistic sigmoid. */ sigmoid(): Tensor { return ew.unary('sigmoid', this); }
  /** max(x, 0). */ relu(): Tensor { return ew.unary('relu', this); }
  /** GELU, exact (erf) by default or the tanh approximation. */ gelu(approximate: 'none' | 'tanh' = 'none'): Tensor { return ew.unary(approximate === 'tanh' ? 'gelu_tanh' : 'gelu', this); }
  /** x * sigmoid(x). */ silu(): Tensor { return ew.unary('silu', this); }
  /** log(1 + e^x), stable. */ softplus(): Tensor { return ew.unary('softplus', this); }
  /** Round down. */ floor(): Tensor { return ew.unary('floor', this); }
  /** Round up. */ ceil(): Tensor { return ew.unary('ceil', this); }
  /** Round half to even. */ round(): Tensor { return ew.unary('round', this); }
  /** Clamp into [min, max] (either may be undefined). */ clamp(min?: number, max?: number): Tensor { return ew.clamp(this, min, max); }
  /** 1 where NaN (int32). */ isnan(): Tensor { return ew.unary('isnan', this); }
  /** 1 where +-Inf (int32). */ isinf(): Tensor { return ew.unary('isinf', this); }
  /** Logical not: 1 where x == 0 (int32). */ logicalNot(): Tensor { return ew.unary('not', this); }
  /** Logical and (int32 0/1). */ logicalAnd(o: TensorOrScalar): Tensor { return ew.compare('and', this, o); }
  /** Logical or (int32 0/1). */ logicalOr(o: TensorOrScalar): Tensor { return ew.compare('or', this, o); }
  /** x == o (int32 0/1). */ eq(o: TensorOrScalar): Tensor { return ew.compare('eq', this, o); }
  /** x != o (int32 0/1). */ ne(o: TensorOrScalar): Tensor { return ew.compare('ne', this, o); }
  /** x < o (int32 0/1). */ lt(o: TensorOrScalar): Tensor { return ew.compare('lt', this, o); }
  /** x <= o (int32 0/1). */ le(o: TensorOrScalar): Tensor { return ew.compare('le', this, o); }
  /** x > o (int32 0/1). */ gt(o: TensorOrScalar): Tensor { return ew.compare('gt', this, o); }
  /** x >= o (int32 0/1). */ ge(o: TensorOrScalar): Tensor { return ew.compare('ge', this, o); }
  /** Elementwise select: `cond ? this : other`. */ where(cond: Tensor, other: TensorOrScalar): Tensor { return ew.where(cond, this, other); }
  /** Convert to another dtype (float to int truncates toward zero). */ cast(dtype: DType): Tensor { return ew.cast(this, dtype); }
  /** Cast to float32. */ float(): Tensor { return ew.cast(this, 'float32'); }
  /** Cast to int32. */ int(): Tensor { return ew.cast(this, 'int32'); }

  // ------------------------------------------------------------------ reductions
  /** Sum over dims (all by default). */ sum(dim?: number | number[], keepdim = false): Tensor { return red.sum(this, dim, keepdim); }
  /** Mean over dims (all by default). */ mean(dim?: number | number[], keepdim = false): Tensor { return red.mean(this, dim, keepdim); }
  /** Variance with Bessel's correction by default (`correction` 1). */ var(dim?: number | number[], keepdim = false, correction = 1): Tensor { return red.variance(this, dim, keepdim, correction); }
  /** Standard deviation (`correction` 1 by default). */ std(dim?: number | number[], keepdim = false, correction = 1): Tensor { return red.variance(this, dim, keepdim, correction).sqrt(); }
  /** Product over dims. */ prod(dim?: number | number[], keepdim = false): Tensor { return red.prod(this, dim, keepdim); }
  /** Max over dims (gradient split evenly between ties). */ max(dim?: number | number[], keepdim = false): Tensor { return red.extreme('max', this, dim, keepdim); }
  /** Min over dims (gradient split evenly between ties). */ min(dim?: number | number[], keepdim = false): Tensor { return red.extreme('min', this, dim, keepdim); }
  /** Index of the max along a dim (first occurrence; flattened when dim is undefined). int32. */ argmax(dim?: number, keepdim = false): Tensor { return red.argExtreme('argmax', this, dim, keepdim); }
  /** Index of the min along a dim (first occurrence). int32. */ argmin(dim?: number, keepdim = false): Tensor { return red.argExtreme('argmin', this, dim, keepdim); }
  /** log(sum(exp(x))) over dims, stable. */ logsumexp(dim?: number | number[], keepdim = false): Tensor { return red.logsumexp(this, dim, keepdim); }
  /** Softmax along `dim` (default last). */ softmax(dim = -1): Tensor { return nnops.softmax(this, dim, false); }
  /** Log-softmax along `dim` (default last). */ logSoftmax(dim = -1): Tensor { return nnops.softmax(this, dim, true); }

  // ------------------------------------------------------------------ linear algebra
  /** Matrix product with PyTorch's 1-D, batched and broadcast rules. */ matmul(o: Tensor): Tensor { return la.matmul(this, o); }

  // ------------------------------------------------------------------ views and shape
  /** View with a new shape (copies only when the layout requires; one dim may be -1). */ reshape(...shape: (number | number[])[]): Tensor { return vw.reshape(this, flatArgs(shape)); }
  /** View with a new shape; throws when a copy would be needed. */ view(...shape: (number | number[])[]): Tensor { return vw.view(this, flatArgs(shape)); }
  /** Reorder dimensions (a view). */ permute(...dims: (number | number[])[]): Tensor { return vw.permute(this, flatArgs(dims)); }
  /** Swap two dimensions (a view; default the last two). */ transpose(d0 = -2, d1 = -1): Tensor { return vw.transpose(this, d0, d1); }
  /** Matrix transpose of a 2-D tensor (a view). */ get T(): Tensor { return vw.transpose(this, 0, Math.min(1, this.rank - 1)); }
  /** Broadcast to a larger shape (a view; -1 keeps a size). */ expand(...shape: (number | number[])[]): Tensor { return vw.expand(this, flatArgs(shape)); }
  /** Broadcast like another tensor. */ expandAs(o: Tensor): Tensor { return vw.expand(this, [...o.shape]); }
  /** Slice `start:end:step` along `dim` (negative indices allowed; a view). */ slice(dim: number, start?: number, end?: number, step = 1): Tensor { return vw.slice(this, dim, start, end, step); }
  /** `length` elements from `start` along `dim` (a view). */ narrow(dim: number, start: number, length: number): Tensor { return vw.slice(this, dim, start, start + length, 1); }
  /** Index `i` along `dim`, removing the dim (a view). */ select(dim: number, index: number): Tensor { return vw.select(this, dim, index); }
  /** Remove size-1 dims (all, or the given ones). */ squeeze(dim?: number | number[]): Tensor { return vw.squeeze(this, dim); }
  /** Insert a size-1 dim. */ unsqueeze(dim: number): Tensor { return vw.unsqueeze(this, dim); }
  /** Flatten dims `start..end` into one. */ flatten(start = 0, end = -1): Tensor { return vw.flatten(this, start, end); }
  /** A contiguous tensor with the same values (this, if already contiguous). */ contiguous(): Tensor { return vw.contiguous(this); }
  /** A contiguous copy (differentiable). */ clone(): Tensor { return vw.clone(this); }
  /** Split into chunks of `size` (or the given sizes) along `dim` (views). */ split(size: number | number[], dim = 0): Tensor[] { return vw.split(this, size, dim); }
  /** Split into `n` nearly equal chunks along `dim` (views). */ chunk(n: number, dim = 0): Tensor[] { return vw.chunk(this, n, dim); }

  // ------------------------------------------------------------------ indexing
  /** PyTorch `gather`: `out[..i..] = x[..index[..i..]..]` along `dim`. */ gather(dim: number, index: Tensor): Tensor { return ix.gather(this, dim, index); }
  /** Rows (or slices along `dim`) picked by a 1-D int32 index. */ indexSelect(dim: number, index: Tensor): Tensor { return ix.indexSelect(this, dim, index); }
  /** Out-of-place scatter-add: `out = this; out[..index..] += src` along `dim`. */ scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return ix.scatterAdd(this, dim, index, src); }

  // ------------------------------------------------------------------ nn helpers
  /** Dropout with probability `p` (identity when `training` is false). */ dropout(p: number, training = true, generator?: import('./random.js').Generator): Tensor { return nnops.dropout(this, p, training, generator); }
}

/** Flatten `reshape(2, 3)` / `reshape([2, 3])` argument forms. */
function flatArgs(args: (number | number[])[]): number[] {
  return args.length === 1 && Array.isArray(args[0]) ? [...args[0]] : (args as number[]);
}

/** Nest a flat array into the given shape. */
export function nest(values: ArrayLike<number>, shape: Shape): NestedArray {
  if (shape.length === 0) return values[0]!;
  let pos = 0;
  const build = (d: number): NestedArray[] => {
    const out: NestedArray[] = [];
    for (let i = 0; i < shape[d]!; i++) {
      if (d === shape.length - 1) out.push(values[pos++]!);
      else out.push(build(d + 1));
    }
    return out;
  };
  return build(0);
}

/** @internal a contiguous tensor over a fresh storage. */
export function fromStorage(storage: Storage, shape: Shape): Tensor {
  return new Tensor(new Slab(storage), [...shape], contiguousStrides(shape), 0);
}

/** @internal allocate an uninitialised contiguous tensor. */
export function allocTensor(backend: Backend, shape: Shape, dtype: DType): Tensor {
  if (!backend.supportsDType(dtype)) throw new Error(`allocate: backend ${backend.name} does not support dtype ${dtype}`);
  return fromStorage(allocStorage(backend, numel(shape), dtype), shape);
}

/** @internal a view sharing `base`'s storage. */
export function makeView(base: Tensor, shape: Shape, strides: readonly number[], offset: number): Tensor {
  base.assertAlive('view');
  return new Tensor(base._slab.retain(), [...shape], [...strides], offset);
}

const engineOps = {
  add: (a: Tensor, b: Tensor) => ew.add(a, b),
  share: (t: Tensor) => makeView(t, t.shape, t.strides, t.offset),
  onesLike: (t: Tensor) => {
    const o = allocTensor(t.backend, t.shape, t.dtype);
    fillKernel(t.backend, o._slab.storage, 1);
    return o;
  },
  accumulateLeaf: (leaf: Tensor, g: Tensor) => {
    if (leaf.isDisposed) {
      g.dispose();
      throw new Error(`backward: leaf tensor ${leaf.name ?? `#${leaf.id}`} ${fmtShape(leaf.shape)} was disposed before backward`);
    }
    // A view or foreign-dtype gradient becomes one contiguous tensor of the leaf's dtype; every
    // intermediate copy is freed (only `gc` survives).
    let gc = g.isContiguous ? g : vw.contiguous(g);
    if (gc.dtype !== leaf.dtype) {
      const cast = ew.cast(gc, leaf.dtype);
      if (gc !== g) gc.dispose();
      gc = cast;
    }
    if (gc !== g) g.dispose();
    untrack(gc);
    if (leaf.grad) {
      const sum = ew.add(leaf.grad, gc);
      untrack(sum);
      leaf.grad.dispose();
      gc.dispose();
      leaf.grad = sum;
    } else {
      leaf.grad = gc;
    }
  },
  fmt: fmtShape,
};
