/** Index-based ops: gather, indexSelect, scatterAdd, embedding, oneHot. */
import type { View } from '../backend.js';
import { isFloatDType } from '../backend.js';
import type { Tensor } from '../tensor.js';
import { fmtShape, normDim, numel } from '../shape.js';
import { alloc, finish, record, sameBackend } from './core.js';
import { contiguousRaw, reshape, slice } from './views.js';
import { copyKernel, fillKernel } from '../runtime/kernels.js';
import * as dispatch from '../runtime/dispatch.js';

function checkIndex(op: string, index: Tensor): void {
  if (index.dtype !== 'int32') throw new Error(`${op}: index must be int32, got ${index.dtype}`);
}

/** Rank-3 [outer, dim, inner] view of a contiguous tensor split around `d`. */
function split3(t: Tensor, d: number): View {
  const outer = numel(t.shape.slice(0, d));
  const mid = t.shape[d]!;
  const inner = numel(t.shape.slice(d + 1));
  return { storage: t._slab.storage, shape: [outer, mid, inner], strides: [mid * inner, inner, 1], offset: t.offset };
}

/** Scatter-add `src` into a zero tensor of `shape` at `index` along `d` (no recording). */
function scatterIntoZeros(shape: number[], d: number, index: Tensor, src: Tensor): Tensor {
  const b = src.backend;
  const out = alloc(b, shape, src.dtype);
  fillKernel(b, out._slab.storage, 0);
  const ic = contiguousRaw(index, false);
  const sc = contiguousRaw(src, false);
  if (sc.size > 0) dispatch.scatterAdd(b, out._slab.storage, split3(ic, d), split3(sc, d));
  if (ic !== index) ic.dispose();
  if (sc !== src) sc.dispose();
  return out;
}

/** PyTorch `gather` (index may be smaller than x in dims other than `dim`). */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const b = sameBackend('gather', x, index);
  checkIndex('gather', index);
  const d = normDim('gather', dim, x.rank);
  if (index.rank !== x.rank) throw new Error(`gather: index rank ${index.rank} ${fmtShape(index.shape)} must equal input rank ${x.rank} ${fmtShape(x.shape)}`);
  for (let i = 0; i < x.rank; i++) {
    if (i !== d && index.shape[i]! > x.shape[i]!) throw new Error(`gather: index ${fmtShape(index.shape)} is larger than input ${fmtShape(x.shape)} at dim ${i}`);
  }
  // Narrow x to index's size in the other dims, then gather from a contiguous copy.
  let xs = x;
  for (let i = 0; i < x.rank; i++) {
    if (i !== d && index.shape[i] !== xs.shape[i]) {
      const n = slice(xs, i, 0, index.shape[i]!);
      if (xs !== x) xs.dispose();
      xs = n;
    }
  }
  const xc = contiguousRaw(xs, false);
  const ic = contiguousRaw(index, false);
  const out = alloc(b, index.shape, x.dtype);
  if (out.size > 0) dispatch.gather(b, split3(xc, d), split3(ic, d), out._slab.storage);
  if (xc !== xs) xc.dispose();
  if (xs !== x) xs.dispose();
  if (ic !== index) ic.dispose();
  if (!isFloatDType(x.dtype)) return finish(out, 'gather');
  const xShape = [...x.shape];
  return record(out, 'gather', [x], [index], (g, [is]) => {
    const full = xShape.map((s, i) => (i === d ? s : is!.shape[i]!));
    const part = scatterIntoZeros(full, d, is!, g);
    if (full.every((s, i) => s === xShape[i])) return [part];
    // Pad back to x's shape when index was smaller.
    const gx = alloc(g.backend, xShape, g.dtype);
    fillKernel(g.backend, gx._slab.storage, 0);
    const strides = xShape.map((_, i) => numel(xShape.slice(i + 1)));
    copyKernel(g.backend, part.view_, { storage: gx._slab.storage, shape: part.shape, strides, offset: 0 });
    return [gx];
  });
}

/** Slices of x along `dim` picked by a 1-D int32 index. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  const b = sameBackend('indexSelect', x, index);
  checkIndex('indexSelect', index);
  if (index.rank !== 1) throw new Error(`indexSelect: index must be 1-D, got shape ${fmtShape(index.shape)}`);
  const d = normDim('indexSelect', dim, x.rank);
  const n = index.shape[0]!;
  const xc = contiguousRaw(x, false);
  const outer = numel(x.shape.slice(0, d));
  const inner = numel(x.shape.slice(d + 1));
  const shape = [...x.shape];
  shape[d] = n;
  const out = alloc(b, shape, x.dtype);
  const idxView = (t: Tensor): View => ({ storage: t._slab.storage, shape: [outer, n, inner], strides: [0, t.strides[0]!, 0], offset: t.offset });
  if (out.size > 0) dispatch.gather(b, split3(xc, d), idxView(index), out._slab.storage);
  if (xc !== x) xc.dispose();
  if (!isFloatDType(x.dtype)) return finish(out, 'indexSelect');
  const xShape = [...x.shape];
  return record(out, 'indexSelect', [x], [index], (g, [is]) => {
    const gx = alloc(g.backend, xShape, g.dtype);
    fillKernel(g.backend, gx._slab.storage, 0);
    const gc = contiguousRaw(g, false);
    if (gc.size > 0) dispatch.scatterAdd(g.backend, gx._slab.storage, idxView(is!), split3(gc, d));
    if (gc !== g) gc.dispose();
    return [gx];
  });
}

/** Out-of-place scatter-add along `dim`: `out = x; out[... index ...] += src`. */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const b = sameBackend('scatterAdd', x, index, src);
  checkIndex('scatterAdd', index);
  const d = normDim('scatterAdd', dim, x.rank);
  if (index.rank !== x.rank || src.rank !== x.rank) throw new Error(`scatterAdd: x ${fmtShape(x.shape)}, index ${fmtShape(index.shape)} and src ${fmtShape(src.shape)} must have the same rank`);
  for (let i = 0; i < x.rank; i++) {
    if (index.shape[i] !== src.shape[i]) throw new Error(`scatterAdd: index ${fmtShape(index.shape)} and src ${fmtShape(src.shape)} must have the same shape`);
    if (i !== d && index.shape[i] !== x.shape[i]) throw new Error(`scatterAdd: index ${fmtShape(index.shape)} must match x ${fmtShape(x.shape)} outside dim ${d}`);
  }
  if (src.dtype !== x.dtype) throw new Error(`scatterAdd: src dtype ${src.dtype} differs from x dtype ${x.dtype}`);
  const out = contiguousRaw(x, true);
  const ic = contiguousRaw(index, false);
  const sc = contiguousRaw(src, false);
  if (sc.size > 0) dispatch.scatterAdd(b, out._slab.storage, split3(ic, d), split3(sc, d));
  if (ic !== index) ic.dispose();
  if (sc !== src) sc.dispose();
  if (!isFloatDType(x.dtype)) return finish(out, 'scatterAdd');
  return record(out, 'scatterAdd', [x, src], [index], (g, [is]) => [g, src.requiresGrad ? gather(g, d, is!) : null]);
}

/** Rows of `weight [V, D]` for int32 `ids` of any shape: result `[...ids.shape, D]`. */
export function embedding(ids: Tensor, weight: Tensor): Tensor {
  if (weight.rank !== 2) throw new Error(`embedding: weight must be 2-D [V, D], got ${fmtShape(weight.shape)}`);
  const flat = reshape(ids, [ids.size]);
  const rows = indexSelect(weight, 0, flat);
  const out = reshape(rows, [...ids.shape, weight.shape[1]!]);
  flat.dispose();
  rows.dispose();
  return out;
}

/** One-hot encoding of int32 `ids` with `numClasses`: int32 `[...ids.shape, numClasses]`. */
export function oneHot(ids: Tensor, numClasses: number): Tensor {
  const b = sameBackend('oneHot', ids);
  checkIndex('oneHot', ids);
  if (!Number.isInteger(numClasses) || numClasses <= 0) throw new Error(`oneHot: numClasses must be a positive integer, got ${numClasses}`);
  const out = alloc(b, [...ids.shape, numClasses], 'int32');
  fillKernel(b, out._slab.storage, 0);
  const ones = alloc(b, [ids.size, 1, 1], 'int32');
  fillKernel(b, ones._slab.storage, 1);
  const ic = contiguousRaw(ids, false);
  if (ids.size > 0) {
    dispatch.scatterAdd(b, out._slab.storage, { storage: ic._slab.storage, shape: [ids.size, 1, 1], strides: [1, 1, 1], offset: ic.offset }, ones.view_);
  }
  if (ic !== ids) ic.dispose();
  ones.dispose();
  return finish(out, 'oneHot');
}
