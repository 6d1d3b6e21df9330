/** Elementwise ops with broadcasting, dtype promotion and their gradients. */
import type { DType } from '../backend.js';
import { isFloatDType } from '../backend.js';
import { FLOAT_ONLY_UNARY, PREDICATE_UNARY, binaryScalarProgram, whereScalarProgram, type BinaryOp, type UnaryOp } from '../expr/library.js';
import { HostScalar, elementwise as dispatchElementwise, scalarOf, type ScalarLike } from '../runtime/dispatch.js';
import { binaryKernel, copyKernel, unaryKernel } from '../runtime/kernels.js';
import { Tensor, fromStorage, type TensorOrScalar } from '../tensor.js';
import { broadcastShapes, broadcastStrides, sameShape } from '../shape.js';
import { uploadStorage } from '../runtime/dispatch.js';
import { alloc, finish, floatOf, promote, record, reduceTo, sameBackend } from './core.js';
import { sum } from './reduce.js';
import { reshape } from './views.js';

/** Parameters of the parameterised unary ops (numbers, or host scalars re-read at every replay of a compiled function). */
export interface OpParams {
  a?: ScalarLike;
  b?: ScalarLike;
}

/** Sum a gradient back to an input's shape. */
export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  return reduceTo(g, shape, (t, dims, keep) => sum(t, dims, keep), (t, s) => reshape(t, s));
}

/** A 0-d tensor holding `value` on `like`'s backend with `dtype`. */
export function scalarTensor(value: number, like: Tensor, dtype: DType): Tensor {
  const b = like.backend;
  const data = dtype === 'int32' ? Int32Array.of(value) : dtype === 'float64' ? Float64Array.of(value) : Float32Array.of(value);
  return fromStorage(uploadStorage(b, data, dtype), []);
}

/** Elementwise op without recording (for backward code and internal use). */
export function unaryRaw(op: UnaryOp, x: Tensor, params?: OpParams): Tensor {
  const b = sameBackend(op, x);
  let input = x;
  if (x.dtype === 'int32' && !FLOAT_ONLY_UNARY.has(op) && (op === 'pow_scalar' || !paramsAreInts(op, params))) input = castRaw(x, 'float32');
  const outDtype: DType = PREDICATE_UNARY.has(op) ? 'int32' : FLOAT_ONLY_UNARY.has(op) ? floatOf(input.dtype) : input.dtype;
  const out = alloc(b, x.shape, outDtype);
  unaryKernel(b, op, input.view_, out._slab.storage, params);
  if (input !== x) input.dispose();
  return out;
}

function isIntLike(v: ScalarLike | undefined): boolean {
  return v === undefined || (typeof v === 'number' && (!Number.isFinite(v) || Number.isInteger(v)));
}

function paramsAreInts(op: UnaryOp, p?: OpParams): boolean {
  if (op === 'add_scalar' || op === 'mul_scalar' || op === 'rsub_scalar') return typeof p?.a === 'number' ? Number.isInteger(p.a) : p?.a === undefined;
  if (op === 'clamp') return isIntLike(p?.a) && isIntLike(p?.b);
  return true;
}

/** Binary op without recording; broadcasts, promotes, and writes `outDtype` (default the promoted dtype). */
export function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor, outDtype?: DType): Tensor {
  const be = sameBackend(op, a, b);
  const shape = broadcastShapes(op, a.shape, b.shape);
  let dt = promote(a.dtype, b.dtype);
  if ((op === 'div' || op === 'pow' || op === 'atan2' || op.endsWith('_grad')) && dt === 'int32') dt = 'float32';
  const ac = a.dtype === dt ? a : castRaw(a, dt);
  const bc = b.dtype === dt ? b : castRaw(b, dt);
  const out = alloc(be, shape, outDtype ?? dt);
  binaryKernel(
    be,
    op,
    { storage: ac._slab.storage, shape, strides: broadcastStrides(ac.shape, ac.strides, shape), offset: ac.offset },
    { storage: bc._slab.storage, shape, strides: broadcastStrides(bc.shape, bc.strides, shape), offset: bc.offset },
    out._slab.storage,
  );
  if (ac !== a) ac.dispose();
  if (bc !== b) bc.dispose();
  return out;
}

/** Cast without recording. */
export function castRaw(x: Tensor, dtype: DType): Tensor {
  const b = sameBackend('cast', x);
  const out = alloc(b, x.shape, dtype);
  copyKernel(b, x.view_, out.view_);
  return out;
}

/** Elementwise unary op with its gradient. */
export function unary(op: UnaryOp, x: Tensor, params?: OpParams): Tensor {
  const y = unaryRaw(op, x, params);
  if (PREDICATE_UNARY.has(op) || !isFloatDType(y.dtype)) return finish(y, op);
  const a = params?.a ?? 0;
  const an = typeof a === 'number' ? a : NaN;
  switch (op) {
    case 'neg':
      return record(y, op, [x], [], (g) => [unaryRaw('neg', g)]);
    case 'abs':
      return record(y, op, [x], [x], (g, [xs]) => [g.mul(unaryRaw('sign', xs!))]);
    case 'sign':
    case 'floor':
    case 'ceil':
    case 'round':
      return record(y, op, [x], [], () => [null]);
    case 'exp':
      return record(y, op, [x], [y], (g, [ys]) => [g.mul(ys!)]);
    case 'log':
      return record(y, op, [x], [x], (g, [xs]) => [g.div(xs!)]);
    case 'sqrt':
      return record(y, op, [x], [y], (g, [ys]) => [g.div(ys!).mul(0.5)]);
    case 'rsqrt':
      return record(y, op, [x], [y], (g, [ys]) => [g.mul(ys!.pow(3)).mul(-0.5)]);
    case 'reciprocal':
      return record(y, op, [x], [y], (g, [ys]) => [g.mul(ys!.square()).neg()]);
    case 'square':
      return record(y, op, [x], [x], (g, [xs]) => [g.mul(xs!).mul(2)]);
    case 'sin':
      return record(y, op, [x], [x], (g, [xs]) => [g.mul(xs!.cos())]);
    case 'cos':
      return record(y, op, [x], [x], (g, [xs]) => [g.mul(xs!.sin()).neg()]);
    case 'tanh':
      return record(y, op, [x], [y], (g, [ys]) => [binaryRaw('tanh_grad', ys!, g)]);
    case 'sigmoid':
      return record(y, op, [x], [y], (g, [ys]) => [binaryRaw('sigmoid_grad', ys!, g)]);
    case 'erf':
    case 'relu':
    case 'gelu':
    case 'gelu_tanh':
    case 'silu':
    case 'softplus': {
      const gradOp = `${op}_grad` as BinaryOp;
      return record(y, op, [x], [x], (g, [xs]) => [binaryRaw(gradOp, xs!, g)]);
    }
    case 'add_scalar':
      return record(y, op, [x], [], (g) => [g]);
    case 'mul_scalar':
      return record(y, op, [x], [], (g) => [unaryRaw('mul_scalar', g, { a })]);
    case 'rsub_scalar':
      return record(y, op, [x], [], (g) => [unaryRaw('neg', g)]);
    case 'rdiv_scalar':
      return record(y, op, [x], [x, y], (g, [xs, ys]) => [g.mul(ys!).div(xs!).neg()]);
    case 'pow_scalar':
      if (an === 0) return record(y, op, [x], [], () => [null]);
      return record(y, op, [x], [x], (g, [xs]) => [g.mul(unaryRaw('pow_scalar', xs!, { a: an - 1 })).mul(an)]);
    case 'rpow_scalar':
      return record(y, op, [x], [y], (g, [ys]) => [g.mul(ys!).mul(Math.log(scalarOf(a)))]);
    case 'clamp': {
      const lo = scalarOf(params?.a ?? -Infinity);
      const hi = scalarOf(params?.b ?? Infinity);
      return record(y, op, [x], [x], (g, [xs]) => {
        const inside = binaryRaw('and', xs!.ge(lo), xs!.le(hi), 'int32');
        return [where(inside, g, 0)];
      });
    }
    default:
      return finish(y, op);
  }
}

function asTensor(v: TensorOrScalar, like: Tensor): Tensor {
  if (v instanceof Tensor) return v;
  if (typeof v !== 'number') throw new Error(`expected a Tensor or a number, got ${typeof v}`);
  const dt = like.dtype === 'int32' && !Number.isInteger(v) ? 'float32' : like.dtype;
  return scalarTensor(v, like, dt);
}

/** The dtype a tensor of `dt` and a number operand compute in (int32 with a fraction -> float32). */
function scalarDtype(dt: DType, v: ScalarLike): DType {
  return dt === 'int32' && !(typeof v === 'number' && Number.isInteger(v)) ? 'float32' : dt;
}

/** `op(a, s)` (or `op(s, a)` when `reversed`) for a tensor and a scalar operand, without recording. */
export function binaryScalarRaw(op: BinaryOp, a: Tensor, s: ScalarLike, outDtype?: DType, reversed = false): Tensor {
  const be = sameBackend(op, a);
  let dt = scalarDtype(a.dtype, s);
  if ((op === 'div' || op === 'pow' || op === 'atan2') && dt === 'int32') dt = 'float32';
  const ac = a.dtype === dt ? a : castRaw(a, dt);
  const out = alloc(be, a.shape, outDtype ?? dt);
  if (out.size > 0) dispatchElementwise(be, binaryScalarProgram(op, dt, out.dtype, reversed), [ac.view_], [out.view_], [s]);
  if (ac !== a) ac.dispose();
  return out;
}

function binaryGrad(op: 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'atan2', a: Tensor, b: Tensor): Tensor {
  const y = binaryRaw(op, a, b);
  if (!isFloatDType(y.dtype)) return finish(y, op);
  const sa = [...a.shape];
  const sb = [...b.shape];
  switch (op) {
    case 'add':
      return record(y, op, [a, b], [], (g) => [unbroadcast(g, sa), unbroadcast(g, sb)]);
    case 'sub':
      return record(y, op, [a, b], [], (g) => [unbroadcast(g, sa), b.requiresGrad ? unbroadcast(unaryRaw('neg', g), sb) : null]);
    case 'mul':
      return record(y, op, [a, b], [a, b], (g, [as, bs]) => [
        a.requiresGrad ? unbroadcast(binaryRaw('mul', g, bs!), sa) : null,
        b.requiresGrad ? unbroadcast(binaryRaw('mul', g, as!), sb) : null,
      ]);
    case 'div':
      return record(y, op, [a, b], [b, y], (g, [bs, ys]) => {
        const ga = binaryRaw('div', g, bs!);
        const gb = b.requiresGrad ? unbroadcast(ga.mul(ys!).neg(), sb) : null;
        return [a.requiresGrad ? unbroadcast(ga, sa) : null, gb];
      });
    case 'pow':
      return record(y, op, [a, b], [a, b, y], (g, [as, bs, ys]) => [
        a.requiresGrad ? unbroadcast(g.mul(bs!).mul(binaryRaw('pow', as!, binaryRaw('sub', bs!, scalarTensor(1, bs!, bs!.dtype)))), sa) : null,
        b.requiresGrad ? unbroadcast(g.mul(ys!).mul(unaryRaw('log', as!)), sb) : null,
      ]);
    case 'maximum':
    case 'minimum':
      return record(y, op, [a, b], [a, b], (g, [as, bs]) => {
        // Ties split the gradient evenly (as PyTorch does).
        const wa = binaryRaw(op === 'maximum' ? 'gt' : 'lt', as!, bs!, 'float32').add(binaryRaw('eq', as!, bs!, 'float32').mul(0.5));
        const wac = castRaw(wa, g.dtype);
        return [
          a.requiresGrad ? unbroadcast(binaryRaw('mul', g, wac), sa) : null,
          b.requiresGrad ? unbroadcast(binaryRaw('mul', g, unaryRaw('rsub_scalar', wac, { a: 1 })), sb) : null,
        ];
      });
    case 'atan2':
      return record(y, op, [a, b], [a, b], (g, [as, bs]) => {
        const den = as!.square().add(bs!.square());
        return [
          a.requiresGrad ? unbroadcast(g.mul(bs!).div(den), sa) : null,
          b.requiresGrad ? unbroadcast(g.mul(as!).div(den).neg(), sb) : null,
        ];
      });
  }
}

/** A tensor, a number, or a host scalar (re-read at every replay of a compiled function). */
export type TensorOrScalarLike = Tensor | ScalarLike;

function negated(s: ScalarLike): ScalarLike {
  return typeof s === 'number' ? -s : new HostScalar(() => -s.value);
}

function inverted(s: ScalarLike): ScalarLike {
  return typeof s === 'number' ? 1 / s : new HostScalar(() => 1 / s.value);
}

/** a + b. */
export function add(a: Tensor, b: TensorOrScalarLike): Tensor {
  if (!(b instanceof Tensor)) return unary('add_scalar', a, { a: b });
  return binaryGrad('add', a, b);
}

/** a - b. */
export function sub(a: Tensor, b: TensorOrScalarLike): Tensor {
  if (!(b instanceof Tensor)) return unary('add_scalar', a, { a: negated(b) });
  return binaryGrad('sub', a, b);
}

/** a * b. */
export function mul(a: Tensor, b: TensorOrScalarLike): Tensor {
  if (!(b instanceof Tensor)) return unary('mul_scalar', a, { a: b });
  return binaryGrad('mul', a, b);
}

/** a / b (true division). */
export function div(a: Tensor, b: TensorOrScalarLike): Tensor {
  if (!(b instanceof Tensor)) {
    if (a.dtype === 'int32') return unary('mul_scalar', castForFloat(a), { a: inverted(b) });
    return unary('mul_scalar', a, { a: inverted(b) });
  }
  return binaryGrad('div', a, b);
}

function castForFloat(a: Tensor): Tensor {
  return cast(a, 'float32');
}

/** a ** b. */
export function pow(a: Tensor, b: TensorOrScalar): Tensor {
  if (typeof b === 'number') {
    if (b === 2) return unary('square', a);
    if (b === 1) return unary('mul_scalar', a, { a: 1 });
    return unary('pow_scalar', a, { a: b });
  }
  return binaryGrad('pow', a, b);
}

/** `binaryGrad` with `b` possibly a number (wrapped in a tensor like `a`, freed after). */
function binaryGradWith(op: 'maximum' | 'minimum' | 'atan2', a: Tensor, b: TensorOrScalar): Tensor {
  const bt = asTensor(b, a);
  const out = binaryGrad(op, a, bt);
  if (bt !== b) bt.dispose();
  return out;
}

/** Elementwise maximum. */
export function maximum(a: Tensor, b: TensorOrScalar): Tensor {
  return typeof b === 'number' ? scalarExtreme('maximum', a, b) : binaryGradWith('maximum', a, b);
}

/** Elementwise minimum. */
export function minimum(a: Tensor, b: TensorOrScalar): Tensor {
  return typeof b === 'number' ? scalarExtreme('minimum', a, b) : binaryGradWith('minimum', a, b);
}

/** Elementwise atan2(a, b). */
export function atan2(a: Tensor, b: TensorOrScalar): Tensor {
  return binaryGradWith('atan2', a, b);
}

/** maximum / minimum against a number (the gradient flows to the tensor where it wins, half at ties). */
function scalarExtreme(op: 'maximum' | 'minimum', a: Tensor, v: number): Tensor {
  const y = binaryScalarRaw(op, a, v);
  if (!isFloatDType(y.dtype)) return finish(y, op);
  return record(y, op, [a], [a], (g, [as]) => {
    const w = binaryScalarRaw(op === 'maximum' ? 'gt' : 'lt', as!, v, g.dtype).add(binaryScalarRaw('eq', as!, v, g.dtype).mul(0.5));
    return [binaryRaw('mul', g, w)];
  });
}

/** Comparison / logical ops: int32 0/1, no gradient. */
export function compare(op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'and' | 'or', a: Tensor, b: TensorOrScalar): Tensor {
  if (typeof b === 'number') return finish(binaryScalarRaw(op, a, b, 'int32'), op);
  const bt = asTensor(b, a);
  const out = binaryRaw(op, a, bt, 'int32');
  if (bt !== b) bt.dispose();
  return finish(out, op);
}

/** `cond != 0 ? a : b`, broadcasting all three (number branches become kernel scalars). */
export function where(cond: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const at = a instanceof Tensor ? a : null;
  const bt = b instanceof Tensor ? b : null;
  if (!at && typeof a !== 'number') throw new Error(`where: expected a Tensor or a number, got ${typeof a}`);
  if (!bt && typeof b !== 'number') throw new Error(`where: expected a Tensor or a number, got ${typeof b}`);
  const like = at ?? bt;
  let dt: DType;
  if (at && bt) dt = promote(at.dtype, bt.dtype);
  else if (like) dt = scalarDtype(like.dtype, (at ? b : a) as number);
  else dt = 'float32';
  const be = sameBackend('where', cond, ...(at ? [at] : []), ...(bt ? [bt] : []));
  let shape = [...cond.shape];
  if (at) shape = broadcastShapes('where', shape, at.shape);
  if (bt) shape = broadcastShapes('where', shape, bt.shape);
  const ac = at && at.dtype !== dt ? castRaw(at, dt) : at;
  const bc = bt && bt.dtype !== dt ? castRaw(bt, dt) : bt;
  const out = alloc(be, shape, dt);
  const v = (t: Tensor) => ({ storage: t._slab.storage, shape, strides: broadcastStrides(t.shape, t.strides, shape), offset: t.offset });
  if (out.size > 0) {
    const inputs = [v(cond), ...(ac ? [v(ac)] : []), ...(bc ? [v(bc)] : [])];
    const scalars = [...(ac ? [] : [a as number]), ...(bc ? [] : [b as number])];
    dispatchElementwise(be, whereScalarProgram(cond.dtype, dt, ac !== null, bc !== null), inputs, [out.view_], scalars);
  }
  if (ac && ac !== at) ac.dispose();
  if (bc && bc !== bt) bc.dispose();
  const sa = at ? [...at.shape] : [];
  const sb = bt ? [...bt.shape] : [];
  const inputs = [...(at ? [at] : []), ...(bt ? [bt] : [])];
  if (!isFloatDType(dt) || inputs.length === 0) return finish(out, 'where');
  return record(out, 'where', inputs, [cond], (g, [cs]) => {
    const grads: (Tensor | null)[] = [];
    if (at) grads.push(at.requiresGrad ? unbroadcast(where(cs!, g, 0), sa) : null);
    if (bt) grads.push(bt.requiresGrad ? unbroadcast(where(cs!, 0, g), sb) : null);
    return grads;
  });
}

/** Clamp into [min, max]. */
export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  if (min === undefined && max === undefined) throw new Error('clamp: at least one of min and max must be given');
  if (min !== undefined && max !== undefined && min > max) throw new Error(`clamp: min ${min} is greater than max ${max}`);
  return unary('clamp', x, { a: min ?? -Infinity, b: max ?? Infinity });
}

/** Convert dtype; differentiable between float dtypes. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return unary('mul_scalar', x, { a: 1 });
  const y = castRaw(x, dtype);
  if (!isFloatDType(dtype) || !isFloatDType(x.dtype)) return finish(y, 'cast');
  const from = x.dtype;
  return record(y, 'cast', [x], [], (g) => [castRaw(g, from)]);
}

/** Float dtype helper re-exported for op modules. */
export { floatOf, sameShape };
