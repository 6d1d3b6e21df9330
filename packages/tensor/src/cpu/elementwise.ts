/**
 * Elementwise row kernels. Each function switches on the op once and runs one tight loop per op
 * over a row `(array, offset, stride, length)`; the strided driver in `iterate.ts` calls them per
 * row (a contiguous problem is a single row).
 */
import type { BinaryOp, TypedArray, UnaryOp } from '../backend.js';
import {
  erf,
  gelu,
  geluDeriv,
  geluTanh,
  geluTanhDeriv,
  powC,
  powInt,
  roundHalfEven,
  sigmoid,
  softplus,
} from './special.js';

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/** Every unary op name (for validation). */
export const UNARY_OPS: ReadonlySet<string> = new Set<UnaryOp>([
  'neg', 'abs', 'sign', 'exp', 'log', 'sqrt', 'rsqrt', 'reciprocal', 'square', 'sin', 'cos', 'tanh', 'erf', 'sigmoid',
  'relu', 'gelu', 'gelu_tanh', 'silu', 'softplus', 'floor', 'ceil', 'round', 'not', 'add_scalar', 'mul_scalar',
  'rsub_scalar', 'rdiv_scalar', 'pow_scalar', 'rpow_scalar', 'clamp', 'isnan', 'isinf',
]);

/** Every binary op name (for validation). */
export const BINARY_OPS: ReadonlySet<string> = new Set<BinaryOp>([
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'atan2', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or',
  'relu_grad', 'gelu_grad', 'gelu_tanh_grad', 'silu_grad', 'softplus_grad', 'sigmoid_grad', 'tanh_grad', 'erf_grad',
]);

/**
 * `out[o + i] = op(x[xo + i * xs])` for i < n. `out` is written with stride 1. `intMode` selects
 * int32 semantics (integer `pow_scalar`, `mul_scalar` with wrap-around).
 */
export function unaryRow(
  op: UnaryOp,
  x: TypedArray,
  xo: number,
  xs: number,
  out: TypedArray,
  o: number,
  n: number,
  a: number,
  b: number,
  intMode: boolean,
): void {
  const end = o + n;
  switch (op) {
    case 'neg':
      for (; o < end; o++, xo += xs) out[o] = -x[xo]!;
      return;
    case 'abs':
      for (; o < end; o++, xo += xs) out[o] = Math.abs(x[xo]!);
      return;
    case 'sign':
      // (0 < v) - (v < 0): sign(0) = 0 and sign(NaN) = 0, as torch.sign on CPU.
      for (; o < end; o++, xo += xs) {
        const v = x[xo]!;
        out[o] = v > 0 ? 1 : v < 0 ? -1 : 0;
      }
      return;
    case 'exp':
      for (; o < end; o++, xo += xs) out[o] = Math.exp(x[xo]!);
      return;
    case 'log':
      for (; o < end; o++, xo += xs) out[o] = Math.log(x[xo]!);
      return;
    case 'sqrt':
      for (; o < end; o++, xo += xs) out[o] = Math.sqrt(x[xo]!);
      return;
    case 'rsqrt':
      for (; o < end; o++, xo += xs) out[o] = 1 / Math.sqrt(x[xo]!);
      return;
    case 'reciprocal':
      for (; o < end; o++, xo += xs) out[o] = 1 / x[xo]!;
      return;
    case 'square':
      if (intMode) {
        for (; o < end; o++, xo += xs) out[o] = Math.imul(x[xo]!, x[xo]!);
      } else {
        for (; o < end; o++, xo += xs) {
          const v = x[xo]!;
          out[o] = v * v;
        }
      }
      return;
    case 'sin':
      for (; o < end; o++, xo += xs) out[o] = Math.sin(x[xo]!);
      return;
    case 'cos':
      for (; o < end; o++, xo += xs) out[o] = Math.cos(x[xo]!);
      return;
    case 'tanh':
      for (; o < end; o++, xo += xs) out[o] = Math.tanh(x[xo]!);
      return;
    case 'erf':
      for (; o < end; o++, xo += xs) out[o] = erf(x[xo]!);
      return;
    case 'sigmoid':
      for (; o < end; o++, xo += xs) out[o] = sigmoid(x[xo]!);
      return;
    case 'relu':
      // clamp_min(x, 0): NaN propagates.
      for (; o < end; o++, xo += xs) {
        const v = x[xo]!;
        out[o] = v > 0 || v !== v ? v : 0;
      }
      return;
    case 'gelu':
      for (; o < end; o++, xo += xs) out[o] = gelu(x[xo]!);
      return;
    case 'gelu_tanh':
      for (; o < end; o++, xo += xs) out[o] = geluTanh(x[xo]!);
      return;
    case 'silu':
      for (; o < end; o++, xo += xs) {
        const v = x[xo]!;
        out[o] = v * sigmoid(v);
      }
      return;
    case 'softplus':
      for (; o < end; o++, xo += xs) out[o] = softplus(x[xo]!);
      return;
    case 'floor':
      for (; o < end; o++, xo += xs) out[o] = Math.floor(x[xo]!);
      return;
    case 'ceil':
      for (; o < end; o++, xo += xs) out[o] = Math.ceil(x[xo]!);
      return;
    case 'round':
      for (; o < end; o++, xo += xs) out[o] = roundHalfEven(x[xo]!);
      return;
    case 'not':
      for (; o < end; o++, xo += xs) out[o] = x[xo] === 0 ? 1 : 0;
      return;
    case 'add_scalar':
      for (; o < end; o++, xo += xs) out[o] = x[xo]! + a;
      return;
    case 'mul_scalar':
      if (intMode && Number.isInteger(a)) {
        for (; o < end; o++, xo += xs) out[o] = Math.imul(x[xo]!, a);
      } else {
        for (; o < end; o++, xo += xs) out[o] = x[xo]! * a;
      }
      return;
    case 'rsub_scalar':
      for (; o < end; o++, xo += xs) out[o] = a - x[xo]!;
      return;
    case 'rdiv_scalar':
      for (; o < end; o++, xo += xs) out[o] = a / x[xo]!;
      return;
    case 'pow_scalar':
      if (intMode && Number.isInteger(a)) {
        for (; o < end; o++, xo += xs) out[o] = powInt(x[xo]!, a);
      } else if (a === 2) {
        for (; o < end; o++, xo += xs) {
          const v = x[xo]!;
          out[o] = v * v;
        }
      } else if (a === 0.5) {
        // sqrt differs from pow(x, 0.5) only at -0 and -Infinity; keep C pow semantics there.
        for (; o < end; o++, xo += xs) out[o] = powC(x[xo]!, 0.5);
      } else {
        for (; o < end; o++, xo += xs) out[o] = powC(x[xo]!, a);
      }
      return;
    case 'rpow_scalar':
      if (intMode && Number.isInteger(a)) {
        for (; o < end; o++, xo += xs) out[o] = powInt(a, x[xo]!);
      } else {
        for (; o < end; o++, xo += xs) out[o] = powC(a, x[xo]!);
      }
      return;
    case 'clamp':
      for (; o < end; o++, xo += xs) {
        let v = x[xo]!;
        if (v < a) v = a;
        if (v > b) v = b;
        out[o] = v;
      }
      return;
    case 'isnan':
      for (; o < end; o++, xo += xs) {
        const v = x[xo]!;
        out[o] = v !== v ? 1 : 0;
      }
      return;
    case 'isinf':
      for (; o < end; o++, xo += xs) {
        const v = x[xo]!;
        out[o] = v === Infinity || v === -Infinity ? 1 : 0;
      }
      return;
    default:
      throw new Error(`unary: unknown op '${String(op)}'`);
  }
}

/**
 * `out[o + i] = op(a[ao + i * as], b[bo + i * bs])` for i < n (out stride 1). `intMode` selects
 * int32 semantics: wrap-around multiply, truncating division, integer pow.
 */
export function binaryRow(
  op: BinaryOp,
  a: TypedArray,
  ao: number,
  as: number,
  b: TypedArray,
  bo: number,
  bs: number,
  out: TypedArray,
  o: number,
  n: number,
  intMode: boolean,
): void {
  const end = o + n;
  switch (op) {
    case 'add':
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao]! + b[bo]!;
      return;
    case 'sub':
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao]! - b[bo]!;
      return;
    case 'mul':
      if (intMode) {
        for (; o < end; o++, ao += as, bo += bs) out[o] = Math.imul(a[ao]!, b[bo]!);
      } else {
        for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao]! * b[bo]!;
      }
      return;
    case 'div':
      if (intMode) {
        for (; o < end; o++, ao += as, bo += bs) {
          const d = b[bo]!;
          if (d === 0) throw new Error(`div: integer division by zero (dividend ${a[ao]})`);
          out[o] = Math.trunc(a[ao]! / d);
        }
      } else {
        for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao]! / b[bo]!;
      }
      return;
    case 'pow':
      if (intMode) {
        for (; o < end; o++, ao += as, bo += bs) out[o] = powInt(a[ao]!, b[bo]!);
      } else {
        for (; o < end; o++, ao += as, bo += bs) out[o] = powC(a[ao]!, b[bo]!);
      }
      return;
    case 'maximum':
      // NaN propagates from either side, as torch.maximum.
      for (; o < end; o++, ao += as, bo += bs) {
        const x = a[ao]!;
        const y = b[bo]!;
        out[o] = x > y || x !== x ? x : y;
      }
      return;
    case 'minimum':
      for (; o < end; o++, ao += as, bo += bs) {
        const x = a[ao]!;
        const y = b[bo]!;
        out[o] = x < y || x !== x ? x : y;
      }
      return;
    case 'atan2':
      for (; o < end; o++, ao += as, bo += bs) out[o] = Math.atan2(a[ao]!, b[bo]!);
      return;
    case 'eq':
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao] === b[bo] ? 1 : 0;
      return;
    case 'ne':
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao] !== b[bo] ? 1 : 0;
      return;
    case 'lt':
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao]! < b[bo]! ? 1 : 0;
      return;
    case 'le':
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao]! <= b[bo]! ? 1 : 0;
      return;
    case 'gt':
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao]! > b[bo]! ? 1 : 0;
      return;
    case 'ge':
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao]! >= b[bo]! ? 1 : 0;
      return;
    case 'and':
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao] !== 0 && b[bo] !== 0 ? 1 : 0;
      return;
    case 'or':
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao] !== 0 || b[bo] !== 0 ? 1 : 0;
      return;
    case 'relu_grad':
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao]! > 0 ? b[bo]! : 0;
      return;
    case 'gelu_grad':
      for (; o < end; o++, ao += as, bo += bs) out[o] = b[bo]! * geluDeriv(a[ao]!);
      return;
    case 'gelu_tanh_grad':
      for (; o < end; o++, ao += as, bo += bs) out[o] = b[bo]! * geluTanhDeriv(a[ao]!);
      return;
    case 'silu_grad':
      for (; o < end; o++, ao += as, bo += bs) {
        const x = a[ao]!;
        const s = sigmoid(x);
        out[o] = b[bo]! * s * (1 + x * (1 - s));
      }
      return;
    case 'softplus_grad':
      for (; o < end; o++, ao += as, bo += bs) out[o] = b[bo]! * sigmoid(a[ao]!);
      return;
    case 'sigmoid_grad':
      for (; o < end; o++, ao += as, bo += bs) {
        const y = a[ao]!;
        out[o] = b[bo]! * y * (1 - y);
      }
      return;
    case 'tanh_grad':
      for (; o < end; o++, ao += as, bo += bs) {
        const y = a[ao]!;
        out[o] = b[bo]! * (1 - y * y);
      }
      return;
    case 'erf_grad':
      for (; o < end; o++, ao += as, bo += bs) {
        const x = a[ao]!;
        out[o] = b[bo]! * TWO_OVER_SQRT_PI * Math.exp(-x * x);
      }
      return;
    default:
      throw new Error(`binary: unknown op '${String(op)}'`);
  }
}

/** `out[o + i] = c[co + i * cs] != 0 ? a[...] : b[...]` for i < n (out stride 1). */
export function whereRow(
  c: TypedArray,
  co: number,
  cs: number,
  a: TypedArray,
  ao: number,
  as: number,
  b: TypedArray,
  bo: number,
  bs: number,
  out: TypedArray,
  o: number,
  n: number,
): void {
  const end = o + n;
  for (; o < end; o++, co += cs, ao += as, bo += bs) out[o] = c[co] !== 0 ? a[ao]! : b[bo]!;
}

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
