/**
 * The reference semantics of the expression IR: a per-element interpreter in float64 (int32 nodes
 * wrap like int32 arithmetic, float32 nodes are evaluated in float64 and rounded only by `cast`
 * and by the final store). The JavaScript code generator must agree with it exactly; compiled
 * backends (WebAssembly SIMD, WGSL) within a few float32 ulps. Also the fallback evaluator where
 * code generation is not allowed (a content security policy without `unsafe-eval`).
 */
import { erf, erfc, powC, powInt, roundHalfEven } from '../cpu/special.js';
import type { Expr, ExprDType, ExprOp, Program } from './ir.js';
import { scalarValue, toInt32 } from './ir.js';

/** NaN-propagating maximum of two floats. */
export function fmax(a: number, b: number): number {
  return a > b || a !== a ? a : b;
}

/** NaN-propagating minimum of two floats. */
export function fmin(a: number, b: number): number {
  return a < b || a !== a ? a : b;
}

/** int32 division truncating toward zero; division by zero is an error. */
export function idiv(a: number, b: number): number {
  if (b === 0) throw new Error(`div: integer division by zero (dividend ${a})`);
  return Math.trunc(a / b) | 0;
}

/** Value of `cast(v: from -> to)` in the reference semantics. */
export function castValue(v: number | boolean, from: ExprDType, to: ExprDType): number | boolean {
  if (from === 'bool') return to === 'bool' ? v : v ? 1 : 0;
  const x = v as number;
  switch (to) {
    case 'float32':
      return Math.fround(x);
    case 'float64':
      return x;
    case 'int32':
      return toInt32(x);
    default:
      return x !== 0;
  }
}

/** Unary ALU ops that are one function of a number (the same for every dtype). */
const MATH: Partial<Record<ExprOp, (x: number) => number>> = {
  sqrt: Math.sqrt,
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  erf,
  erfc,
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
};

/** Evaluate one node given its operand values. */
export function applyNode(e: Expr, a: number | boolean, b: number | boolean, c: number | boolean): number | boolean {
  const int = e.args[0]?.dtype === 'int32';
  const x = a as number;
  const y = b as number;
  const math = MATH[e.op];
  if (math) return math(x);
  switch (e.op) {
    case 'cast':
      return castValue(a, e.args[0]!.dtype, e.dtype);
    case 'where':
      return a ? b : c;
    case 'neg':
      return int ? -x | 0 : -x;
    case 'abs':
      return int ? Math.abs(x) | 0 : Math.abs(x);
    case 'not':
      return !a;
    case 'add':
      return int ? (x + y) | 0 : x + y;
    case 'sub':
      return int ? (x - y) | 0 : x - y;
    case 'mul':
      return int ? Math.imul(x, y) : x * y;
    case 'div':
      return int ? idiv(x, y) : x / y;
    case 'pow':
      return int ? powInt(x, y) : powC(x, y);
    case 'max':
      return int ? Math.max(x, y) : fmax(x, y);
    case 'min':
      return int ? Math.min(x, y) : fmin(x, y);
    case 'atan2':
      return Math.atan2(x, y);
    case 'lt':
      return x < y;
    case 'le':
      return x <= y;
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'and':
      return !!a && !!b;
    case 'or':
      return !!a || !!b;
    default:
      throw new Error(`expr: cannot evaluate node '${e.op}'`);
  }
}

/**
 * Evaluate every output of `p` at one element: `inputs[i]` is input i's value there, `scalars`
 * the raw scalar parameters. Returns the output values (numbers; bool outputs do not occur).
 */
export function evalProgram(p: Program, inputs: ArrayLike<number>, scalars: ArrayLike<number>): number[] {
  const vals = new Map<number, number | boolean>();
  for (const e of p.nodes) {
    let v: number | boolean;
    if (e.op === 'input') v = inputs[e.index]!;
    else if (e.op === 'scalar') v = scalarValue(scalars[e.index] ?? NaN, e.dtype);
    else if (e.op === 'const') v = e.dtype === 'bool' ? e.value !== 0 : e.value;
    else {
      const [a, b, c] = e.args;
      v = applyNode(e, vals.get(a!.id)!, b ? vals.get(b.id)! : 0, c ? vals.get(c.id)! : 0);
    }
    vals.set(e.id, v);
  }
  return p.outputs.map((o) => vals.get(o.id) as number);
}
