/**
 * The elementwise ops of the tensor API, written once as expressions over the ALU primitives.
 * Every backend gets them (and their derivative kernels) by compiling the expressions; nothing
 * here is backend code. The formulas follow the CPU reference's float64 evaluation order, so the
 * JavaScript evaluator reproduces the previous hand-written kernels bit for bit.
 */
import type { DType } from '../backend.js';
import { binary, cast, constant, input, program, scalar, unary, where, type Expr, type ExprDType, type Program, type UnaryAlu } from './ir.js';

/** Elementwise one-input ops of the front end (`a`/`b` in `UnaryParams` parameterise the ones marked). */
export type UnaryOp =
  | 'neg'
  | 'abs'
  | 'sign'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'rsqrt'
  | 'reciprocal'
  | 'square'
  | 'sin'
  | 'cos'
  | 'tanh'
  | 'erf'
  | 'sigmoid'
  | 'relu'
  | 'gelu' // exact: x * Phi(x) = 0.5 x erfc(-x / sqrt 2)
  | 'gelu_tanh' // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  | 'silu'
  | 'softplus' // log(1 + e^x), stable
  | 'floor'
  | 'ceil'
  | 'round' // half to even, as PyTorch
  | 'not' // 1 where x == 0 else 0
  | 'add_scalar' // x + a
  | 'mul_scalar' // x * a
  | 'rsub_scalar' // a - x
  | 'rdiv_scalar' // a / x
  | 'pow_scalar' // x ^ a (a is baked into the kernel)
  | 'rpow_scalar' // a ^ x
  | 'clamp' // min(max(x, a), b); a = -Infinity / b = Infinity for one-sided
  | 'isnan' // 1 if NaN
  | 'isinf'; // 1 if +-Inf

/** Parameters of the parameterised unary ops. */
export interface UnaryParams {
  a?: number;
  b?: number;
}

/**
 * Elementwise two-input ops of the front end. The `*_grad` ops are derivative kernels used by
 * autograd: `a` is the forward input x (or, where noted, the forward output y) and `b` the upstream
 * gradient g; the result is g * f'(.) .
 */
export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div' // float: IEEE; int32: truncation toward zero
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'atan2'
  | 'eq' // comparisons give 0/1
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge'
  | 'and' // logical, 0/1
  | 'or'
  | 'relu_grad' // a = x
  | 'gelu_grad' // a = x
  | 'gelu_tanh_grad' // a = x
  | 'silu_grad' // a = x
  | 'softplus_grad' // a = x
  | 'sigmoid_grad' // a = y = sigmoid(x)
  | 'tanh_grad' // a = y = tanh(x)
  | 'erf_grad'; // a = x

/** Every front-end unary op name. */
export const UNARY_OPS: ReadonlySet<string> = new Set<UnaryOp>([
  'neg', 'abs', 'sign', 'exp', 'log', 'sqrt', 'rsqrt', 'reciprocal', 'square', 'sin', 'cos', 'tanh', 'erf', 'sigmoid',
  'relu', 'gelu', 'gelu_tanh', 'silu', 'softplus', 'floor', 'ceil', 'round', 'not', 'add_scalar', 'mul_scalar',
  'rsub_scalar', 'rdiv_scalar', 'pow_scalar', 'rpow_scalar', 'clamp', 'isnan', 'isinf',
]);

/** Every front-end binary op name. */
export const BINARY_OPS: ReadonlySet<string> = new Set<BinaryOp>([
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'atan2', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or',
  'relu_grad', 'gelu_grad', 'gelu_tanh_grad', 'silu_grad', 'softplus_grad', 'sigmoid_grad', 'tanh_grad', 'erf_grad',
]);

/** Unary ops defined on floats only (an int32 input is cast to float32 first). */
export const FLOAT_ONLY_UNARY: ReadonlySet<string> = new Set<UnaryOp>([
  'exp', 'log', 'sqrt', 'rsqrt', 'reciprocal', 'sin', 'cos', 'tanh', 'erf', 'sigmoid', 'gelu', 'gelu_tanh',
  'silu', 'softplus', 'rdiv_scalar', 'rpow_scalar',
]);

/** Unary ops whose natural result is 0/1 (written as int32 by the front end). */
export const PREDICATE_UNARY: ReadonlySet<string> = new Set<UnaryOp>(['not', 'isnan', 'isinf']);

/** Binary ops whose natural result is 0/1. */
export const PREDICATE_BINARY: ReadonlySet<string> = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or']);

// ------------------------------------------------------------------------------ node helpers

/** A constant of `like`'s dtype. */
export function k(value: number, like: Expr): Expr {
  return constant(value, like.dtype);
}
/** a + b. */
export const add = (a: Expr, b: Expr): Expr => binary('add', a, b);
/** a - b. */
export const sub = (a: Expr, b: Expr): Expr => binary('sub', a, b);
/** a * b. */
export const mul = (a: Expr, b: Expr): Expr => binary('mul', a, b);
/** a / b. */
export const div = (a: Expr, b: Expr): Expr => binary('div', a, b);
/** -a. */
export const neg = (a: Expr): Expr => unary('neg', a);
/** e^a. */
export const exp = (a: Expr): Expr => unary('exp', a);
/** |a|. */
export const abs = (a: Expr): Expr => unary('abs', a);
/** a > b. */
export const gt = (a: Expr, b: Expr): Expr => binary('lt', b, a);
/** a >= b. */
export const ge = (a: Expr, b: Expr): Expr => binary('le', b, a);
/** a < b. */
export const lt = (a: Expr, b: Expr): Expr => binary('lt', a, b);
/** a != a (NaN test). */
export const isNan = (a: Expr): Expr => binary('ne', a, a);

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 0.3989422804014327;
const GELU_TANH_BETA = Math.sqrt(2 / Math.PI);
const GELU_TANH_KAPPA = 0.044715;
const TWO_OVER_SQRT_PI = 1.1283791670955126;

/** Stable logistic sigmoid: with `e = exp(-|x|)`, `x >= 0 ? 1 / (1 + e) : e / (1 + e)`. */
export function sigmoidE(x: Expr): Expr {
  const e = exp(neg(abs(x)));
  const d = add(k(1, x), e);
  return where(ge(x, k(0, x)), div(k(1, x), d), div(e, d));
}

/** Exact GELU `0.5 x erfc(-x / sqrt 2)` (relative accuracy in the negative tail). */
export function geluE(x: Expr): Expr {
  return mul(mul(k(0.5, x), x), unary('erfc', mul(neg(x), k(SQRT1_2, x))));
}

/** d/dx of exact GELU: `Phi(x) + x phi(x)`. */
export function geluDerivE(x: Expr): Expr {
  return add(mul(k(0.5, x), unary('erfc', mul(neg(x), k(SQRT1_2, x)))), mul(mul(x, k(INV_SQRT_2PI, x)), exp(mul(mul(k(-0.5, x), x), x))));
}

/** GELU with the tanh approximation. */
export function geluTanhE(x: Expr): Expr {
  const inner = mul(k(GELU_TANH_BETA, x), add(x, mul(mul(mul(k(GELU_TANH_KAPPA, x), x), x), x)));
  return mul(mul(k(0.5, x), x), add(k(1, x), unary('tanh', inner)));
}

/** d/dx of the tanh-approximated GELU (PyTorch's `gelu_backward(approximate='tanh')` formula). */
export function geluTanhDerivE(x: Expr): Expr {
  const x2 = mul(x, x);
  const t = unary('tanh', mul(k(GELU_TANH_BETA, x), add(x, mul(mul(k(GELU_TANH_KAPPA, x), x2), x))));
  const left = mul(k(0.5, x), add(k(1, x), t));
  const right = mul(mul(mul(mul(k(0.5, x), x), sub(k(1, x), mul(t, t))), k(GELU_TANH_BETA, x)), add(k(1, x), mul(k(3 * GELU_TANH_KAPPA, x), x2)));
  return add(left, right);
}

/** Stable softplus `max(x, 0) + log1p(exp(-|x|))` (NaN propagates). */
export function softplusE(x: Expr): Expr {
  return add(where(gt(x, k(0, x)), x, k(0, x)), unary('log1p', exp(neg(abs(x)))));
}

/** NaN-propagating maximum (as `torch.maximum`). */
export function maximumE(a: Expr, b: Expr): Expr {
  return a.dtype === 'int32' ? binary('max', a, b) : where(binary('or', gt(a, b), isNan(a)), a, b);
}

/** NaN-propagating minimum. */
export function minimumE(a: Expr, b: Expr): Expr {
  return a.dtype === 'int32' ? binary('min', a, b) : where(binary('or', lt(a, b), isNan(a)), a, b);
}

/** max(x, 0) with NaN kept and `relu(-0) = 0`. */
export function reluE(x: Expr): Expr {
  if (x.dtype === 'int32') return binary('max', x, k(0, x));
  return where(binary('or', gt(x, k(0, x)), isNan(x)), x, k(0, x));
}

/** sign with `sign(0) = sign(NaN) = 0`. */
export function signE(x: Expr): Expr {
  return where(gt(x, k(0, x)), k(1, x), where(lt(x, k(0, x)), k(-1, x), k(0, x)));
}

/** `x < lo ? lo : x`, then `> hi ? hi`: clamp that keeps NaN. */
export function clampE(x: Expr, lo: Expr, hi: Expr): Expr {
  const t = where(lt(x, lo), lo, x);
  return where(gt(t, hi), hi, t);
}

function floatOf(d: ExprDType): ExprDType {
  return d === 'float64' ? 'float64' : 'float32';
}

/** Unary ops that are one ALU node of the same name. */
const SAME_NAME_UNARY: ReadonlySet<string> = new Set<UnaryOp>(['neg', 'abs', 'exp', 'log', 'sqrt', 'sin', 'cos', 'tanh', 'erf', 'floor', 'ceil', 'round']);

/**
 * The expression of a unary op over `x`. `a`, `b` are the op's scalar operands (already of x's
 * dtype); `powExponent` is the baked exponent of `pow_scalar`. Float-only ops on an int32 `x` run
 * in float32. Predicates give bool.
 */
export function unaryOpExpr(op: UnaryOp, x: Expr, a: Expr, b: Expr, powExponent = 0): Expr {
  if (FLOAT_ONLY_UNARY.has(op) && x.dtype === 'int32') {
    x = cast(x, 'float32');
    a = cast(a, 'float32');
    b = cast(b, 'float32');
  }
  if (SAME_NAME_UNARY.has(op)) return unary(op as UnaryAlu, x);
  switch (op) {
    case 'sign':
      return signE(x);
    case 'rsqrt':
      return div(k(1, x), unary('sqrt', x));
    case 'reciprocal':
      return div(k(1, x), x);
    case 'square':
      return mul(x, x);
    case 'sigmoid':
      return sigmoidE(x);
    case 'relu':
      return reluE(x);
    case 'gelu':
      return geluE(x);
    case 'gelu_tanh':
      return geluTanhE(x);
    case 'silu':
      return mul(x, sigmoidE(x));
    case 'softplus':
      return softplusE(x);
    case 'not':
      return binary('eq', x, k(0, x));
    case 'isnan':
      return x.dtype === 'int32' ? constant(0, 'bool') : isNan(x);
    case 'isinf':
      return x.dtype === 'int32' ? constant(0, 'bool') : binary('eq', abs(x), k(Infinity, x));
    case 'add_scalar':
      return add(x, a);
    case 'mul_scalar':
      return mul(x, a);
    case 'rsub_scalar':
      return sub(a, x);
    case 'rdiv_scalar':
      return div(a, x);
    case 'pow_scalar':
      if (powExponent === 2) return mul(x, x);
      return binary('pow', x, k(powExponent, x));
    case 'rpow_scalar':
      return binary('pow', a, x);
    case 'clamp':
      return clampE(x, a, b);
    default:
      throw new Error(`unary: unknown op '${String(op)}'`);
  }
}

/** The expression of a binary op over operands of one dtype (predicates give bool). */
export function binaryOpExpr(op: BinaryOp, a: Expr, b: Expr): Expr {
  if (op.endsWith('_grad') && a.dtype === 'int32') {
    a = cast(a, 'float32');
    b = cast(b, 'float32');
  }
  switch (op) {
    case 'add':
    case 'sub':
    case 'mul':
    case 'div':
    case 'pow':
      return binary(op, a, b);
    case 'atan2':
      return a.dtype === 'int32' ? binary('atan2', cast(a, 'float32'), cast(b, 'float32')) : binary('atan2', a, b);
    case 'maximum':
      return maximumE(a, b);
    case 'minimum':
      return minimumE(a, b);
    case 'eq':
    case 'ne':
    case 'lt':
    case 'le':
      return binary(op, a, b);
    case 'gt':
      return gt(a, b);
    case 'ge':
      return ge(a, b);
    case 'and':
      return binary('and', binary('ne', a, k(0, a)), binary('ne', b, k(0, b)));
    case 'or':
      return binary('or', binary('ne', a, k(0, a)), binary('ne', b, k(0, b)));
    case 'relu_grad':
      return where(gt(a, k(0, a)), b, k(0, b));
    case 'gelu_grad':
      return mul(b, geluDerivE(a));
    case 'gelu_tanh_grad':
      return mul(b, geluTanhDerivE(a));
    case 'silu_grad': {
      const s = sigmoidE(a);
      return mul(mul(b, s), add(k(1, a), mul(a, sub(k(1, a), s))));
    }
    case 'softplus_grad':
      return mul(b, sigmoidE(a));
    case 'sigmoid_grad':
      return mul(mul(b, a), sub(k(1, a), a));
    case 'tanh_grad':
      return mul(b, sub(k(1, a), mul(a, a)));
    case 'erf_grad':
      return mul(mul(b, k(TWO_OVER_SQRT_PI, a)), exp(mul(neg(a), a)));
    default:
      throw new Error(`binary: unknown op '${String(op)}'`);
  }
}

// ------------------------------------------------------------------------------ cached programs

const cache = new Map<string, Program>();

function memo(key: string, make: () => Program): Program {
  let p = cache.get(key);
  if (!p) {
    p = make();
    cache.set(key, p);
  }
  return p;
}

/**
 * The program of a unary op on an input of `inDtype` written as `outDtype`: input 0 is x,
 * scalar 0 is `a`, scalar 1 is `b` (`pow_scalar` bakes its exponent instead).
 */
export function unaryProgram(op: UnaryOp, inDtype: DType, outDtype: DType, powExponent = 0): Program {
  return memo(`u|${op}|${inDtype}|${outDtype}|${op === 'pow_scalar' ? powExponent : ''}`, () => {
    const x = input(0, inDtype);
    const sd = FLOAT_ONLY_UNARY.has(op) ? floatOf(inDtype) : inDtype;
    const e = unaryOpExpr(op, x, scalar(0, sd), scalar(1, sd), powExponent);
    return program([cast(e, outDtype)], [inDtype]);
  });
}

/** The program of a binary op on two inputs of `inDtype` written as `outDtype`. */
export function binaryProgram(op: BinaryOp, inDtype: DType, outDtype: DType): Program {
  return memo(`b|${op}|${inDtype}|${outDtype}`, () => program([cast(binaryOpExpr(op, input(0, inDtype), input(1, inDtype)), outDtype)], [inDtype, inDtype]));
}

/** `cond != 0 ? a : b` for a condition of `condDtype` and branches of `dtype`, written as `outDtype`. */
export function whereProgram(condDtype: DType, dtype: DType, outDtype: DType = dtype): Program {
  return memo(`w|${condDtype}|${dtype}|${outDtype}`, () => {
    const c = input(0, condDtype);
    return program([cast(where(binary('ne', c, k(0, c)), input(1, dtype), input(2, dtype)), outDtype)], [condDtype, dtype, dtype]);
  });
}

/** Copy / cast: output = input 0 converted to `to`. */
export function castProgram(from: DType, to: DType): Program {
  return memo(`c|${from}|${to}`, () => program([cast(input(0, from), to)], [from]));
}

/** Fill: output = scalar 0 (converted to `dtype`). */
export function fillProgram(dtype: DType): Program {
  return memo(`f|${dtype}`, () => program([scalar(0, dtype)], []));
}

/** `op(x, s)` (or `op(s, x)` when `reversed`) for input 0 of `dtype` and scalar 0, written as `outDtype`. */
export function binaryScalarProgram(op: BinaryOp, dtype: DType, outDtype: DType, reversed = false): Program {
  return memo(`bs|${op}|${dtype}|${outDtype}|${reversed ? 'r' : ''}`, () => {
    const x = input(0, dtype);
    const s = scalar(0, dtype);
    return program([cast(reversed ? binaryOpExpr(op, s, x) : binaryOpExpr(op, x, s), outDtype)], [dtype]);
  });
}

/** `cond != 0 ? a : b` where each branch is the next input (when `aIsInput`/`bIsInput`) or the next scalar. */
export function whereScalarProgram(condDtype: DType, dtype: DType, aIsInput: boolean, bIsInput: boolean): Program {
  return memo(`ws|${condDtype}|${dtype}|${aIsInput ? 'i' : 's'}${bIsInput ? 'i' : 's'}`, () => {
    const c = input(0, condDtype);
    let nextIn = 1;
    let nextS = 0;
    const a = aIsInput ? input(nextIn++, dtype) : scalar(nextS++, dtype);
    const b = bIsInput ? input(nextIn++, dtype) : scalar(nextS++, dtype);
    const types: DType[] = [condDtype, ...(aIsInput ? [dtype] : []), ...(bIsInput ? [dtype] : [])];
    return program([where(binary('ne', c, k(0, c)), a, b)], types);
  });
}
