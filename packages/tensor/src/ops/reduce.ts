/** Reductions over dims, with gradients. */
import { isFloatDType } from '../backend.js';
import { reduceKernel, type AnyReduceOp } from '../runtime/kernels.js';
import type { Tensor } from '../tensor.js';
import { fmtShape, normDims, numel } from '../shape.js';
import { alloc, finish, record, sameBackend } from './core.js';
import { binaryRaw, castRaw, unaryRaw } from './elementwise.js';
import { contiguousRaw, expand, permuteRaw, reshape } from './views.js';
import { offers } from '../runtime/overrides.js';
import * as dispatch from '../runtime/dispatch.js';

/** Output shape of a reduction. */
function reducedShape(shape: readonly number[], dims: number[], keepdim: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (dims.includes(i)) {
      if (keepdim) out.push(1);
    } else out.push(shape[i]!);
  }
  return out;
}

/** Reduce `dims` of x with a backend kernel, no recording. */
export function reduceRaw(op: AnyReduceOp, x: Tensor, dims: number[], keepdim: boolean): Tensor {
  const b = sameBackend(op, x);
  const kept = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const perm = [...kept, ...dims];
  const rows = numel(kept.map((i) => x.shape[i]!));
  const cols = numel(dims.map((i) => x.shape[i]!));
  const outShape = reducedShape(x.shape, dims, keepdim);
  const outDtype = op === 'argmax' || op === 'argmin' ? 'int32' : op === 'logsumexp' && !isFloatDType(x.dtype) ? 'float32' : x.dtype;
  let input = x;
  if (op === 'logsumexp' && x.dtype === 'int32') input = castRaw(x, 'float32');
  const out = alloc(b, outShape, outDtype);
  if (cols === 0) {
    if (rows > 0) {
      if (op !== 'sum' && op !== 'prod' && op !== 'logsumexp') {
        out.dispose();
        throw new Error(`${op}: cannot reduce over an empty dimension of a tensor of shape ${fmtShape(x.shape)}`);
      }
      reduceKernel(b, op, input._slab.storage, 0, rows, 0, out._slab.storage);
    }
  } else if (rows > 0 && sumsLeadingDims(op, input, dims) && offers(b, 'sumColumns')) {
    // A sum over leading dims of a contiguous tensor (a bias gradient): no transposed copy.
    dispatch.override(b, 'sumColumns', { x: input._slab.storage, offset: input.offset, rows: cols, cols: rows, out: out._slab.storage });
  } else if (rows > 0) {
    const permuted = permuteRaw(input, perm);
    const c = contiguousRaw(permuted, false);
    reduceKernel(b, op, c._slab.storage, c.offset, rows, cols, out._slab.storage);
    if (c !== permuted) c.dispose();
    permuted.dispose();
  }
  if (input !== x) input.dispose();
  return out;
}

/** Whether `op` sums a contiguous float `x` over exactly its leading dims `0 .. k-1` (`0 < k < rank`), the case of the `sumColumns` override. */
function sumsLeadingDims(op: AnyReduceOp, x: Tensor, dims: readonly number[]): boolean {
  if (op !== 'sum' || !isFloatDType(x.dtype) || dims.length === 0 || dims.length >= x.rank) return false;
  const sorted = [...dims].sort((p, q) => p - q);
  return sorted.every((d, i) => d === i) && x.isContiguous;
}

/** Gradient of a keepdim-less reduction output broadcast back to the input shape. */
function expandBack(g: Tensor, inShape: readonly number[], dims: number[]): Tensor {
  const keepShape = inShape.map((d, i) => (dims.includes(i) ? 1 : d));
  const gk = reshape(g, keepShape);
  return expand(gk, [...inShape]);
}

/** Sum over dims. */
export function sum(x: Tensor, dim: number | number[] | undefined, keepdim: boolean): Tensor {
  const dims = normDims('sum', dim, x.rank);
  const y = reduceRaw('sum', x, dims, keepdim);
  if (!isFloatDType(y.dtype)) return finish(y, 'sum');
  const inShape = [...x.shape];
  return record(y, 'sum', [x], [], (g) => [expandBack(g, inShape, dims)]);
}

/** Mean over dims. */
export function mean(x: Tensor, dim: number | number[] | undefined, keepdim: boolean): Tensor {
  const dims = normDims('mean', dim, x.rank);
  const xf = isFloatDType(x.dtype) ? x : castRaw(x, 'float32');
  const s = reduceRaw('sum', xf, dims, keepdim);
  const n = numel(dims.map((i) => x.shape[i]!));
  const y = unaryRaw('mul_scalar', s, { a: 1 / n });
  s.dispose();
  if (xf !== x) xf.dispose();
  const inShape = [...x.shape];
  return record(y, 'mean', [x], [], (g) => [unaryRaw('mul_scalar', expandBack(g, inShape, dims), { a: 1 / n })]);
}

/** Variance over dims with `correction` (1: unbiased). */
export function variance(x: Tensor, dim: number | number[] | undefined, keepdim: boolean, correction: number): Tensor {
  const dims = normDims('var', dim, x.rank);
  const n = numel(dims.map((i) => x.shape[i]!));
  const denom = Math.max(n - correction, 0);
  const m = mean(x, dims, true);
  const d = x.sub(m);
  const out = sum(d.square(), dims, keepdim).mul(1 / denom);
  m.dispose();
  d.dispose();
  return out;
}

/** Product over dims (gradient `g * prod / x`: undefined where x has zeros). */
export function prod(x: Tensor, dim: number | number[] | undefined, keepdim: boolean): Tensor {
  const dims = normDims('prod', dim, x.rank);
  const y = reduceRaw('prod', x, dims, keepdim);
  if (!isFloatDType(y.dtype)) return finish(y, 'prod');
  const inShape = [...x.shape];
  return record(y, 'prod', [x], [x, y], (g, [xs, ys]) => {
    const yk = expandBack(ys!, inShape, dims);
    return [expandBack(g, inShape, dims).mul(yk).div(xs!)];
  });
}

/** max/min over dims; the gradient is split evenly between tied maxima. */
export function extreme(op: 'max' | 'min', x: Tensor, dim: number | number[] | undefined, keepdim: boolean): Tensor {
  const dims = normDims(op, dim, x.rank);
  const y = reduceRaw(op, x, dims, keepdim);
  if (!isFloatDType(y.dtype)) return finish(y, op);
  const inShape = [...x.shape];
  return record(y, op, [x], [x, y], (g, [xs, ys]) => {
    const mask = binaryRaw('eq', xs!, expandBack(ys!, inShape, dims), xs!.dtype);
    const count = sum(mask, dims, true);
    return [expandBack(g, inShape, dims).mul(mask).div(count)];
  });
}

/** argmax/argmin along one dim (or over the flattened tensor). */
export function argExtreme(op: 'argmax' | 'argmin', x: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  if (dim === undefined) {
    const flat = reshape(x, [x.size]);
    const r = reduceRaw(op, flat, [0], false);
    flat.dispose();
    if (keepdim) {
      const k = reshape(r, x.shape.map(() => 1));
      r.dispose();
      return finish(k, op);
    }
    return finish(r, op);
  }
  const dims = normDims(op, dim, x.rank);
  return finish(reduceRaw(op, x, dims, keepdim), op);
}

/** Stable log-sum-exp over dims. */
export function logsumexp(x: Tensor, dim: number | number[] | undefined, keepdim: boolean): Tensor {
  const dims = normDims('logsumexp', dim, x.rank);
  const y = reduceRaw('logsumexp', x, dims, keepdim);
  const inShape = [...x.shape];
  return record(y, 'logsumexp', [x], [x, y], (g, [xs, ys]) => {
    const p = xs!.sub(expandBack(ys!, inShape, dims)).exp();
    return [expandBack(g, inShape, dims).mul(p)];
  });
}
