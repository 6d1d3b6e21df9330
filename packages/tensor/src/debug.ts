/**
 * Debug numerics: when enabled, every op's floating output is checked for NaN/Inf and the
 * first offending op is named. Synchronous backends (CPU) throw at the op itself; asynchronous
 * ones (WebGPU) queue the check and throw at the next `await t.data()` or `checkNumerics()`.
 */
import type { Tensor } from './tensor.js';
import { untrack } from './scope.js';
import { isRecording } from './runtime/dispatch.js';

let enabled = typeof process !== 'undefined' && !!process.env?.UNIHETERO_DEBUG_NUMERICS;
const pending: { op: string; t: Tensor }[] = [];

/** Switch NaN/Inf checking of every op output on or off (also `UNIHETERO_DEBUG_NUMERICS=1`). */
export function setDebugNumerics(on: boolean): void {
  enabled = on;
}

/** Whether NaN/Inf checking is on. */
export function isDebugNumerics(): boolean {
  return enabled;
}

function firstBad(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v !== v || v === Infinity || v === -Infinity) return i;
  }
  return -1;
}

function describe(op: string, t: Tensor, values: ArrayLike<number>, i: number): string {
  return `debug numerics: op ${op} produced ${values[i]} at flat index ${i} of its output ${t.toString()}`;
}

/** @internal called by every op on its output. */
export function noteOutput(op: string, t: Tensor): void {
  if (!enabled || t.dtype === 'int32' || isRecording()) return;
  const b = t.backend;
  if (b.readSync) {
    const values = t.dataSync();
    const i = firstBad(values);
    if (i >= 0) throw new Error(describe(op, t, values, i));
  } else {
    const held = t.detach();
    untrack(held);
    pending.push({ op, t: held });
  }
}

/** Check every queued output (asynchronous backends); throws naming the first op that produced NaN/Inf. */
export async function checkPendingNumerics(): Promise<void> {
  if (pending.length === 0) return;
  const items = pending.splice(0, pending.length);
  let error: Error | null = null;
  for (const { op, t } of items) {
    if (!error) {
      const b = t.backend;
      const s = t._slab.storage;
      const values = await b.read(s);
      const i = firstBad(values);
      if (i >= 0) error = new Error(describe(op, t, values, i));
    }
    t.dispose();
  }
  if (error) throw error;
}
