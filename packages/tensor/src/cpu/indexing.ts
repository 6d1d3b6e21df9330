/** Gather and scatter-add along the middle axis of rank-3 strided operands. */
import type { TypedArray } from '../backend.js';

/** Geometry of one strided rank-3 operand `[outer, dim, inner]`. */
export interface Rank3 {
  readonly data: TypedArray;
  readonly offset: number;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
}

/** `out[o, j, i] = x[o, index[o, j, i], i]`; out contiguous `[O, Dj, I]`. Throws on an index outside `[0, Dx)`. */
export function gatherHost(x: Rank3, index: Rank3, out: TypedArray): void {
  const [O, Dj, I] = index.shape as [number, number, number];
  const Dx = x.shape[1]!;
  const [sx0, sx1, sx2] = x.strides as [number, number, number];
  const [si0, si1, si2] = index.strides as [number, number, number];
  const xd = x.data;
  const id = index.data;
  let q = 0;
  for (let o = 0; o < O; o++) {
    for (let j = 0; j < Dj; j++) {
      let pi = index.offset + o * si0 + j * si1;
      let px = x.offset + o * sx0;
      for (let i = 0; i < I; i++, pi += si2, px += sx2, q++) {
        const t = id[pi]!;
        if (!(t >= 0 && t < Dx)) throw new Error(`gather: index ${t} out of range for dimension of size ${Dx}`);
        out[q] = xd[px + t * sx1]!;
      }
    }
  }
}

/**
 * `target[o, index[o, j, i], i] += src[o, j, i]` for contiguous `target [O, Dt, I]`. Every index is
 * checked before anything is written, so a bad index leaves the target unchanged.
 */
export function scatterAddHost(target: TypedArray, targetSize: number, index: Rank3, src: Rank3): void {
  const [O, Dj, I] = index.shape as [number, number, number];
  if (O * Dj * I === 0) return;
  const Dt = targetSize / (O * I);
  if (!Number.isInteger(Dt)) {
    throw new Error(`scatterAdd: target of ${targetSize} elements is not [${O}, D, ${I}] for index shape [${O},${Dj},${I}]`);
  }
  const [si0, si1, si2] = index.strides as [number, number, number];
  const [ss0, ss1, ss2] = src.strides as [number, number, number];
  const id = index.data;
  const sd = src.data;
  for (let o = 0; o < O; o++) {
    for (let j = 0; j < Dj; j++) {
      let pi = index.offset + o * si0 + j * si1;
      for (let i = 0; i < I; i++, pi += si2) {
        const t = id[pi]!;
        if (!(t >= 0 && t < Dt)) throw new Error(`scatterAdd: index ${t} out of range for dimension of size ${Dt}`);
      }
    }
  }
  const intOut = target instanceof Int32Array;
  for (let o = 0; o < O; o++) {
    const tb = o * Dt * I;
    for (let j = 0; j < Dj; j++) {
      let pi = index.offset + o * si0 + j * si1;
      let ps = src.offset + o * ss0 + j * ss1;
      for (let i = 0; i < I; i++, pi += si2, ps += ss2) {
        const q = tb + id[pi]! * I + i;
        target[q] = intOut ? (target[q]! + sd[ps]!) | 0 : target[q]! + sd[ps]!;
      }
    }
  }
}
