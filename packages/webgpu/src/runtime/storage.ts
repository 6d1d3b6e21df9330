/** The storage type of the WebGPU backend: a (pooled) GPUBuffer with its element type and count. */
import type { Backend, DType, Storage } from '@unihetero/tensor';

/** A storage of the WebGPU backend: a (pooled) GPUBuffer. */
export class WebGPUStorage implements Storage {
  /** The GPUBuffer holding the data; null once released. */
  buffer: GPUBuffer | null;
  /** Constructed by `WebGPUBackend.allocate`. */
  constructor(
    readonly backend: Backend,
    readonly dtype: DType,
    readonly size: number,
    buffer: GPUBuffer,
    /** Byte size of the underlying (bucketed) buffer. */
    readonly bytes: number,
  ) {
    this.buffer = buffer;
  }
}
