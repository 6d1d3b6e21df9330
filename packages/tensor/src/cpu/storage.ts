/** Host storage of the CPU backend: a typed array, placed in the WebAssembly arena when possible. */
import type { Backend, DType, Storage, TypedArray } from '../backend.js';
import type { Arena } from './wasm/arena.js';

/** A typed-array constructor for each dtype. */
export function arrayFor(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
    default:
      throw new Error(`cpu: unsupported dtype '${String(dtype)}' (expected float32, float64 or int32)`);
  }
}

/** The dtype a typed array stores. */
export function dtypeOfArray(data: TypedArray): DType {
  return data instanceof Float32Array ? 'float32' : data instanceof Float64Array ? 'float64' : 'int32';
}

/** Minimal view of the owning backend that a storage needs (avoids a module cycle). */
interface Owner extends Backend {
  /** True once the backend was destroyed. */
  readonly destroyed: boolean;
}

function viewOf(dtype: DType, buffer: ArrayBuffer, ptr: number, size: number): TypedArray {
  return dtype === 'int32' ? new Int32Array(buffer, ptr, size) : new Float32Array(buffer, ptr, size);
}

/**
 * A flat host buffer owned by a `CpuBackend`. `data` is the live typed array (reads and writes
 * through it are seen by every view of this storage); it throws once the storage is released
 * or its backend destroyed. float32 / int32 storages usually live in the WebAssembly arena
 * (`ptr >= 0`), where the SIMD kernels address them; their typed-array view is re-derived when
 * the arena grows, so do not keep `data` across allocations.
 */
export class CpuStorage implements Storage {
  /** The backend that allocated this storage. */
  readonly backend: Backend;
  /** Element type. */
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
  /** Byte offset in the arena, or -1 for a plain typed array. */
  readonly ptr: number;
  private _data: TypedArray | null;

  /** Wrap `data` (not copied) as a storage of `owner`; `arena`/`ptr` when `data` views arena memory. Use `CpuBackend.allocate`/`upload` instead. */
  constructor(owner: Backend, data: TypedArray, private readonly arena: Arena | null = null, ptr = -1) {
    this.backend = owner;
    this.dtype = dtypeOfArray(data);
    this.size = data.length;
    this._data = data;
    this.ptr = arena ? ptr : -1;
  }

  /** The backing typed array (Float32Array, Float64Array or Int32Array by dtype). */
  get data(): TypedArray {
    let d = this._data;
    if (d === null) throw new Error(`cpu: storage used after release (${this.dtype} storage of ${this.size} elements)`);
    if ((this.backend as Owner).destroyed) throw new Error('cpu: storage used after its backend was destroyed');
    if (this.arena !== null && d.buffer !== this.arena.buffer) d = this._data = viewOf(this.dtype, this.arena.buffer, this.ptr, this.size);
    return d;
  }

  /** True once the storage has been released. */
  get released(): boolean {
    return this._data === null;
  }

  /** @internal Drop the buffer (called by `CpuBackend.release`); arena blocks go back to the arena. */
  _release(): void {
    this._data = null;
    if (this.arena !== null) {
      this.arena.forget(this);
      this.arena.release(this.ptr, arenaBytes(this.size));
    }
  }
}

/** Arena block size of a storage of `size` 4-byte elements. */
export function arenaBytes(size: number): number {
  return Math.max(16, Math.ceil((size * 4) / 16) * 16);
}

/**
 * A float32 / int32 storage in the arena, or null when it does not fit there. Its contents are
 * undefined (a reused block keeps old values), as the backend contract allows: zero-filling every
 * block cost a sixth of a training step.
 */
export function arenaStorage(owner: Backend, arena: Arena, dtype: DType, size: number): CpuStorage | null {
  const bytes = arenaBytes(size);
  const ptr = arena.alloc(bytes);
  if (ptr < 0) return null;
  const data = viewOf(dtype, arena.buffer, ptr, size);
  const s = new CpuStorage(owner, data, arena, ptr);
  arena.watch(s, ptr, bytes);
  return s;
}
