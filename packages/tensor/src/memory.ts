/** Memory accounting across the front end and a backend. */
import type { Backend } from './backend.js';
import { getDefaultBackend } from './default-backend.js';
import { liveTensorCount } from './tensor.js';

/** Live tensor handles (all backends) and one backend's storage counters. */
export interface MemoryInfo {
  /** Tensor handles created and not disposed, over all backends. */
  tensors: number;
  /** Storages allocated on the backend and not released. */
  storages: number;
  /** Bytes of those storages. */
  bytesInUse: number;
  /** Bytes the backend keeps pooled for reuse. */
  bytesPooled: number;
}

/** Memory counters: live tensors and the given (default) backend's storage use. */
export function memory(backend: Backend = getDefaultBackend()): MemoryInfo {
  return { tensors: liveTensorCount(), ...backend.memory() };
}
