/** Strided row copy used by the CPU backend (elementwise math runs through generated kernels, see `expr/js.ts`). */
import type { TypedArray } from '../backend.js';

/**
 * `dst[do + i * ds] = src[so + i * ss]` for i < n. Assignment into the destination typed array
 * casts: float to int32 truncates toward zero, float64 to float32 rounds to nearest.
 */
export function copyRow(src: TypedArray, so: number, ss: number, dst: TypedArray, d: number, ds: number, n: number): void {
  if (ss === 1 && ds === 1) {
    dst.set(src.subarray(so, so + n), d);
    return;
  }
  if (ss === 0) {
    const v = src[so]!;
    for (let i = 0; i < n; i++, d += ds) dst[d] = v;
    return;
  }
  for (let i = 0; i < n; i++, so += ss, d += ds) dst[d] = src[so]!;
}
