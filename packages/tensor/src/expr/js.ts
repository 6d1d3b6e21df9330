/**
 * JavaScript code generation for expression programs: one specialised row kernel per program and
 * operand layout (stride 0, 1 or other along the row), compiled once with `new Function` and
 * cached. The code follows the reference semantics of `eval.ts` exactly (float64 arithmetic,
 * int32 wrap-around). Where code generation is not allowed (a content security policy), the
 * kernel falls back to interpreting the program per element.
 */
import type { TypedArray } from '../backend.js';
import { erf, erfc, powC, powInt, roundHalfEven } from '../cpu/special.js';
import { evalProgram, fmax, fmin, idiv } from './eval.js';
import { scalarValue, spelledOp, toInt32, type Expr, type OpSpelling, type Program } from './ir.js';

/**
 * A row kernel: for `j < n`, `out_k[OO[k] + j * OS[k]] = expr_k(in_i[IO[i] + j * IS[i]] ...)`.
 * `S` holds the raw scalar parameters.
 */
export type RowKernel = (I: readonly TypedArray[], IO: readonly number[], IS: readonly number[], O: readonly TypedArray[], OO: readonly number[], OS: readonly number[], n: number, S: ArrayLike<number>) => void;

const HELPERS = { erf, erfc, powC, powInt, round: roundHalfEven, fmax, fmin, idiv, sv: scalarValue, toI32: toInt32 };

let codegenAllowed: boolean | null = null;

/** Whether `new Function` works here (it does not under a strict content security policy). */
export function jsCodegenAllowed(): boolean {
  if (codegenAllowed === null) {
    try {
      codegenAllowed = new Function('return 1')() === 1;
    } catch {
      codegenAllowed = false;
    }
  }
  return codegenAllowed;
}

function literal(e: Expr): string {
  if (e.dtype === 'bool') return e.value !== 0 ? 'true' : 'false';
  const v = e.value;
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '(-Infinity)';
  if (Object.is(v, -0)) return '(-0)';
  return v < 0 ? `(${String(v)})` : String(v);
}

/** The ops JavaScript spells one way whatever the dtype (`erf`, `erfc`, `round` are the kernel's helpers). */
const JS: OpSpelling = {
  calls: {
    sqrt: 'Math.sqrt',
    exp: 'Math.exp',
    log: 'Math.log',
    log1p: 'Math.log1p',
    sin: 'Math.sin',
    cos: 'Math.cos',
    tanh: 'Math.tanh',
    floor: 'Math.floor',
    ceil: 'Math.ceil',
    erf: 'erf',
    erfc: 'erfc',
    round: 'round',
  },
  infix: { lt: '<', le: '<=', eq: '===', ne: '!==', and: '&&', or: '||' },
};

/** JavaScript expression text of node `e` given its operand texts (the ops `JS` does not spell). */
function nodeCode(e: Expr, a: string, b: string, c: string): string {
  const int = e.args[0]?.dtype === 'int32';
  switch (e.op) {
    case 'cast': {
      const from = e.args[0]!.dtype;
      if (from === 'bool') return `(${a} ? 1 : 0)`;
      if (e.dtype === 'float32') return from === 'float32' ? a : `Math.fround(${a})`;
      if (e.dtype === 'float64') return a;
      if (e.dtype === 'int32') return `toI32(${a})`;
      return `(${a} !== 0)`;
    }
    case 'where':
      return `(${a} ? ${b} : ${c})`;
    case 'neg':
      return int ? `((-${a}) | 0)` : `(-${a})`;
    case 'abs':
      return int ? `(Math.abs(${a}) | 0)` : `Math.abs(${a})`;
    case 'not':
      return `(!${a})`;
    case 'add':
      return int ? `((${a} + ${b}) | 0)` : `(${a} + ${b})`;
    case 'sub':
      return int ? `((${a} - ${b}) | 0)` : `(${a} - ${b})`;
    case 'mul':
      return int ? `Math.imul(${a}, ${b})` : `(${a} * ${b})`;
    case 'div':
      return int ? `idiv(${a}, ${b})` : `(${a} / ${b})`;
    case 'pow':
      return int ? `powInt(${a}, ${b})` : `powC(${a}, ${b})`;
    case 'max':
      return int ? `Math.max(${a}, ${b})` : `fmax(${a}, ${b})`;
    case 'min':
      return int ? `Math.min(${a}, ${b})` : `fmin(${a}, ${b})`;
    case 'atan2':
      return `Math.atan2(${a}, ${b})`;
    default:
      throw new Error(`expr: no JavaScript for node '${e.op}'`);
  }
}

/**
 * Source of the row kernel of `p` for `layout`: one character per operand (inputs, then outputs),
 * '0' (stride 0), '1' (stride 1) or 's' (any other stride).
 */
export function rowKernelSource(p: Program, layout: string): string {
  const nIn = p.inputs.length;
  const nOut = p.outputs.length;
  const lines: string[] = [];
  const head: string[] = [];
  for (let i = 0; i < nIn; i++) head.push(`const i${i} = I[${i}]; let p${i} = IO[${i}]; const d${i} = IS[${i}];`);
  for (let k = 0; k < nOut; k++) head.push(`const o${k} = O[${k}]; let q${k} = OO[${k}]; const e${k} = OS[${k}];`);
  const name = new Map<number, string>();
  const hoisted: string[] = [];
  // Loop-invariant nodes (constants, scalars, broadcast inputs and everything built only from them) are hoisted.
  const invariant = new Set<number>();
  for (const e of p.nodes) {
    if (e.op === 'const') {
      name.set(e.id, literal(e));
      invariant.add(e.id);
    } else if (e.op === 'scalar') {
      const v = `c${e.id}`;
      hoisted.push(`const ${v} = sv(S[${e.index}], ${JSON.stringify(e.dtype)});`);
      name.set(e.id, v);
      invariant.add(e.id);
    } else if (e.op === 'input') {
      const v = `x${e.index}`;
      name.set(e.id, v);
      const cls = layout[e.index];
      if (cls === '0') {
        hoisted.push(`const ${v} = i${e.index}[p${e.index}];`);
        invariant.add(e.id);
      } else if (cls === '1') lines.push(`const ${v} = i${e.index}[p${e.index} + j];`);
      else lines.push(`const ${v} = i${e.index}[p${e.index}]; p${e.index} += d${e.index};`);
    } else {
      const [a, b, c] = e.args.map((x) => name.get(x.id)!);
      const v = `t${e.id}`;
      const code = `const ${v} = ${spelledOp(JS, e.op, a!, b ?? '') ?? nodeCode(e, a!, b ?? '', c ?? '')};`;
      if (e.args.every((x) => invariant.has(x.id)) && e.op !== 'div') {
        hoisted.push(code);
        invariant.add(e.id);
      } else lines.push(code);
      name.set(e.id, v);
    }
  }
  // Inputs that no output reads still advance (harmless) only when strided; nothing to do otherwise.
  for (let k = 0; k < nOut; k++) {
    const cls = layout[nIn + k];
    const val = name.get(p.outputs[k]!.id)!;
    if (cls === '1') lines.push(`o${k}[q${k} + j] = ${val};`);
    else lines.push(`o${k}[q${k}] = ${val}; q${k} += e${k};`);
  }
  return `${head.join('\n')}
${hoisted.join('\n')}
for (let j = 0; j < n; j++) {
${lines.join('\n')}
}`;
}

const kernels = new WeakMap<Program, Map<string, RowKernel>>();

/** The (cached) row kernel of `p` for an operand layout (see `rowKernelSource`). */
export function rowKernel(p: Program, layout: string): RowKernel {
  let byLayout = kernels.get(p);
  if (!byLayout) kernels.set(p, (byLayout = new Map()));
  let k = byLayout.get(layout);
  if (k) return k;
  if (jsCodegenAllowed()) {
    const body = rowKernelSource(p, layout);
    const make = new Function(
      'H',
      `const { erf, erfc, powC, powInt, round, fmax, fmin, idiv, sv, toI32 } = H;\nreturn function ewRow(I, IO, IS, O, OO, OS, n, S) {\n${body}\n};`,
    ) as (h: typeof HELPERS) => RowKernel;
    k = make(HELPERS);
  } else {
    k = interpretedKernel(p);
  }
  byLayout.set(layout, k);
  return k;
}

/** A row kernel that interprets the program per element (no code generation). */
function interpretedKernel(p: Program): RowKernel {
  return (I, IO, IS, O, OO, OS, n, S) => {
    const xs = new Array<number>(I.length);
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < I.length; i++) xs[i] = I[i]![IO[i]! + j * IS[i]!]!;
      const r = evalProgram(p, xs, S);
      for (let q = 0; q < O.length; q++) O[q]![OO[q]! + j * OS[q]!] = r[q]!;
    }
  };
}
