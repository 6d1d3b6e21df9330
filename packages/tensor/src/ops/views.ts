/** Views (no copies), contiguous copies, concatenation, in-place assignment. */
import { isFloatDType } from '../backend.js';
import { Tensor, makeView } from '../tensor.js';
import { contiguousStrides, fmtShape, normDim, numel, sameShape, viewStrides } from '../shape.js';
import { alloc, finish, record, sameBackend } from './core.js';
import { unbroadcast } from './elementwise.js';
import { copyKernel, fillKernel } from '../runtime/kernels.js';

/** A contiguous tensor with x's values: x itself (a new handle) unless a copy is needed or forced. No recording. */
export function contiguousRaw(x: Tensor, force: boolean): Tensor {
  if (!force && x.isContiguous) return x;
  const b = sameBackend('contiguous', x);
  const out = alloc(b, x.shape, x.dtype);
  if (out.size > 0) copyKernel(b, x.view_, out.view_);
  return out;
}

/** Permuted view without recording. */
export function permuteRaw(x: Tensor, dims: number[]): Tensor {
  return makeView(x, dims.map((d) => x.shape[d]!), dims.map((d) => x.strides[d]!), x.offset);
}

function resolveShape(op: string, x: Tensor, shape: number[]): number[] {
  const out = [...shape];
  const neg = out.indexOf(-1);
  if (out.indexOf(-1, neg + 1) !== -1 && neg !== -1) throw new Error(`${op}: only one dimension can be -1, got ${fmtShape(shape)}`);
  for (const d of out) {
    if (d !== -1 && (!Number.isInteger(d) || d < 0)) throw new Error(`${op}: invalid size ${d} in ${fmtShape(shape)}`);
  }
  if (neg !== -1) {
    const rest = numel(out.filter((_, i) => i !== neg));
    if (rest === 0 || x.size % rest !== 0) throw new Error(`${op}: shape ${fmtShape(shape)} is invalid for input of size ${x.size} ${fmtShape(x.shape)}`);
    out[neg] = x.size / rest;
  }
  if (numel(out) !== x.size) throw new Error(`${op}: shape ${fmtShape(shape)} is invalid for input of size ${x.size} ${fmtShape(x.shape)}`);
  return out;
}

function recordReshape(y: Tensor, op: string, x: Tensor): Tensor {
  if (!isFloatDType(x.dtype)) return finish(y, op);
  const inShape = [...x.shape];
  return record(y, op, [x], [], (g) => [reshape(g, inShape)]);
}

/** Reshape, viewing when the layout allows and copying otherwise. */
export function reshape(x: Tensor, shape: number[]): Tensor {
  x.assertAlive('reshape');
  const s = resolveShape('reshape', x, shape);
  const strides = viewStrides(x.shape, x.strides, s);
  if (strides) return recordReshape(makeView(x, s, strides, x.offset), 'reshape', x);
  const c = contiguousRaw(x, true);
  const y = makeView(c, s, contiguousStrides(s), 0);
  c.dispose();
  return recordReshape(y, 'reshape', x);
}

/** Reshape that never copies; throws when the layout does not allow a view. */
export function view(x: Tensor, shape: number[]): Tensor {
  x.assertAlive('view');
  const s = resolveShape('view', x, shape);
  const strides = viewStrides(x.shape, x.strides, s);
  if (!strides) throw new Error(`view: cannot view a tensor of shape ${fmtShape(x.shape)} and strides ${fmtShape(x.strides)} as ${fmtShape(s)} without a copy; use reshape()`);
  return recordReshape(makeView(x, s, strides, x.offset), 'view', x);
}

/** Reorder dims. */
export function permute(x: Tensor, dims: number[]): Tensor {
  x.assertAlive('permute');
  if (dims.length !== x.rank) throw new Error(`permute: expected ${x.rank} dims for shape ${fmtShape(x.shape)}, got [${dims.join(',')}]`);
  const nd = dims.map((d) => normDim('permute', d, x.rank));
  if (new Set(nd).size !== nd.length) throw new Error(`permute: repeated dim in [${dims.join(',')}]`);
  const y = permuteRaw(x, nd);
  if (!isFloatDType(x.dtype)) return finish(y, 'permute');
  const inv = new Array<number>(nd.length);
  nd.forEach((d, i) => (inv[d] = i));
  return record(y, 'permute', [x], [], (g) => [permute(g, inv)]);
}

/** Swap two dims. */
export function transpose(x: Tensor, d0: number, d1: number): Tensor {
  if (x.rank < 2) return permute(x, x.shape.map((_, i) => i));
  const a = normDim('transpose', d0, x.rank);
  const b = normDim('transpose', d1, x.rank);
  const dims = x.shape.map((_, i) => i);
  dims[a] = b;
  dims[b] = a;
  return permute(x, dims);
}

/** Broadcast to `shape` (-1 keeps a size). */
export function expand(x: Tensor, shape: number[]): Tensor {
  x.assertAlive('expand');
  if (shape.length < x.rank) throw new Error(`expand: target ${fmtShape(shape)} has fewer dims than ${fmtShape(x.shape)}`);
  const lead = shape.length - x.rank;
  const target = shape.map((d, i) => (d === -1 ? (i < lead ? -1 : x.shape[i - lead]!) : d));
  const strides = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < shape.length; i++) {
    if (i < lead) {
      if (target[i]! < 0) throw new Error(`expand: -1 is not allowed for the new leading dim ${i} in ${fmtShape(shape)}`);
      continue;
    }
    const src = x.shape[i - lead]!;
    if (src === target[i]) strides[i] = x.strides[i - lead]!;
    else if (src === 1) strides[i] = 0;
    else throw new Error(`expand: cannot expand ${fmtShape(x.shape)} to ${fmtShape(shape)} (dim ${i}: ${src} vs ${target[i]})`);
  }
  const y = makeView(x, target, strides, x.offset);
  if (!isFloatDType(x.dtype)) return finish(y, 'expand');
  const inShape = [...x.shape];
  return record(y, 'expand', [x], [], (g) => [unbroadcast(g, inShape)]);
}

function normIndex(i: number, size: number, clampLo: number, clampHi: number): number {
  const v = i < 0 ? i + size : i;
  return Math.min(Math.max(v, clampLo), clampHi);
}

/** `start:end:step` along `dim` (Python slicing rules, step > 0). */
export function slice(x: Tensor, dim: number, start?: number, end?: number, step = 1): Tensor {
  x.assertAlive('slice');
  const d = normDim('slice', dim, x.rank);
  if (!Number.isInteger(step) || step <= 0) throw new Error(`slice: step must be a positive integer, got ${step}`);
  const size = x.shape[d]!;
  const s = start === undefined ? 0 : normIndex(start, size, 0, size);
  const e = end === undefined ? size : normIndex(end, size, 0, size);
  const len = e > s ? Math.ceil((e - s) / step) : 0;
  const shape = [...x.shape];
  shape[d] = len;
  const strides = [...x.strides];
  strides[d] = x.strides[d]! * step;
  const y = makeView(x, shape, strides, x.offset + (len > 0 ? s * x.strides[d]! : 0));
  if (!isFloatDType(x.dtype)) return finish(y, 'slice');
  const inShape = [...x.shape];
  return record(y, 'slice', [x], [], (g) => {
    const gx = alloc(g.backend, inShape, g.dtype);
    fillKernel(g.backend, gx._slab.storage, 0);
    if (len > 0) {
      const tgtStrides = contiguousStrides(inShape);
      const dst = { storage: gx._slab.storage, shape: g.shape, strides: tgtStrides.map((st, i) => (i === d ? st * step : st)), offset: s * tgtStrides[d]! };
      copyKernel(g.backend, g.view_, dst);
    }
    return [gx];
  });
}

/** Index along `dim`, removing it. */
export function select(x: Tensor, dim: number, index: number): Tensor {
  const d = normDim('select', dim, x.rank);
  const size = x.shape[d]!;
  if (!Number.isInteger(index) || index < -size || index >= size) throw new Error(`select: index ${index} out of range for dim ${d} of size ${size}`);
  const i = index < 0 ? index + size : index;
  const s = slice(x, d, i, i + 1);
  const out = squeeze(s, d);
  s.dispose();
  return out;
}

/** Remove size-1 dims. */
export function squeeze(x: Tensor, dim?: number | number[]): Tensor {
  const dims = dim === undefined ? x.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0) : (typeof dim === 'number' ? [dim] : dim).map((d) => normDim('squeeze', d, x.rank));
  const shape = x.shape.filter((d, i) => !(dims.includes(i) && d === 1));
  return reshape(x, shape);
}

/** Insert a size-1 dim at `dim` (negative counts from the end of the result). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normDim('unsqueeze', dim, x.rank + 1);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return reshape(x, shape);
}

/** Flatten dims start..end. */
export function flatten(x: Tensor, start: number, end: number): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const s = normDim('flatten', start, x.rank);
  const e = normDim('flatten', end, x.rank);
  if (e < s) throw new Error(`flatten: end dim ${end} is before start dim ${start}`);
  const shape = [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

/** Contiguous version of x (a new handle on the same storage when already contiguous). */
export function contiguous(x: Tensor): Tensor {
  x.assertAlive('contiguous');
  if (x.isContiguous) return recordReshape(makeView(x, x.shape, x.strides, x.offset), 'contiguous', x);
  return clone(x);
}

/** Contiguous copy. */
export function clone(x: Tensor): Tensor {
  const y = contiguousRaw(x, true);
  if (!isFloatDType(x.dtype)) return finish(y, 'clone');
  return record(y, 'clone', [x], [], (g) => [g]);
}

/** Split into pieces of `size` (or the listed sizes) along `dim`. */
export function split(x: Tensor, size: number | number[], dim: number): Tensor[] {
  const d = normDim('split', dim, x.rank);
  const total = x.shape[d]!;
  let sizes: number[];
  if (typeof size === 'number') {
    if (!Number.isInteger(size) || size <= 0) throw new Error(`split: size must be a positive integer, got ${size}`);
    sizes = [];
    for (let s = 0; s < total; s += size) sizes.push(Math.min(size, total - s));
    if (sizes.length === 0) sizes.push(0);
  } else {
    sizes = size;
    const sum = sizes.reduce((a, b) => a + b, 0);
    if (sum !== total) throw new Error(`split: sizes [${sizes.join(',')}] sum to ${sum}, but dim ${d} has size ${total}`);
  }
  const out: Tensor[] = [];
  let start = 0;
  for (const s of sizes) {
    out.push(slice(x, d, start, start + s));
    start += s;
  }
  return out;
}

/** Split into `n` chunks (the last may be smaller). */
export function chunk(x: Tensor, n: number, dim: number): Tensor[] {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`chunk: n must be a positive integer, got ${n}`);
  const d = normDim('chunk', dim, x.rank);
  return split(x, Math.max(1, Math.ceil(x.shape[d]! / n)), d);
}

/** Concatenate along `dim`. */
export function concat(ts: Tensor[], dim = 0): Tensor {
  if (ts.length === 0) throw new Error('concat: expected a non-empty list of tensors');
  const b = sameBackend('concat', ...ts);
  const first = ts[0]!;
  const d = normDim('concat', dim, first.rank);
  const dtype = ts.reduce((acc, t) => (acc === t.dtype ? acc : t.dtype === 'float64' || acc === 'float64' ? 'float64' : 'float32'), first.dtype);
  for (const t of ts) {
    if (t.rank !== first.rank || t.shape.some((s, i) => i !== d && s !== first.shape[i])) {
      throw new Error(`concat: shapes ${ts.map((u) => fmtShape(u.shape)).join(', ')} differ outside dim ${d}`);
    }
  }
  const shape = [...first.shape];
  shape[d] = ts.reduce((a, t) => a + t.shape[d]!, 0);
  const out = alloc(b, shape, dtype);
  const strides = contiguousStrides(shape);
  let pos = 0;
  const sizes: number[] = [];
  for (const t of ts) {
    const len = t.shape[d]!;
    sizes.push(len);
    if (t.size > 0) copyKernel(b, t.view_, { storage: out._slab.storage, shape: t.shape, strides, offset: pos * strides[d]! });
    pos += len;
  }
  if (!isFloatDType(dtype)) return finish(out, 'concat');
  return record(out, 'concat', ts, [], (g) => split(g, sizes, d).map((p, i) => (ts[i]!.dtype === g.dtype ? p : p.cast(ts[i]!.dtype))));
}

/** Stack along a new dim. */
export function stack(ts: Tensor[], dim = 0): Tensor {
  if (ts.length === 0) throw new Error('stack: expected a non-empty list of tensors');
  const first = ts[0]!;
  for (const t of ts) if (!sameShape(t.shape, first.shape)) throw new Error(`stack: all tensors must have the same shape, got ${ts.map((u) => fmtShape(u.shape)).join(', ')}`);
  const d = normDim('stack', dim, first.rank + 1);
  const parts = ts.map((t) => unsqueeze(t, d));
  const out = concat(parts, d);
  for (const p of parts) p.dispose();
  return out;
}

/** In-place copy of `value` into `target` (broadcasting value to target's shape; casts). Not recorded. */
export function assignInPlace(target: Tensor, value: Tensor): void {
  const b = sameBackend('assign', target, value);
  if (target.requiresGrad && target._node) throw new Error('assign: cannot assign into a non-leaf tensor that is part of a graph');
  if (!sameShape(target.shape, value.shape)) {
    const lead = target.rank - value.rank;
    const ok = lead >= 0 && value.shape.every((s, i) => s === 1 || s === target.shape[lead + i]);
    if (!ok) throw new Error(`assign: value of shape ${fmtShape(value.shape)} cannot be assigned to a tensor of shape ${fmtShape(target.shape)}`);
  }
  const strides = new Array<number>(target.rank).fill(0);
  const lead = target.rank - value.rank;
  for (let i = 0; i < value.rank; i++) strides[lead + i] = value.shape[i] === 1 && target.shape[lead + i] !== 1 ? 0 : value.strides[i]!;
  if (target.size > 0) copyKernel(b, { storage: value._slab.storage, shape: target.shape, strides, offset: value.offset }, target.view_);
}
