/**
 * Aliasing of kernel inputs and outputs, handled here and nowhere else. WebGPU forbids binding
 * one buffer both read-only and writable in a dispatch, so:
 * - generated elementwise kernels bind every distinct buffer once (writable when an output writes
 *   it) and read the inputs from those bindings (`sharedBindings`): in-place updates cost nothing;
 * - kernels with fixed bindings read an input that shares a buffer with an output from a snapshot
 *   copy (`separateInputs`).
 */
import type { LaunchContext } from './context.js';
import type { WebGPUStorage } from './storage.js';

/** The bindings of a generated kernel over `inputs` and `outputs` (one per distinct buffer). */
export interface SharedBindings {
  /** Distinct buffers in binding order. */
  storages: WebGPUStorage[];
  /** Whether each binding is written. */
  writable: boolean[];
  /** Binding index of each input, then of each output. */
  operandBinding: number[];
}

/** One binding per distinct buffer; writable where an output writes it. */
export function sharedBindings(inputs: readonly WebGPUStorage[], outputs: readonly WebGPUStorage[]): SharedBindings {
  const storages: WebGPUStorage[] = [];
  const writable: boolean[] = [];
  const operandBinding: number[] = [];
  const bind = (s: WebGPUStorage, write: boolean): void => {
    let j = storages.findIndex((t) => t.buffer === s.buffer);
    if (j < 0) {
      j = storages.length;
      storages.push(s);
      writable.push(write);
    } else if (write) writable[j] = true;
    operandBinding.push(j);
  };
  for (const s of inputs) bind(s, false);
  for (const s of outputs) bind(s, true);
  return { storages, writable, operandBinding };
}

/**
 * Buffers for a kernel with fixed bindings: each input's buffer, or a snapshot copy when it is also
 * one of `outputs`. Call `done()` after recording the dispatch (it releases the snapshots).
 */
export function separateInputs(
  ctx: LaunchContext,
  inputs: readonly (WebGPUStorage | null)[],
  outputs: readonly (WebGPUStorage | null)[],
): { buffers: (GPUBuffer | null)[]; done(): void } {
  const outBuffers = new Set(outputs.filter((s): s is WebGPUStorage => s !== null).map((s) => s.buffer!));
  const temps: WebGPUStorage[] = [];
  const buffers = inputs.map((s) => {
    if (s === null) return null;
    if (!outBuffers.has(s.buffer!)) return s.buffer!;
    const t = ctx.temp(s.size, s.dtype);
    ctx.rt.copyBuffer(s.buffer!, 0, t.buffer!, 0, s.size * 4);
    temps.push(t);
    return t.buffer!;
  });
  return { buffers, done: () => temps.forEach((t) => ctx.free(t)) };
}
