/**
 * The elementwise expression IR: a small DAG of ALU operations over the inputs of one kernel.
 *
 * A backend's `elementwise(program, inputs, outputs, scalars)` evaluates a `Program`: one
 * expression per output, over `input(i)` leaves (element i of input view i at the same index),
 * baked constants and runtime `scalar(i)` parameters (so a kernel compiled once serves every value
 * of a learning rate or a bias correction). Nodes are interned: structurally equal nodes are the
 * same object with the same small integer `id`, so a program's `key` identifies it and shared
 * subexpressions are computed once by every code generator.
 *
 * Types: `float32`, `float64`, `int32` (the storage dtypes) and `bool` (comparisons; never stored).
 * Semantics are those of the CPU reference: float nodes follow IEEE (NaN propagates through
 * `max`/`min`), `pow` has C semantics, `round` is half to even, int32 arithmetic wraps, int32 `div`
 * truncates toward zero (dividing by zero is an error where the backend can detect it).
 */
import type { DType } from '../backend.js';

/** Types of expression nodes: the storage dtypes and `bool`. */
export type ExprDType = DType | 'bool';

/** One-operand ALU ops. `not` is on bool; the rest are numeric (the transcendental ones float only). */
export const UNARY_ALU = [
  'neg',
  'abs',
  'sqrt',
  'exp',
  'log',
  'log1p',
  'sin',
  'cos',
  'tanh',
  'erf',
  'erfc',
  'floor',
  'ceil',
  'round',
  'not',
] as const;

/** Two-operand ALU ops. Comparisons give bool; `and`/`or` are on bool. */
export const BINARY_ALU = ['add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'atan2', 'lt', 'le', 'eq', 'ne', 'and', 'or'] as const;

/** A one-operand ALU op. */
export type UnaryAlu = (typeof UNARY_ALU)[number];
/** A two-operand ALU op. */
export type BinaryAlu = (typeof BINARY_ALU)[number];
/** Every node kind. */
export type ExprOp = 'input' | 'const' | 'scalar' | 'cast' | 'where' | UnaryAlu | BinaryAlu;

const FLOAT_ONLY_UNARY: ReadonlySet<string> = new Set(['sqrt', 'exp', 'log', 'log1p', 'sin', 'cos', 'tanh', 'erf', 'erfc']);
const COMPARE: ReadonlySet<string> = new Set(['lt', 'le', 'eq', 'ne']);
const LOGICAL: ReadonlySet<string> = new Set(['and', 'or']);
const UNARY_SET: ReadonlySet<string> = new Set(UNARY_ALU);
const BINARY_SET: ReadonlySet<string> = new Set(BINARY_ALU);

/** True for a one-operand ALU op name. */
export function isUnaryAlu(op: string): op is UnaryAlu {
  return UNARY_SET.has(op);
}

/** True for a two-operand ALU op name. */
export function isBinaryAlu(op: string): op is BinaryAlu {
  return BINARY_SET.has(op);
}

/** A node of the expression DAG (interned: build nodes with the functions below, never by hand). */
export interface Expr {
  /** Interning id (unique per structure within this process). */
  readonly id: number;
  /** The operation. */
  readonly op: ExprOp;
  /** Result type. */
  readonly dtype: ExprDType;
  /** Operands. */
  readonly args: readonly Expr[];
  /** Input or scalar index (`input`, `scalar`), else 0. */
  readonly index: number;
  /** Constant value (`const`), else 0. */
  readonly value: number;
}

const table = new Map<string, Expr>();
let nextId = 1;

function intern(op: ExprOp, dtype: ExprDType, args: readonly Expr[], index = 0, value = 0): Expr {
  const valueKey = op === 'const' ? (Object.is(value, -0) ? '-0' : String(value)) : '';
  const key = `${op}|${dtype}|${index}|${valueKey}|${args.map((a) => a.id).join(',')}`;
  let e = table.get(key);
  if (!e) {
    e = Object.freeze({ id: nextId++, op, dtype, args: Object.freeze([...args]), index, value });
    table.set(key, e);
  }
  return e;
}

function isFloat(d: ExprDType): boolean {
  return d === 'float32' || d === 'float64';
}

function fmtE(e: Expr): string {
  return `${e.op}:${e.dtype}`;
}

/** Element `index` of input view `index` (of storage dtype `dtype`). */
export function input(index: number, dtype: DType): Expr {
  if (!Number.isInteger(index) || index < 0) throw new Error(`expr: input index must be a non-negative integer, got ${index}`);
  return intern('input', dtype, [], index);
}

/** Runtime scalar parameter `index` (converted to `dtype`: int32 truncates and saturates; float32 keeps double precision on the CPU reference, float32 on compiled backends). */
export function scalar(index: number, dtype: ExprDType): Expr {
  if (!Number.isInteger(index) || index < 0) throw new Error(`expr: scalar index must be a non-negative integer, got ${index}`);
  if (dtype === 'bool') throw new Error('expr: scalar parameters cannot be bool');
  return intern('scalar', dtype, [], index);
}

/** A constant baked into the kernel (use `scalar` for values that change between calls). */
export function constant(value: number, dtype: ExprDType): Expr {
  if (typeof value !== 'number') throw new Error(`expr: constant must be a number, got ${typeof value}`);
  // float32 constants keep their double value: the CPU reference computes in float64 (compiled
  // backends round them to float32 when they emit them).
  const v = dtype === 'int32' ? toInt32(value) : dtype === 'bool' ? (value !== 0 ? 1 : 0) : value;
  return intern('const', dtype, [], 0, v);
}

/** Convert `a` to `dtype` (float to int32 truncates toward zero and saturates, NaN to 0; bool gives 0/1). */
export function cast(a: Expr, dtype: ExprDType): Expr {
  if (a.dtype === dtype) return a;
  if (dtype === 'bool') return binary('ne', a, constant(0, a.dtype));
  return intern('cast', dtype, [a]);
}

/** A one-operand ALU op (checked: transcendental ops need floats, `not` needs bool). */
export function unary(op: UnaryAlu, a: Expr): Expr {
  if (!UNARY_SET.has(op)) throw new Error(`expr: unknown unary op '${String(op)}'`);
  if (op === 'not') {
    if (a.dtype !== 'bool') throw new Error(`expr: not needs a bool operand, got ${fmtE(a)}`);
    return intern(op, 'bool', [a]);
  }
  if (a.dtype === 'bool') throw new Error(`expr: ${op} needs a numeric operand, got bool`);
  if (FLOAT_ONLY_UNARY.has(op) && !isFloat(a.dtype)) throw new Error(`expr: ${op} needs a float operand, got ${a.dtype}`);
  if ((op === 'floor' || op === 'ceil' || op === 'round') && a.dtype === 'int32') return a;
  return intern(op, a.dtype, [a]);
}

/** A two-operand ALU op; operands must have one dtype (comparisons give bool). */
export function binary(op: BinaryAlu, a: Expr, b: Expr): Expr {
  if (!BINARY_SET.has(op)) throw new Error(`expr: unknown binary op '${String(op)}'`);
  if (a.dtype !== b.dtype) throw new Error(`expr: ${op} operands have different dtypes: ${fmtE(a)} and ${fmtE(b)}`);
  if (LOGICAL.has(op)) {
    if (a.dtype !== 'bool') throw new Error(`expr: ${op} needs bool operands, got ${a.dtype}`);
    return intern(op, 'bool', [a, b]);
  }
  if (a.dtype === 'bool') {
    if (op === 'eq' || op === 'ne') return intern(op, 'bool', [a, b]);
    throw new Error(`expr: ${op} needs numeric operands, got bool`);
  }
  if (op === 'atan2' && !isFloat(a.dtype)) throw new Error(`expr: atan2 needs float operands, got ${a.dtype}`);
  return intern(op, COMPARE.has(op) ? 'bool' : a.dtype, [a, b]);
}

/** `cond ? a : b` elementwise; `cond` is bool, `a` and `b` share a dtype. */
export function where(cond: Expr, a: Expr, b: Expr): Expr {
  if (cond.dtype !== 'bool') throw new Error(`expr: where needs a bool condition, got ${fmtE(cond)}`);
  if (a.dtype !== b.dtype) throw new Error(`expr: where branches have different dtypes: ${fmtE(a)} and ${fmtE(b)}`);
  if (a === b) return a;
  return intern('where', a.dtype, [cond, a, b]);
}

/** int32 conversion of a number: truncation toward zero, saturating, NaN to 0. */
export function toInt32(v: number): number {
  if (v !== v) return 0;
  if (v >= 2147483647) return 2147483647;
  if (v <= -2147483648) return -2147483648;
  return Math.trunc(v) | 0;
}

/** The value a scalar parameter takes for a node of `dtype` in the reference semantics (float32 scalars stay double, as the CPU reference computes in float64). */
export function scalarValue(v: number, dtype: ExprDType): number {
  return dtype === 'int32' ? toInt32(v) : dtype === 'bool' ? (v !== 0 ? 1 : 0) : v;
}

/**
 * A kernel's worth of expressions: one per output, over `inputs.length` inputs (their storage
 * dtypes) and `scalars` runtime parameters. Build with `program()`; `key` identifies it.
 */
export interface Program {
  /** One expression per output; each has a storage dtype (not bool). */
  readonly outputs: readonly Expr[];
  /** Storage dtype of each input, by index (every input index below `inputs.length` is typed). */
  readonly inputs: readonly DType[];
  /** Number of runtime scalar parameters read (highest index + 1). */
  readonly scalars: number;
  /** Every node reachable from the outputs, operands before users (for code generators). */
  readonly nodes: readonly Expr[];
  /** Canonical identity of the program within this process. */
  readonly key: string;
}

const programs = new Map<string, Program>();

/** Every node reachable from `roots`, operands first. */
export function topoSort(roots: readonly Expr[]): Expr[] {
  const seen = new Set<number>();
  const out: Expr[] = [];
  const stack: [Expr, number][] = roots.map((r) => [r, 0] as [Expr, number]).reverse();
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [e, i] = top;
    if (seen.has(e.id)) {
      stack.pop();
      continue;
    }
    if (i < e.args.length) {
      top[1]++;
      const a = e.args[i]!;
      if (!seen.has(a.id)) stack.push([a, 0]);
    } else {
      stack.pop();
      seen.add(e.id);
      out.push(e);
    }
  }
  return out;
}

/**
 * A program of `outputs`. `inputDtypes` may list inputs an expression does not read (they still
 * take a place in the input list). Programs are cached: equal outputs give the same object.
 */
export function program(outputs: readonly Expr[], inputDtypes?: readonly DType[]): Program {
  if (outputs.length === 0) throw new Error('expr: a program needs at least one output');
  for (const o of outputs) if (o.dtype === 'bool') throw new Error('expr: program outputs must have a storage dtype (cast bool outputs)');
  const key = `${outputs.map((o) => o.id).join(',')}${inputDtypes ? `|${inputDtypes.join(',')}` : ''}`;
  const cached = programs.get(key);
  if (cached) return cached;
  const nodes = topoSort(outputs);
  const inputs: DType[] = inputDtypes ? [...inputDtypes] : [];
  let scalars = 0;
  for (const n of nodes) {
    if (n.op === 'input') {
      const prev = inputs[n.index];
      if (prev !== undefined && prev !== n.dtype) throw new Error(`expr: input ${n.index} is read as ${prev} and as ${n.dtype}`);
      inputs[n.index] = n.dtype as DType;
    } else if (n.op === 'scalar') scalars = Math.max(scalars, n.index + 1);
  }
  for (let i = 0; i < inputs.length; i++) if (inputs[i] === undefined) throw new Error(`expr: input ${i} is neither read nor typed`);
  const p: Program = Object.freeze({ outputs: Object.freeze([...outputs]), inputs: Object.freeze(inputs), scalars, nodes: Object.freeze(nodes), key });
  programs.set(key, p);
  return p;
}

/** Replace `input(i)` leaves by `replacement(i)` (used to inline one kernel into another). */
export function substitute(e: Expr, replacement: (index: number, dtype: DType) => Expr, scalarMap?: (index: number, dtype: ExprDType) => Expr): Expr {
  const memo = new Map<number, Expr>();
  const visit = (n: Expr): Expr => {
    const hit = memo.get(n.id);
    if (hit) return hit;
    let r: Expr;
    if (n.op === 'input') r = replacement(n.index, n.dtype as DType);
    else if (n.op === 'scalar') r = scalarMap ? scalarMap(n.index, n.dtype) : n;
    else if (n.op === 'const') r = n;
    else {
      const args = n.args.map(visit);
      r = args.every((a, i) => a === n.args[i]) ? n : rebuild(n, args);
    }
    memo.set(n.id, r);
    return r;
  };
  return visit(e);
}

/** The same operation as `n` over new operands. */
export function rebuild(n: Expr, args: readonly Expr[]): Expr {
  if (n.op === 'cast') return cast(args[0]!, n.dtype);
  if (n.op === 'where') return where(args[0]!, args[1]!, args[2]!);
  if (UNARY_SET.has(n.op)) return unary(n.op as UnaryAlu, args[0]!);
  if (BINARY_SET.has(n.op)) return binary(n.op as BinaryAlu, args[0]!, args[1]!);
  return n;
}

/** Number of nodes of a program that are not leaves (a cost estimate). */
export function opCount(p: Program): number {
  let n = 0;
  for (const e of p.nodes) if (e.op !== 'input' && e.op !== 'const' && e.op !== 'scalar') n++;
  return n;
}

/** Human-readable form of an expression (for errors and debugging). */
export function show(e: Expr): string {
  switch (e.op) {
    case 'input':
      return `x${e.index}`;
    case 'scalar':
      return `s${e.index}`;
    case 'const':
      return String(e.value);
    case 'cast':
      return `${e.dtype}(${show(e.args[0]!)})`;
    default:
      return `${e.op}(${e.args.map(show).join(', ')})`;
  }
}

/**
 * How a code generator's target language spells the ops that need no case of their own: `calls`
 * are one function call `f(a)` and `infix` one operator `(a op b)`, whatever the dtype.
 */
export interface OpSpelling {
  calls: Partial<Record<ExprOp, string>>;
  infix: Partial<Record<ExprOp, string>>;
}

/** Text of op `op` over operand texts `a`, `b` when `spelling` has it as a call or an infix operator; null otherwise. */
export function spelledOp(spelling: OpSpelling, op: ExprOp, a: string, b: string): string | null {
  const call = spelling.calls[op];
  if (call !== undefined) return `${call}(${a})`;
  const infix = spelling.infix[op];
  return infix === undefined ? null : `(${a} ${infix} ${b})`;
}
