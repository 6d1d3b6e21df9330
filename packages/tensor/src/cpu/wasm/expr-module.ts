/**
 * WebAssembly SIMD code generation for expression programs: one small module per program and
 * operand layout, importing the arena memory (see `arena.ts`) and exporting `k(n, rows, args)`,
 * which evaluates the program over `rows` rows of `n` elements. Operands are float32 / int32 with
 * element stride 1 (read 4 lanes at a time) or 0 (broadcast: loaded once per row) along a row, and
 * any row stride; the last `n % 4` elements of a row run the same code on lane 0. `args` points to
 * the argument block: one byte pointer per input, then per output, then the scalar parameters
 * (already converted to their node's type), then one row stride in bytes per operand.
 *
 * Lanes compute in float32 (the JavaScript kernels compute in float64 and round at the store), so
 * results agree with the reference within a few float32 ulps; `exp`, `log` and `tanh` are
 * Cephes-style polynomials accurate to about 2 ulps; `erf` / `erfc` a series and a rational fit
 * through `exp` (see `emitErfc`). Programs with ops that have no SIMD form
 * here (`sin`, `cos`, `log1p`, `atan2`, `pow`, int32 `div`, float64 anywhere) are
 * left to the JavaScript kernels (`wasmSupports`).
 */
import type { Expr, Program } from '../../expr/ir.js';
import { FunctionBody, ModuleBuilder, ValType } from './emitter.js';

const { i32, v128 } = ValType;

/** SIMD opcodes used below (after the 0xfd prefix). */
const OP = {
  splatI32: 0x11,
  splatF32: 0x13,
  i32eq: 0x37,
  i32ne: 0x38,
  i32lt: 0x39,
  i32gt: 0x3b,
  i32le: 0x3d,
  i32ge: 0x3f,
  f32eq: 0x41,
  f32ne: 0x42,
  f32lt: 0x43,
  f32gt: 0x44,
  f32le: 0x45,
  f32ge: 0x46,
  not: 0x4d,
  and: 0x4e,
  or: 0x50,
  bitselect: 0x52,
  i32allTrue: 0xa3,
  f32ceil: 0x67,
  f32floor: 0x68,
  f32nearest: 0x6a,
  i32abs: 0xa0,
  i32neg: 0xa1,
  i32shl: 0xab,
  i32shrS: 0xac,
  i32add: 0xae,
  i32sub: 0xb1,
  i32mul: 0xb5,
  i32min: 0xb6,
  i32max: 0xb8,
  f32abs: 0xe0,
  f32neg: 0xe1,
  f32sqrt: 0xe3,
  f32add: 0xe4,
  f32sub: 0xe5,
  f32mul: 0xe6,
  f32div: 0xe7,
  f32min: 0xe8,
  f32max: 0xe9,
  i32TruncF32: 0xf8,
  f32ConvertI32: 0xfa,
} as const;

const SUPPORTED_F32 = new Set(['neg', 'abs', 'sqrt', 'exp', 'log', 'tanh', 'erf', 'erfc', 'floor', 'ceil', 'round', 'add', 'sub', 'mul', 'div', 'max', 'min', 'lt', 'le', 'eq', 'ne']);
const SUPPORTED_I32 = new Set(['neg', 'abs', 'add', 'sub', 'mul', 'max', 'min', 'lt', 'le', 'eq', 'ne']);

/** Whether every node of `p` has a SIMD form here (float32 / int32 / bool only). */
export function wasmSupports(p: Program): boolean {
  for (const e of p.nodes) {
    if (e.dtype === 'float64') return false;
    switch (e.op) {
      case 'input':
      case 'scalar':
      case 'const':
      case 'where':
        continue;
      case 'cast':
        if (e.args[0]!.dtype === 'float64') return false;
        continue;
      case 'not':
      case 'and':
      case 'or':
        continue;
      default: {
        const at = e.args[0]!.dtype;
        if (at === 'float32' && SUPPORTED_F32.has(e.op)) continue;
        if (at === 'int32' && SUPPORTED_I32.has(e.op)) continue;
        if (at === 'bool' && (e.op === 'eq' || e.op === 'ne')) continue;
        return false;
      }
    }
  }
  return true;
}

function f32Bytes(v: number): number[] {
  return Array.from(new Uint8Array(Float32Array.of(v).buffer));
}
function i32Bytes(v: number): number[] {
  return Array.from(new Uint8Array(Int32Array.of(v).buffer));
}
const splat4 = (b: number[]): number[] => [...b, ...b, ...b, ...b];

/** Push a float32 constant splat. */
function constF(f: FunctionBody, v: number): void {
  f.v128Const(splat4(f32Bytes(v)));
}
/** Push an int32 constant splat. */
function constI(f: FunctionBody, v: number): void {
  f.v128Const(splat4(i32Bytes(v)));
}

/** Horner evaluation `((c0 x + c1) x + c2) ...` of `coeffs` at local `x` (pushes the result). */
function horner(f: FunctionBody, x: number, coeffs: readonly number[]): void {
  constF(f, coeffs[0]!);
  for (let i = 1; i < coeffs.length; i++) {
    f.get(x).simdOp(OP.f32mul);
    constF(f, coeffs[i]!);
    f.simdOp(OP.f32add);
  }
}

const EXP_HI = 88.72283;
const EXP_LO = -87.33654;
/** Below this exp underflows to 0 in float32. */
const EXP_ZERO = -103.97208;
/** 24 ln 2: subnormal results are computed as exp(x + 24 ln 2) * 2^-24. */
const EXP_SHIFT = 16.635532333438687;

/** Above this (and at least EXP_LO) `exp` takes the fast path: `2^n` with `n <= 127` is one normal factor. */
const EXP_FAST_HI = 88;

/**
 * `exp(v128) -> v128` (Cephes expf; overflow to +Infinity, subnormal results rounded once, NaN kept).
 * When every lane lies in `[EXP_LO, EXP_FAST_HI]` (the usual case) it skips the range handling and
 * scales by `2^n` in one factor; for such lanes both paths compute the same products, so the
 * results are bitwise those of the general path.
 */
function emitExp(mb: ModuleBuilder): number {
  const { index, body: f } = mb.func([v128], [v128]);
  const x = f.param(0);
  const [sub, xc, fx, r, p, n, n1, y] = f.locals(v128, 8);
  /** `p` and `fx` (`n = fx` as an integer) for the argument in local `xc`, already in range. */
  const core = () => {
    // fx = nearest(xc * log2(e))
    f.get(xc);
    constF(f, Math.LOG2E);
    f.simdOp(OP.f32mul).simdOp(OP.f32nearest).set(fx);
    // r = xc - fx * C1 - fx * C2
    f.get(xc).get(fx);
    constF(f, 0.693359375);
    f.simdOp(OP.f32mul).simdOp(OP.f32sub);
    f.get(fx);
    constF(f, -2.12194440e-4);
    f.simdOp(OP.f32mul).simdOp(OP.f32sub).set(r);
    // p = poly(r) * r * r + r + 1
    horner(f, r, [1.987569150e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1]);
    f.get(r).simdOp(OP.f32mul).get(r).simdOp(OP.f32mul).get(r).simdOp(OP.f32add);
    constF(f, 1);
    f.simdOp(OP.f32add).set(p);
    f.get(fx).simdOp(OP.i32TruncF32).set(n);
  };
  f.block(); // done
  f.block(); // general
  // Fast path: every lane in [EXP_LO, EXP_FAST_HI] (false for NaN)
  f.get(x);
  constF(f, EXP_LO);
  f.simdOp(OP.f32ge).get(x);
  constF(f, EXP_FAST_HI);
  f.simdOp(OP.f32le).simdOp(OP.and).simdOp(OP.i32allTrue).i32Eqz().brIf(0);
  f.get(x).set(xc);
  core();
  f.get(p).get(n);
  constI(f, 127);
  f.simdOp(OP.i32add).i32Const(23).simdOp(OP.i32shl).simdOp(OP.f32mul).set(y);
  f.br(1);
  f.end();
  // General path: results below the normal range: shift the argument up by 24 ln 2, scale back by 2^-24 at the end
  f.get(x);
  constF(f, EXP_LO);
  f.simdOp(OP.f32lt).set(sub);
  f.get(x);
  constF(f, EXP_SHIFT);
  f.simdOp(OP.f32add).get(x).get(sub).simdOp(OP.bitselect);
  // xc = clamp (NaN propagates through f32x4.min/max)
  constF(f, EXP_HI);
  f.simdOp(OP.f32min);
  constF(f, EXP_LO);
  f.simdOp(OP.f32max).set(xc);
  core();
  // 2^n as two factors 2^(n >> 1) * 2^(n - (n >> 1)) (each exponent stays in range)
  f.get(n).i32Const(1).simdOp(OP.i32shrS).set(n1);
  f.get(p);
  f.get(n1);
  constI(f, 127);
  f.simdOp(OP.i32add).i32Const(23).simdOp(OP.i32shl).simdOp(OP.f32mul);
  f.get(n).get(n1).simdOp(OP.i32sub);
  constI(f, 127);
  f.simdOp(OP.i32add).i32Const(23).simdOp(OP.i32shl).simdOp(OP.f32mul).set(y);
  // x < EXP_ZERO -> 0, before the scale-back: multiplying their clamped value by 2^-24 would
  // produce a subnormal, which costs a microcode assist per lane on Intel cores (exp of masked
  // attention scores, x = -Infinity, ran 3x slower); 0 * 2^-24 is 0, so the result is the same
  constF(f, 0);
  f.get(y).get(x);
  constF(f, EXP_ZERO);
  f.simdOp(OP.f32lt).simdOp(OP.bitselect).set(y);
  // scale the shifted ones back (one rounding into the subnormal range)
  f.get(y);
  constF(f, 5.9604644775390625e-8);
  f.simdOp(OP.f32mul).get(y).get(sub).simdOp(OP.bitselect).set(y);
  // x > hi -> +Infinity
  constF(f, Infinity);
  f.get(y).get(x);
  constF(f, EXP_HI);
  f.simdOp(OP.f32gt).simdOp(OP.bitselect).set(y);
  f.end();
  f.get(y);
  return index;
}

/** `log(v128) -> v128` (Cephes logf; log(0) = -Infinity, negative -> NaN, +Infinity kept, subnormals scaled). */
function emitLog(mb: ModuleBuilder): number {
  const { index, body: f } = mb.func([v128], [v128]);
  const x = f.param(0);
  const [sub, xs, e, m, small, xm, z, ef, y] = f.locals(v128, 9);
  // subnormal inputs: scale by 2^23
  f.get(x);
  constF(f, 1.17549435e-38);
  f.simdOp(OP.f32lt).set(sub);
  f.get(x);
  constF(f, 8388608);
  f.simdOp(OP.f32mul).get(x).get(sub).simdOp(OP.bitselect).set(xs);
  // e = (bits >> 23) - 126 (+ -23 for scaled subnormals); m = mantissa in [0.5, 1)
  f.get(xs).i32Const(23).simdOp(0xad /* i32x4.shr_u */);
  constI(f, 126);
  f.simdOp(OP.i32sub);
  constI(f, -23);
  f.get(sub).simdOp(OP.and).simdOp(OP.i32add).set(e);
  f.get(xs);
  constI(f, 0x007fffff);
  f.simdOp(OP.and);
  constI(f, 0x3f000000);
  f.simdOp(OP.or).set(m);
  // m < sqrt(1/2): e -= 1, xm = 2m - 1; else xm = m - 1
  f.get(m);
  constF(f, 0.707106781186547524);
  f.simdOp(OP.f32lt).set(small);
  f.get(e).get(small).simdOp(OP.i32add).set(e);
  f.get(m).get(m).simdOp(OP.f32add);
  constF(f, 1);
  f.simdOp(OP.f32sub);
  f.get(m);
  constF(f, 1);
  f.simdOp(OP.f32sub);
  f.get(small).simdOp(OP.bitselect).set(xm);
  f.get(xm).get(xm).simdOp(OP.f32mul).set(z);
  f.get(e).simdOp(OP.f32ConvertI32).set(ef);
  // y = poly(xm) * xm * z - 2.12194440e-4 e - 0.5 z; result = xm + y + 0.693359375 e
  horner(f, xm, [7.0376836292e-2, -1.151461031e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1]);
  f.get(xm).simdOp(OP.f32mul).get(z).simdOp(OP.f32mul);
  f.get(ef);
  constF(f, -2.12194440e-4);
  f.simdOp(OP.f32mul).simdOp(OP.f32add);
  f.get(z);
  constF(f, -0.5);
  f.simdOp(OP.f32mul).simdOp(OP.f32add);
  f.get(xm).simdOp(OP.f32add);
  f.get(ef);
  constF(f, 0.693359375);
  f.simdOp(OP.f32mul).simdOp(OP.f32add).set(y);
  // x == 0 -> -Infinity; x < 0 or NaN -> NaN; x == +Infinity -> +Infinity
  constF(f, -Infinity);
  f.get(y).get(x);
  constF(f, 0);
  f.simdOp(OP.f32eq).simdOp(OP.bitselect).set(y);
  constF(f, NaN);
  f.get(y).get(x);
  constF(f, 0);
  f.simdOp(OP.f32lt).get(x).get(x).simdOp(OP.f32ne).simdOp(OP.or).simdOp(OP.bitselect).set(y);
  constF(f, Infinity);
  f.get(y).get(x);
  constF(f, Infinity);
  f.simdOp(OP.f32eq).simdOp(OP.bitselect);
  return index;
}

/** `tanh(v128) -> v128`: odd polynomial below |x| 0.625 (Cephes tanhf), `1 - 2 / (exp(2|x|) + 1)` with x's sign above. */
function emitTanh(mb: ModuleBuilder, exp: number): number {
  const { index, body: f } = mb.func([v128], [v128]);
  const x = f.param(0);
  const [a, z, ys, yl] = f.locals(v128, 4);
  f.get(x).simdOp(OP.f32abs).set(a);
  f.get(a).get(a).simdOp(OP.f32mul).set(z);
  // |x| < 0.625: a + a z P(z); above: 1 - 2 / (exp(2a) + 1); then x's sign (tanh is odd: -0 stays -0)
  horner(f, z, [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1]);
  f.get(z).simdOp(OP.f32mul).get(a).simdOp(OP.f32mul).get(a).simdOp(OP.f32add).set(ys);
  constF(f, 1);
  constF(f, 2);
  f.get(a).get(a).simdOp(OP.f32add).call(exp);
  constF(f, 1);
  f.simdOp(OP.f32add).simdOp(OP.f32div).simdOp(OP.f32sub).set(yl);
  f.get(x);
  f.get(ys).get(yl).get(a);
  constF(f, 0.625);
  f.simdOp(OP.f32lt).simdOp(OP.bitselect);
  constI(f, -0x80000000);
  f.simdOp(OP.bitselect);
  return index;
}

/** `erfc(|x|)` rational part (Numerical Recipes' Chebyshev fit, fractional error below 1.2e-7), highest power first, in `t = 1 / (1 + |x| / 2)`. */
const ERFC_T = [0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368, -1.26551223];
/** `erf(x) = x P(x^2)` below |x| 1: the Taylor series `2/sqrt(pi) sum (-1)^n x^(2n+1) / (n! (2n+1))` to n = 10 (truncation below 2e-9), highest power first. */
const ERF_X2 = [1, -1 / 3, 1 / 10, -1 / 42, 1 / 216, -1 / 1320, 1 / 9360, -1 / 75600, 1 / 685440, -1 / 6894720, 1 / 76204800].map((c) => (c * 2) / Math.sqrt(Math.PI)).reverse();

/**
 * `erfc(v128) -> v128`: `t exp(-z^2 + R(t))` for `z = |x|`, `t = 1 / (1 + z / 2)`, with `z^2` split
 * as `h^2 + (z - h)(z + h)` (`h` is z with 12 mantissa bits, so `h^2` is exact) to keep the relative
 * error small in the tail (0 beyond |x| 10); `2 - that` for negative x. NaN stays NaN, +-Infinity
 * give 0 and 2.
 */
function emitErfc(mb: ModuleBuilder, exp: number): number {
  const { index, body: f } = mb.func([v128], [v128]);
  const x = f.param(0);
  const [z, h, t, r] = f.locals(v128, 4);
  f.get(x).simdOp(OP.f32abs).set(z);
  f.get(z);
  constI(f, -4096); // 0xfffff000: keep sign, exponent and 11 mantissa bits
  f.simdOp(OP.and).set(h);
  constF(f, 1);
  constF(f, 1);
  f.get(z);
  constF(f, 0.5);
  f.simdOp(OP.f32mul).simdOp(OP.f32add).simdOp(OP.f32div).set(t);
  // r = t * exp(-h*h) * exp((h - z)(z + h) + R(t))
  f.get(t);
  f.get(h).get(h).simdOp(OP.f32mul).simdOp(OP.f32neg).call(exp);
  f.simdOp(OP.f32mul);
  f.get(h).get(z).simdOp(OP.f32sub).get(z).get(h).simdOp(OP.f32add).simdOp(OP.f32mul);
  horner(f, t, ERFC_T);
  f.simdOp(OP.f32add).call(exp).simdOp(OP.f32mul).set(r);
  // |x| > 10: erfc underflows to 0 (and Infinity - Infinity above would give NaN)
  constF(f, 0);
  f.get(r).get(z);
  constF(f, 10);
  f.simdOp(OP.f32gt).simdOp(OP.bitselect).set(r);
  // x < 0: 2 - r
  constF(f, 2);
  f.get(r).simdOp(OP.f32sub).get(r).get(x);
  constF(f, 0);
  f.simdOp(OP.f32lt).simdOp(OP.bitselect);
  return index;
}

/** `erf(v128) -> v128`: the odd series below |x| 1, `1 - erfc(|x|)` with x's sign above (-0 stays -0, NaN stays NaN). */
function emitErf(mb: ModuleBuilder, erfc: number): number {
  const { index, body: f } = mb.func([v128], [v128]);
  const x = f.param(0);
  const [a, z] = f.locals(v128, 2);
  f.get(x).simdOp(OP.f32abs).set(a);
  f.get(x).get(x).simdOp(OP.f32mul).set(z);
  f.get(x);
  // small: |x| P(x^2); large: 1 - erfc(|x|); then x's sign
  horner(f, z, ERF_X2);
  f.get(a).simdOp(OP.f32mul);
  constF(f, 1);
  f.get(a).call(erfc).simdOp(OP.f32sub);
  f.get(a);
  constF(f, 1);
  f.simdOp(OP.f32lt).simdOp(OP.bitselect);
  constI(f, -0x80000000);
  f.simdOp(OP.bitselect);
  return index;
}

/** Operand layout: '0' (broadcast), '1' (stride 1) or 's' (any element stride, lanes gathered) per input, then per output (outputs must be '1'). */
export type WasmLayout = string;

/** Byte offset of scalar slot `j` in the argument block of a program with `operands` operands. */
export function scalarSlotOffset(operands: number, j: number): number {
  return 4 * (operands + j);
}

/** Byte offset of operand `k`'s row stride (bytes between consecutive rows) in the argument block, after the scalar slots. */
export function rowStrideOffset(operands: number, slots: number, k: number): number {
  return 4 * (operands + slots + k);
}

/** Byte offset of operand `k`'s element stride along a row (in elements; read for layout 's' only), after the row strides. */
export function innerStrideOffset(operands: number, slots: number, k: number): number {
  return 4 * (operands + slots + operands + k);
}

/** The scalar parameter slots of a program: one per distinct (index, dtype), in node order. */
export function wasmScalarSlots(p: Program): { index: number; dtype: 'float32' | 'int32' }[] {
  const out: { index: number; dtype: 'float32' | 'int32' }[] = [];
  for (const e of p.nodes) {
    if (e.op !== 'scalar') continue;
    const dt = e.dtype as 'float32' | 'int32';
    if (!out.some((s) => s.index === e.index && s.dtype === dt)) out.push({ index: e.index, dtype: dt });
  }
  return out;
}

/**
 * The module bytes of `p` for `layout`: imports `env.memory`, exports `k(n, rows, args)`, which
 * evaluates `rows` rows of `n` elements: operand pointers (bytes) at `args`, then the scalar slots,
 * then each operand's row stride in bytes (`rowStrideOffset`). A kernel call covers a 2-D block, so
 * short rows (attention heads, transposed copies) do not pay a call each.
 * Throws when the program has an op without a SIMD form (check `wasmSupports` first).
 */
export function exprModuleBytes(p: Program, layout: WasmLayout): Uint8Array {
  const nIn = p.inputs.length;
  const nOut = p.outputs.length;
  const ops = nIn + nOut;
  if (layout.length !== ops) throw new Error(`exprModuleBytes: layout '${layout}' does not have ${ops} operands`);
  for (let k = 0; k < nOut; k++) if (layout[nIn + k] !== '1') throw new Error('exprModuleBytes: outputs must have stride 1');
  const mb = new ModuleBuilder();
  mb.importMemory('env', 'memory', 1);
  const uses = new Set(p.nodes.map((e) => e.op));
  const usesErf = uses.has('erf') || uses.has('erfc');
  const expFn = uses.has('exp') || uses.has('tanh') || usesErf ? emitExp(mb) : -1;
  const logFn = uses.has('log') ? emitLog(mb) : -1;
  const tanhFn = uses.has('tanh') ? emitTanh(mb, expFn) : -1;
  const erfcFn = usesErf ? emitErfc(mb, expFn) : -1;
  const erfFn = uses.has('erf') ? emitErf(mb, erfcFn) : -1;
  const slots = wasmScalarSlots(p);
  const { index, body: f } = mb.func([i32, i32, i32]);
  const [n, rows, args] = f.params();
  const ptr: number[] = [];
  for (let k = 0; k < ops; k++) {
    const l = f.local(i32);
    f.get(args).i32Load(4 * k).set(l);
    ptr.push(l);
  }
  const [off, end4, endAll, addr] = f.locals(i32, 4);
  // Element strides of gathered ('s') inputs, and their byte strides.
  const strideEl = new Map<number, number>();
  const strideBytes = new Map<number, number>();
  for (let k = 0; k < nIn; k++) {
    if (layout[k] !== 's') continue;
    const el = f.local(i32);
    const by = f.local(i32);
    f.get(args).i32Load(innerStrideOffset(ops, wasmScalarSlots(p).length, k)).set(el);
    f.get(el).i32Const(4).i32Mul().set(by);
    strideEl.set(k, el);
    strideBytes.set(k, by);
  }
  // Which nodes vary along the row.
  const varying = new Set<number>();
  for (const e of p.nodes) {
    if (e.op === 'input') {
      if (layout[e.index] !== '0') varying.add(e.id);
    } else if (e.args.some((a) => varying.has(a.id))) varying.add(e.id);
  }
  const local = new Map<number, number>();
  for (const e of p.nodes) if (e.op !== 'const') local.set(e.id, f.local(v128));

  const pushConst = (e: Expr) => {
    if (e.dtype === 'float32') constF(f, e.value);
    else if (e.dtype === 'int32') constI(f, e.value);
    else constI(f, e.value !== 0 ? -1 : 0);
  };
  const push = (e: Expr) => {
    if (e.op === 'const') pushConst(e);
    else f.get(local.get(e.id)!);
  };
  const compute = (e: Expr, lane: boolean) => {
    const l = local.get(e.id)!;
    if (e.op === 'input') {
      if (layout[e.index] === 's') {
        // addr = ptr + (off / 4) * stride * 4 = ptr + off * stride (elements)
        const by = strideBytes.get(e.index)!;
        f.get(ptr[e.index]!).get(off).get(strideEl.get(e.index)!).i32Mul().i32Add().set(addr);
        f.get(addr).v128Load32Zero(0);
        if (!lane) {
          for (let j = 1; j < 4; j++) {
            f.set(l);
            f.get(addr).get(by).i32Add().tee(addr).get(l).v128Load32Lane(0, j);
          }
        }
        f.set(l);
        return;
      }
      f.get(ptr[e.index]!);
      if (layout[e.index] === '0') f.v128Load32Splat(0);
      else {
        f.get(off).i32Add();
        if (lane) f.v128Load32Zero(0);
        else f.v128Load(0);
      }
      f.set(l);
      return;
    }
    if (e.op === 'scalar') {
      const j = slots.findIndex((s) => s.index === e.index && s.dtype === e.dtype);
      f.get(args).v128Load32Splat(scalarSlotOffset(ops, j)).set(l);
      return;
    }
    const [a, b, c] = e.args;
    const at = a!.dtype;
    const F = at === 'float32';
    switch (e.op) {
      case 'cast':
        push(a!);
        if (at === 'bool') {
          if (e.dtype === 'float32') constF(f, 1);
          else constI(f, 1);
          f.simdOp(OP.and);
        } else if (e.dtype === 'int32') f.simdOp(OP.i32TruncF32);
        else f.simdOp(OP.f32ConvertI32);
        break;
      case 'where':
        push(b!);
        push(c!);
        push(a!);
        f.simdOp(OP.bitselect);
        break;
      case 'not':
        push(a!);
        f.simdOp(OP.not);
        break;
      case 'and':
      case 'or':
        push(a!);
        push(b!);
        f.simdOp(e.op === 'and' ? OP.and : OP.or);
        break;
      case 'exp':
      case 'log':
      case 'tanh':
      case 'erf':
      case 'erfc':
        push(a!);
        f.call({ exp: expFn, log: logFn, tanh: tanhFn, erf: erfFn, erfc: erfcFn }[e.op]);
        break;
      case 'neg':
      case 'abs':
      case 'sqrt':
      case 'floor':
      case 'ceil':
      case 'round': {
        push(a!);
        const code = F
          ? { neg: OP.f32neg, abs: OP.f32abs, sqrt: OP.f32sqrt, floor: OP.f32floor, ceil: OP.f32ceil, round: OP.f32nearest }[e.op]
          : { neg: OP.i32neg, abs: OP.i32abs }[e.op as 'neg' | 'abs'];
        f.simdOp(code!);
        break;
      }
      default: {
        push(a!);
        push(b!);
        const table: Record<string, number> =
          at === 'bool'
            ? { eq: OP.i32eq, ne: OP.i32ne }
            : F
              ? { add: OP.f32add, sub: OP.f32sub, mul: OP.f32mul, div: OP.f32div, max: OP.f32max, min: OP.f32min, lt: OP.f32lt, le: OP.f32le, eq: OP.f32eq, ne: OP.f32ne }
              : { add: OP.i32add, sub: OP.i32sub, mul: OP.i32mul, max: OP.i32max, min: OP.i32min, lt: OP.i32lt, le: OP.i32le, eq: OP.i32eq, ne: OP.i32ne };
        const code = table[e.op];
        if (code === undefined) throw new Error(`exprModuleBytes: no SIMD form for ${e.op} on ${at}`);
        f.simdOp(code);
      }
    }
    f.set(l);
  };
  const store = (lane: boolean) => {
    p.outputs.forEach((o, k) => {
      f.get(ptr[nIn + k]!).get(off).i32Add();
      push(o);
      if (lane) f.v128Store32Lane(0, 0);
      else f.v128Store(0);
    });
  };

  f.get(n).i32Const(-4).i32And().i32Const(4).i32Mul().set(end4);
  f.get(n).i32Const(4).i32Mul().set(endAll);
  // A loop from `off` to byte `end`: the varying nodes and the stores, 4 lanes (or lane 0) a step.
  const rowLoop = (end: number, lane: boolean) => {
    f.block().loop();
    f.get(off).get(end).i32GeU().brIf(1);
    for (const e of p.nodes) if (varying.has(e.id)) compute(e, lane);
    store(lane);
    f.get(off).i32Const(lane ? 4 : 16).i32Add().set(off);
    f.br(0).end().end();
  };
  // Rows: the nodes invariant along a row (a broadcast input may still change between rows), the
  // row, then every pointer moves by its row stride.
  f.block().loop();
  f.get(rows).i32Eqz().brIf(1);
  for (const e of p.nodes) if (e.op !== 'const' && !varying.has(e.id)) compute(e, false);
  f.i32Const(0).set(off);
  rowLoop(end4, false); // 4 lanes at a time
  rowLoop(endAll, true); // the rest on lane 0
  for (let k = 0; k < ops; k++) f.get(ptr[k]!).get(args).i32Load(rowStrideOffset(ops, slots.length, k)).i32Add().set(ptr[k]!);
  f.get(rows).i32Const(1).i32Sub().set(rows);
  f.br(0).end().end();
  mb.exportFunc('k', index);
  return mb.encode();
}
