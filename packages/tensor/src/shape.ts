/** Shape and stride arithmetic shared by the front end and backends. */

/** A tensor shape: non-negative integer sizes, outermost first. */
export type Shape = readonly number[];

/** Number of elements of a shape (1 for a scalar). */
export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C-contiguous) strides of a shape. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** True when (shape, strides) address memory in row-major order without gaps. */
export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    if (d === 1) continue;
    if (strides[i] !== expected) return false;
    expected *= d;
  }
  return true;
}

/** Format a shape for error messages: `[2,3]`. */
export function fmtShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/** Check that a shape is a list of non-negative integers; `op` names the caller in the error. */
export function checkShape(op: string, shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${op}: invalid shape ${fmtShape(shape)}: sizes must be non-negative integers`);
  }
}

/** Normalise a possibly negative dimension index against a rank. */
export function normDim(op: string, dim: number, rank: number): number {
  if (!Number.isInteger(dim)) throw new Error(`${op}: dim must be an integer, got ${dim}`);
  const r = Math.max(rank, 1);
  if (dim < -r || dim >= r) throw new Error(`${op}: dim ${dim} out of range for a tensor of rank ${rank}`);
  return dim < 0 ? dim + r : dim;
}

/** Normalise a list of dims (sorted, unique); undefined means all dims. */
export function normDims(op: string, dims: number | readonly number[] | undefined, rank: number): number[] {
  if (dims === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof dims === 'number' ? [dims] : [...dims];
  const out = [...new Set(list.map((d) => normDim(op, d, rank)))].sort((a, b) => a - b);
  if (out.length !== list.length) throw new Error(`${op}: repeated dim in [${list.join(',')}]`);
  return out;
}

/** The broadcast of two shapes (NumPy rules) or an error naming `op` and both shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast (dim ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides that view (shape, strides) as the larger broadcast shape `target` (0 on broadcast dims). */
export function broadcastStrides(shape: Shape, strides: readonly number[], target: Shape): number[] {
  const out = new Array<number>(target.length).fill(0);
  const off = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) {
    out[off + i] = shape[i] === 1 && target[off + i] !== 1 ? 0 : strides[i]!;
  }
  return out;
}

/** Equality of two shapes. */
export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Strides for viewing (shape, strides) with `newShape` without copying, or null when the
 * memory layout does not allow it (PyTorch's `view` rule, merging and splitting contiguous runs).
 */
export function viewStrides(shape: Shape, strides: readonly number[], newShape: Shape): number[] | null {
  if (numel(shape) === 0) return contiguousStrides(newShape);
  // Drop size-1 dims, group the old dims into contiguous chunks, then map new dims onto chunks.
  const oldDims: number[] = [];
  const oldStrides: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] !== 1) {
      oldDims.push(shape[i]!);
      oldStrides.push(strides[i]!);
    }
  }
  const out = new Array<number>(newShape.length).fill(0);
  let oi = 0;
  let ni = 0;
  while (ni < newShape.length || oi < oldDims.length) {
    // Skip size-1 new dims (any stride works).
    while (ni < newShape.length && newShape[ni] === 1) {
      out[ni] = 1;
      ni++;
    }
    if (oi >= oldDims.length && ni >= newShape.length) break;
    if (oi >= oldDims.length || ni >= newShape.length) return null;
    // A chunk of old dims that is contiguous among itself.
    let chunkSize = oldDims[oi]!;
    let chunkEnd = oi;
    while (chunkEnd + 1 < oldDims.length && oldStrides[chunkEnd]! === oldStrides[chunkEnd + 1]! * oldDims[chunkEnd + 1]!) {
      chunkEnd++;
      chunkSize *= oldDims[chunkEnd]!;
    }
    const innerStride = oldStrides[chunkEnd]!;
    // Consume new dims whose product equals the chunk size.
    const start = ni;
    let prod = 1;
    while (ni < newShape.length && prod < chunkSize) {
      prod *= newShape[ni]!;
      ni++;
    }
    if (prod !== chunkSize) return null;
    let s = innerStride;
    for (let j = ni - 1; j >= start; j--) {
      out[j] = s;
      s *= newShape[j]!;
    }
    oi = chunkEnd + 1;
  }
  return out;
}
