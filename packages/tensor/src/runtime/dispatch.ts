/**
 * Every call from the front end into a backend goes through this module: memory (allocate,
 * upload, write, release, read) and kernels (the required primitives and the overrides). It is the
 * seam where `compile` records a traced function (see `compile/trace.ts`); outside a trace it adds
 * one null check per call.
 */
import type { Backend, BackendOverrides, DType, ReduceOp, Storage, TypedArray, View } from '../backend.js';
import type { Program } from '../expr/ir.js';

/** A scalar whose value is read from the host each time a kernel using it runs (an optimizer's bias correction, a scheduled learning rate). */
export class HostScalar {
  /** Wrap a getter; prefer `hostScalar(fn)`. */
  constructor(private readonly get: () => number) {}
  /** The current value. */
  get value(): number {
    return this.get();
  }
}

/**
 * A scalar operand computed by `fn` at every call: eagerly that is just `fn()`, but a function
 * compiled with `compile` re-reads it at each replay instead of freezing the traced value.
 */
export function hostScalar(fn: () => number): HostScalar {
  if (typeof fn !== 'function') throw new Error(`hostScalar: expected a function returning a number, got ${typeof fn}`);
  return new HostScalar(fn);
}

/** A scalar operand: a number (a constant of any trace) or a `HostScalar`. */
export type ScalarLike = number | HostScalar;

/** The numeric value of a scalar operand now. */
export function scalarOf(s: ScalarLike): number {
  return typeof s === 'number' ? s : s.value;
}

/** What a tracer sees (implemented by `compile`). */
export interface DispatchRecorder {
  allocate(storage: Storage): void;
  upload(storage: Storage, data: TypedArray): void;
  write(storage: Storage, data: TypedArray): void;
  release(storage: Storage): void;
  hostRead(storage: Storage): void;
  effect(fn: () => void): void;
  kernel(backend: Backend, method: string, args: readonly unknown[], scalars: readonly ScalarLike[] | null): void;
}

let recorder: DispatchRecorder | null = null;

/** @internal install (or remove) the recorder of a trace; returns the previous one. */
export function setRecorder(r: DispatchRecorder | null): DispatchRecorder | null {
  const prev = recorder;
  recorder = r;
  return prev;
}

/** @internal whether a trace is recording. */
export function isRecording(): boolean {
  return recorder !== null;
}

/** A new storage on `b`. */
export function allocStorage(b: Backend, size: number, dtype: DType): Storage {
  const s = b.allocate(size, dtype);
  recorder?.allocate(s);
  return s;
}

/** A new storage holding a copy of `data`. */
export function uploadStorage(b: Backend, data: TypedArray, dtype: DType): Storage {
  const s = b.upload(data, dtype);
  recorder?.upload(s, data);
  return s;
}

/** Overwrite a storage from host data. */
export function writeStorage(s: Storage, data: TypedArray): void {
  s.backend.write(s, data);
  recorder?.write(s, data);
}

const releasedStorages = new WeakSet<Storage>();

/** Release a storage to its backend. */
export function releaseStorage(s: Storage): void {
  recorder?.release(s);
  s.backend.release(s);
  releasedStorages.add(s);
}

/** @internal whether `s` was released through the front end. */
export function wasReleased(s: Storage): boolean {
  return releasedStorages.has(s);
}

/** Read a storage back (asynchronously). */
export function readStorage(s: Storage): Promise<TypedArray> {
  recorder?.hostRead(s);
  return s.backend.read(s);
}

/** Read a storage back synchronously (backends with `readSync`). */
export function readStorageSync(s: Storage): TypedArray {
  recorder?.hostRead(s);
  return s.backend.readSync!(s);
}

const NO_SCALARS: readonly number[] = [];

/** `backend.elementwise` with scalar operands resolved now (and recorded as given). */
export function elementwise(b: Backend, program: Program, inputs: readonly View[], outputs: readonly View[], scalars: readonly ScalarLike[] = NO_SCALARS): void {
  let values: ArrayLike<number> = scalars as readonly number[];
  for (let i = 0; i < scalars.length; i++) {
    if (typeof scalars[i] !== 'number') {
      values = scalars.map(scalarOf);
      break;
    }
  }
  recorder?.kernel(b, 'elementwise', [program, inputs, outputs], scalars);
  b.elementwise(program, inputs, outputs, values);
}

/** `backend.reduce`. */
export function reduce(b: Backend, op: ReduceOp, x: Storage, offset: number, rows: number, cols: number, out: Storage): void {
  recorder?.kernel(b, 'reduce', [op, x, offset, rows, cols, out], null);
  b.reduce(op, x, offset, rows, cols, out);
}

/** `backend.matmul`. */
export function matmul(b: Backend, a: View, bv: View, out: Storage): void {
  recorder?.kernel(b, 'matmul', [a, bv, out], null);
  b.matmul(a, bv, out);
}

/** `backend.gather`. */
export function gather(b: Backend, x: View, index: View, out: Storage): void {
  recorder?.kernel(b, 'gather', [x, index, out], null);
  b.gather(x, index, out);
}

/** `backend.scatterAdd`. */
export function scatterAdd(b: Backend, target: Storage, index: View, src: View): void {
  recorder?.kernel(b, 'scatterAdd', [target, index, src], null);
  b.scatterAdd(target, index, src);
}

type OverrideArgs<K extends keyof BackendOverrides> = Parameters<NonNullable<BackendOverrides[K]>>[0];
type OverrideResult<K extends keyof BackendOverrides> = ReturnType<NonNullable<BackendOverrides[K]>>;

/** Run override `name` of `b` (the caller checked that it exists, see `ops/overrides.ts`). */
export function override<K extends keyof BackendOverrides>(b: Backend, name: K, args: OverrideArgs<K>): OverrideResult<K> {
  const fn = b.overrides![name] as unknown as (a: OverrideArgs<K>) => OverrideResult<K>;
  const r = fn.call(b.overrides, args);
  // An attention override that declines writes nothing: record only what ran.
  if (r !== false) recorder?.kernel(b, name, [args], null);
  return r;
}

/**
 * Run `fn` now, and again at the same point of every replay when a function compiled with
 * `compile` is being traced (for host-side state that kernels read through `hostScalar`, such as
 * an optimizer's step count).
 */
export function hostEffect(fn: () => void): void {
  fn();
  recorder?.effect(fn);
}
