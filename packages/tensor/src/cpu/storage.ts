/** Host storage of the CPU backend. */
import type { Backend, DType, Storage, TypedArray } from '../backend.js';

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

/**
 * A flat host buffer owned by a `CpuBackend`. `data` is the live typed array (reads and writes
 * through it are seen by every view of this storage); it throws once the storage is released
 * or its backend destroyed.
 */
export class CpuStorage implements Storage {
  /** The backend that allocated this storage. */
  readonly backend: Backend;
  /** Element type. */
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
  private _data: TypedArray | null;

  /** Wrap `data` (not copied) as a storage of `owner`. Use `CpuBackend.allocate`/`upload` instead. */
  constructor(owner: Backend, data: TypedArray) {
    this.backend = owner;
    this.dtype = dtypeOfArray(data);
    this.size = data.length;
    this._data = data;
  }

  /** The backing typed array (Float32Array, Float64Array or Int32Array by dtype). */
  get data(): TypedArray {
    const d = this._data;
    if (d === null) throw new Error(`cpu: storage used after release (${this.dtype} storage of ${this.size} elements)`);
    if ((this.backend as Owner).destroyed) throw new Error('cpu: storage used after its backend was destroyed');
    return d;
  }

  /** True once the storage has been released. */
  get released(): boolean {
    return this._data === null;
  }

  /** @internal Drop the buffer (called by `CpuBackend.release`). */
  _release(): void {
    this._data = null;
  }
}
