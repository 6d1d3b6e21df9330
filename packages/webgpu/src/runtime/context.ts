/** What a kernel launcher needs from the backend: the runtime, storage checks and temporaries. */
import type { DType, Storage } from '@unihetero/tensor';
import type { GpuRuntime } from './runtime.js';
import type { WebGPUStorage } from './storage.js';

/** The services every launcher (`kernels/*.ts`) uses. */
export interface LaunchContext {
  /** Device, queue, pipelines, uniforms, submission. */
  readonly rt: GpuRuntime;
  /** The live WebGPU storage behind `s` (throws naming `op` otherwise). */
  own(s: Storage, op: string): WebGPUStorage;
  /** A temporary storage (counted like any other; give it back with `free`). */
  temp(size: number, dtype: DType): WebGPUStorage;
  /** Release a temporary. */
  free(s: WebGPUStorage): void;
  /** Whether a row kernel over `[rows, cols]` runs one invocation per row rather than one workgroup per row. */
  rowPerInvocation(rows: number, cols: number): boolean;
}
