/**
 * Storage-level kernels built on the backend primitives: the front end's unary/binary ops, where,
 * copy, fill, every reduction and softmax, each as one `elementwise` program or a short
 * composition (min = -max(-x), argmin = argmax(-x), logsumexp and softmax from max, exp and sum,
 * unless the backend overrides them). Exported as `kernels` so backend tests and contributors can
 * call an op on storages without building tensors.
 */
import type { Backend, DType, Storage, View } from '../backend.js';
import { isFloatDType } from '../backend.js';
import { contiguousStrides, numel } from '../shape.js';
import { binaryProgram, castProgram, fillProgram, unaryProgram, whereProgram, BINARY_OPS, UNARY_OPS, type BinaryOp, type UnaryOp } from '../expr/library.js';
import { binary, cast, constant, input, program, scalar, unary as unaryExpr, where as whereExpr, type Program } from '../expr/ir.js';
import * as dispatch from './dispatch.js';
import { offers } from './overrides.js';
import type { ScalarLike } from './dispatch.js';

/** Reductions of `kernels.reduce`: the backend's four plus the composed min, argmin and logsumexp. */
export type AnyReduceOp = 'sum' | 'prod' | 'max' | 'min' | 'argmax' | 'argmin' | 'logsumexp';

/** Parameters of `kernels.unary` (`pow_scalar` needs a number: its exponent is baked into the kernel). */
export interface KernelUnaryParams {
  a?: ScalarLike;
  b?: ScalarLike;
}

/** A contiguous view of `shape` over `s` from element 0 (or `out` itself when it is a view). */
export function outView(out: Storage | View, shape: readonly number[]): View {
  if ('storage' in out) return out;
  return { storage: out, shape, strides: contiguousStrides(shape), offset: 0 };
}

/** `out = op(x)` elementwise (`out` a storage, contiguous with x's shape, or a view of that shape). */
export function unaryKernel(b: Backend, op: UnaryOp, x: View, out: Storage | View, params: KernelUnaryParams = {}): void {
  if (!UNARY_OPS.has(op)) throw new Error(`unary: unknown op '${String(op)}'`);
  const o = outView(out, x.shape);
  if (op.endsWith('_scalar') && params.a === undefined) throw new Error(`unary ${op}: missing parameter a`);
  if (numel(x.shape) === 0) return;
  let exponent = 0;
  if (op === 'pow_scalar') {
    if (typeof params.a !== 'number') throw new Error('unary pow_scalar: the exponent must be a number (it is baked into the kernel)');
    exponent = params.a;
  }
  const a = params.a ?? (op === 'clamp' ? -Infinity : 0);
  const bb = params.b ?? (op === 'clamp' ? Infinity : 0);
  dispatch.elementwise(b, unaryProgram(op, x.storage.dtype, o.storage.dtype, exponent), [x], [o], [a, bb]);
}

/** `out = op(a, b)` elementwise; a and b have out's shape (stride-0 broadcast) and one dtype. */
export function binaryKernel(b: Backend, op: BinaryOp, a: View, bv: View, out: Storage | View): void {
  if (!BINARY_OPS.has(op)) throw new Error(`binary: unknown op '${String(op)}'`);
  if (a.shape.length !== bv.shape.length || a.shape.some((d, i) => d !== bv.shape[i])) {
    throw new Error(`binary ${op}: operand shapes differ: [${a.shape.join(',')}] and [${bv.shape.join(',')}]`);
  }
  if (a.storage.dtype !== bv.storage.dtype) throw new Error(`binary ${op}: operand dtypes differ: ${a.storage.dtype} and ${bv.storage.dtype}`);
  const o = outView(out, a.shape);
  if (numel(a.shape) === 0) return;
  dispatch.elementwise(b, binaryProgram(op, a.storage.dtype, o.storage.dtype), [a, bv], [o]);
}

/** `out = cond != 0 ? a : b`; all three views have out's shape. */
export function whereKernel(b: Backend, cond: View, a: View, bv: View, out: Storage | View): void {
  const same = (v: View) => v.shape.length === cond.shape.length && v.shape.every((d, i) => d === cond.shape[i]);
  if (!same(a) || !same(bv)) throw new Error(`where: shapes differ: cond [${cond.shape.join(',')}], a [${a.shape.join(',')}], b [${bv.shape.join(',')}]`);
  if (a.storage.dtype !== bv.storage.dtype) throw new Error(`where: dtypes differ: ${a.storage.dtype} and ${bv.storage.dtype}`);
  const o = outView(out, cond.shape);
  if (numel(cond.shape) === 0) return;
  dispatch.elementwise(b, whereProgram(cond.storage.dtype, a.storage.dtype, o.storage.dtype), [cond, a, bv], [o]);
}

/** Element range [lo, hi] a view touches. */
function span(v: View): [number, number] {
  let lo = v.offset;
  let hi = v.offset;
  for (let d = 0; d < v.shape.length; d++) if (v.shape[d]! > 0) hi += (v.shape[d]! - 1) * v.strides[d]!;
  return [lo, hi];
}

function sameView(a: View, b: View): boolean {
  return a.storage === b.storage && a.offset === b.offset && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i] && a.strides[i] === b.strides[i]);
}

/**
 * Copy (and cast) a strided view into another of the same shape. Overlapping views of one storage
 * are copied through a temporary.
 */
export function copyKernel(b: Backend, src: View, dst: View): void {
  if (src.shape.length !== dst.shape.length || src.shape.some((d, i) => d !== dst.shape[i])) {
    throw new Error(`copy: shapes differ: [${src.shape.join(',')}] -> [${dst.shape.join(',')}]`);
  }
  const n = numel(src.shape);
  if (n === 0) return;
  if (src.storage === dst.storage && !sameView(src, dst)) {
    const [a0, a1] = span(src);
    const [b0, b1] = span(dst);
    if (a0 <= b1 && b0 <= a1) {
      const tmp = dispatch.allocStorage(b, n, src.storage.dtype);
      const tv = outView(tmp, src.shape);
      dispatch.elementwise(b, castProgram(src.storage.dtype, src.storage.dtype), [src], [tv]);
      dispatch.elementwise(b, castProgram(src.storage.dtype, dst.storage.dtype), [tv], [dst]);
      dispatch.releaseStorage(tmp);
      return;
    }
  }
  dispatch.elementwise(b, castProgram(src.storage.dtype, dst.storage.dtype), [src], [dst]);
}

/** Set every element of `out` (a whole storage, or a view) to `value`. */
export function fillKernel(b: Backend, out: Storage | View, value: ScalarLike): void {
  const o = 'storage' in out ? out : outView(out, [out.size]);
  if (numel(o.shape) === 0) return;
  dispatch.elementwise(b, fillProgram(o.storage.dtype), [], [o], [value]);
}

const composed = new Map<string, Program>();
function cachedProgram(key: string, make: () => Program): Program {
  let p = composed.get(key);
  if (!p) composed.set(key, (p = make()));
  return p;
}

/** Order-reversing map for min/argmin through max: `-x` for floats, `-1 - x` for int32 (no overflow). */
function reverseProgram(dtype: DType): Program {
  return cachedProgram(`rev|${dtype}`, () => {
    const x = input(0, dtype);
    return program([dtype === 'int32' ? binary('sub', constant(-1, 'int32'), x) : unaryExpr('neg', x)]);
  });
}

/**
 * Reduce each row of contiguous `x [rows, cols]` (from `offset`) into `out [rows]`. min, argmin and
 * logsumexp are composed from the backend's max, argmax and sum (logsumexp uses the backend's
 * override when it has one). Empty rows: sum 0, prod 1, logsumexp -Infinity; the others throw.
 */
export function reduceKernel(b: Backend, op: AnyReduceOp, x: Storage, offset: number, rows: number, cols: number, out: Storage): void {
  if (rows === 0) return;
  if (cols === 0) {
    if (op === 'sum') fillKernel(b, outView(out, [rows]), 0);
    else if (op === 'prod') fillKernel(b, outView(out, [rows]), 1);
    else if (op === 'logsumexp') fillKernel(b, outView(out, [rows]), -Infinity);
    else throw new Error(`reduce ${op}: cannot reduce an empty row (cols = 0, rows = ${rows})`);
    return;
  }
  const xv: View = { storage: x, shape: [rows, cols], strides: [cols, 1], offset };
  switch (op) {
    case 'sum':
    case 'prod':
    case 'max':
    case 'argmax':
      dispatch.reduce(b, op, x, offset, rows, cols, out);
      return;
    case 'min':
    case 'argmin': {
      const t = dispatch.allocStorage(b, rows * cols, x.dtype);
      dispatch.elementwise(b, reverseProgram(x.dtype), [xv], [outView(t, [rows, cols])]);
      if (op === 'argmin') dispatch.reduce(b, 'argmax', t, 0, rows, cols, out);
      else {
        dispatch.reduce(b, 'max', t, 0, rows, cols, out);
        const ov = outView(out, [rows]);
        dispatch.elementwise(b, reverseProgram(out.dtype), [ov], [ov]);
      }
      dispatch.releaseStorage(t);
      return;
    }
    case 'logsumexp': {
      if (offers(b, 'logsumexp') && isFloatDType(x.dtype) && x.dtype === out.dtype) {
        dispatch.override(b, 'logsumexp', { x, offset, rows, cols, out });
        return;
      }
      logsumexpComposed(b, xv, rows, cols, out);
      return;
    }
    default:
      throw new Error(`reduce: unknown op '${String(op)}'`);
  }
}

/** `out = ms + log(sum(exp(x - ms)))`, `ms` the row max or 0 where it is infinite (torch.logsumexp). */
function logsumexpComposed(b: Backend, xv: View, rows: number, cols: number, out: Storage): void {
  const dt = xv.storage.dtype;
  const fdt: DType = dt === 'float64' ? 'float64' : 'float32';
  const m = dispatch.allocStorage(b, rows, dt);
  dispatch.reduce(b, 'max', xv.storage, xv.offset, rows, cols, m);
  // Row max broadcast along the columns.
  const mb: View = { storage: m, shape: [rows, cols], strides: [1, 0], offset: 0 };
  const shift = (mv: ReturnType<typeof input>) => {
    const mf = cast(mv, fdt);
    return whereExpr(binary('eq', unaryExpr('abs', mf), constant(Infinity, fdt)), constant(0, fdt), mf);
  };
  const e = dispatch.allocStorage(b, rows * cols, fdt);
  const expProg = cachedProgram(`lse-exp|${dt}`, () => program([unaryExpr('exp', binary('sub', cast(input(0, dt), fdt), shift(input(1, dt))))]));
  dispatch.elementwise(b, expProg, [xv, mb], [outView(e, [rows, cols])]);
  const s = dispatch.allocStorage(b, rows, fdt);
  dispatch.reduce(b, 'sum', e, 0, rows, cols, s);
  const finProg = cachedProgram(`lse-fin|${dt}|${out.dtype}`, () => program([cast(binary('add', unaryExpr('log', input(0, fdt)), shift(input(1, dt))), out.dtype)]));
  dispatch.elementwise(b, finProg, [outView(s, [rows]), outView(m, [rows])], [outView(out, [rows])]);
  for (const t of [m, e, s]) dispatch.releaseStorage(t);
}

/**
 * Softmax (or log-softmax) of each row of contiguous `x [rows, cols]` (from `offset`) into `out`
 * (contiguous from 0): the backend's override when it has one, else max, exp, sum and a division.
 */
export function softmaxKernel(b: Backend, x: Storage, offset: number, rows: number, cols: number, out: Storage, log: boolean): void {
  if (rows === 0 || cols === 0) return;
  if (offers(b, 'softmax')) {
    dispatch.override(b, 'softmax', { x, offset, rows, cols, out, log });
    return;
  }
  const dt = x.dtype;
  const xv: View = { storage: x, shape: [rows, cols], strides: [cols, 1], offset };
  const m = dispatch.allocStorage(b, rows, dt);
  dispatch.reduce(b, 'max', x, offset, rows, cols, m);
  const mb: View = { storage: m, shape: [rows, cols], strides: [1, 0], offset: 0 };
  const e = dispatch.allocStorage(b, rows * cols, dt);
  const ev = outView(e, [rows, cols]);
  const expProg = cachedProgram(`sm-exp|${dt}`, () => program([unaryExpr('exp', binary('sub', input(0, dt), input(1, dt)))]));
  dispatch.elementwise(b, expProg, [xv, mb], [ev]);
  const s = dispatch.allocStorage(b, rows, dt);
  dispatch.reduce(b, 'sum', e, 0, rows, cols, s);
  const sb: View = { storage: s, shape: [rows, cols], strides: [1, 0], offset: 0 };
  const ov = outView(out, [rows, cols]);
  if (log) {
    const p = cachedProgram(`sm-log|${dt}`, () => program([binary('sub', binary('sub', input(0, dt), input(1, dt)), unaryExpr('log', input(2, dt)))]));
    dispatch.elementwise(b, p, [xv, mb, sb], [ov]);
  } else {
    const p = cachedProgram(`sm-div|${dt}`, () => program([binary('mul', input(0, dt), binary('div', constant(1, dt), input(1, dt)))]));
    dispatch.elementwise(b, p, [ev, sb], [ov]);
  }
  for (const t of [m, e, s]) dispatch.releaseStorage(t);
}

/** A program that writes scalar 0 converted to `dtype` (exported for `kernels.fill` users). */
export function scalarFillProgram(dtype: DType): Program {
  return cachedProgram(`fill|${dtype}`, () => program([scalar(0, dtype)], []));
}

/** Storage-level ops over views, built on the backend primitives (see the module comment). */
export const kernels = {
  unary: unaryKernel,
  binary: binaryKernel,
  where: whereKernel,
  copy: copyKernel,
  fill: fillKernel,
  reduce: reduceKernel,
  softmax: softmaxKernel,
};
