/**
 * Elementwise kernels (unary, binary, where, copy/cast, fill) over strided views.
 *
 * Views are first coalesced (size-1 dims dropped, adjacent dims merged where every view is
 * contiguous across them), so most calls end up rank 1 and take the contiguous fast path
 * (`offset + i`); the rest decode the flat output index through shape/strides held in a
 * uniform (rank up to 8).
 */
import type { BinaryOp, DType, UnaryOp } from '@unihetero/tensor';
import { helpersFor } from './math.js';

/** WGSL scalar type of a dtype. */
export type WType = 'f32' | 'i32';

/** The WGSL type that stores `dtype`. */
export function wtype(dtype: DType): WType {
  return dtype === 'int32' ? 'i32' : 'f32';
}

/** Largest view rank the strided kernels accept after coalescing. */
export const MAX_RANK = 8;

/** Uniform layout of the elementwise kernels, in u32 words. */
export const EW = { n: 0, rank: 1, rowStride: 2, offsets: 4, shape: 8, strides: 16, a: 48, b: 49, ia: 50, ib: 51, words: 52 } as const;

/** A strided view reduced to plain numbers. */
export interface FlatView {
  shape: number[];
  strides: number[];
  offset: number;
}

/**
 * Merge dimensions jointly for several views of the same shape: drops size-1 dims and merges
 * dim d into d+1 when `stride[d] == stride[d+1] * shape[d+1]` for every view.
 */
export function coalesce(shape: readonly number[], views: { strides: readonly number[]; offset: number }[]): { shape: number[]; views: FlatView[] } {
  const dims: number[] = [];
  for (let d = 0; d < shape.length; d++) if (shape[d] !== 1) dims.push(d);
  const outShape: number[] = [];
  const outStrides: number[][] = views.map(() => []);
  for (const d of dims) {
    const size = shape[d]!;
    const last = outShape.length - 1;
    if (last >= 0 && views.every((v, i) => v.strides[d]! * size === outStrides[i]![last]!)) {
      outShape[last]! *= size;
      views.forEach((v, i) => (outStrides[i]![last] = v.strides[d]!));
    } else {
      outShape.push(size);
      views.forEach((v, i) => outStrides[i]!.push(v.strides[d]!));
    }
  }
  return { shape: outShape, views: views.map((v, i) => ({ shape: outShape, strides: outStrides[i]!, offset: v.offset })) };
}

/** True when a coalesced view is read as `offset + i`. */
export function isFlat(v: FlatView): boolean {
  return v.shape.length === 0 || (v.shape.length === 1 && v.strides[0] === 1);
}

/** One elementwise kernel's specialisation. */
export interface EwSpec {
  /** Kernel name, used in labels and error messages. */
  name: string;
  /** Input element types and whether each is read flat. */
  inputs: { type: WType; flat: boolean }[];
  /** Output element type and whether it is written flat. */
  out: { type: WType; flat: boolean };
  /** WGSL expression over `x0`, `x1`, `x2` (and the f32 params `pa`, `pb`) of type `resultType`. */
  expr: string;
  resultType: WType;
  /** Extra WGSL statements before the expression (may define locals). */
  pre?: string;
}

/** Cache key of an elementwise spec. */
export function ewKey(s: EwSpec): string {
  return `${s.name}|${s.inputs.map((i) => i.type + (i.flat ? 'c' : 's')).join(',')}|${s.out.type}${s.out.flat ? 'c' : 's'}`;
}

/** WGSL source of an elementwise kernel with workgroup size `wg`. */
export function ewSource(s: EwSpec, wg: number): string {
  const n = s.inputs.length;
  const decls = s.inputs.map((inp, i) => `@group(0) @binding(${i}) var<storage, read> in${i}: array<${inp.type}>;`);
  const needsIdx = s.inputs.some((i) => !i.flat) || !s.out.flat;
  const loads = s.inputs.map((inp, i) => `  let x${i}: ${inp.type} = in${i}[${inp.flat ? `pu(${EW.offsets + i}u) + i` : `idx(${i}u, i)`}];`);
  let value = s.expr;
  if (s.resultType !== s.out.type) value = `${s.out.type}(${value})`;
  const body = `${s.pre ?? ''}
  out[${s.out.flat ? `pu(${EW.offsets + n}u) + i` : `idx(${n}u, i)`}] = ${value};`;
  const src = `${decls.join('\n')}
@group(0) @binding(${n}) var<storage, read_write> out: array<${s.out.type}>;
struct Params { v: array<vec4<u32>, ${EW.words / 4}> };
@group(0) @binding(${n + 1}) var<uniform> P: Params;
fn pu(i: u32) -> u32 { return P.v[i / 4u][i % 4u]; }
${
  needsIdx
    ? `fn idx(v: u32, flat: u32) -> u32 {
  var rem = flat;
  var r = pu(${EW.offsets}u + v);
  let rank = i32(pu(${EW.rank}u));
  for (var d = rank - 1; d >= 0; d = d - 1) {
    let s = pu(${EW.shape}u + u32(d));
    r = r + (rem % s) * pu(${EW.strides}u + 8u * v + u32(d));
    rem = rem / s;
  }
  return r;
}`
    : ''
}
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * pu(${EW.rowStride}u);
  if (i >= pu(${EW.n}u)) { return; }
  let pa = bitcast<f32>(pu(${EW.a}u));
  let pb = bitcast<f32>(pu(${EW.b}u));
  let ia = bitcast<i32>(pu(${EW.ia}u));
  let ib = bitcast<i32>(pu(${EW.ib}u));
${loads.join('\n')}
${body}
}`;
  return `${helpersFor(src)}\n${src}`;
}

/** Unary ops that produce int32 regardless of the input. */
export const UNARY_INT_OUT = new Set<UnaryOp>(['not', 'isnan', 'isinf']);

/** Float32 expression of a unary op over `x` (f32) and params `pa`, `pb`. */
export function unaryFloatExpr(op: UnaryOp): { expr: string; type: WType } {
  const f = (expr: string): { expr: string; type: WType } => ({ expr, type: 'f32' });
  switch (op) {
    case 'neg': return f('-x0');
    case 'abs': return f('abs(x0)');
    case 'sign': return f('select(select(select(0.0, -1.0, x0 < 0.0), 1.0, x0 > 0.0), x0, isnan_(x0))');
    case 'exp': return f('exp(x0)');
    case 'log': return f('log(x0)');
    case 'sqrt': return f('sqrt(x0)');
    case 'rsqrt': return f('1.0 / sqrt(x0)');
    case 'reciprocal': return f('1.0 / x0');
    case 'square': return f('x0 * x0');
    case 'sin': return f('sin(x0)');
    case 'cos': return f('cos(x0)');
    case 'tanh': return f('tanh_(x0)');
    case 'erf': return f('erf_(x0)');
    case 'sigmoid': return f('sigmoid_(x0)');
    case 'relu': return f('select(select(0.0, x0, x0 > 0.0), x0, isnan_(x0))');
    case 'gelu': return f('x0 * phi_(x0)');
    case 'gelu_tanh': return f('x0 * sigmoid_(1.5957691216057308 * (x0 + 0.044715 * x0 * x0 * x0))');
    case 'silu': return f('x0 * sigmoid_(x0)');
    case 'softplus': return f('softplus_(x0)');
    case 'floor': return f('floor(x0)');
    case 'ceil': return f('ceil(x0)');
    case 'round': return f('rne_(x0)');
    case 'not': return { expr: 'select(0, 1, x0 == 0.0)', type: 'i32' };
    case 'add_scalar': return f('x0 + pa');
    case 'mul_scalar': return f('x0 * pa');
    case 'rsub_scalar': return f('pa - x0');
    case 'rdiv_scalar': return f('pa / x0');
    case 'pow_scalar': return f('powf_(x0, pa)');
    case 'rpow_scalar': return f('powf_(pa, x0)');
    case 'clamp': return f('select(min(max(x0, pa), pb), x0, isnan_(x0))');
    case 'isnan': return { expr: 'select(0, 1, isnan_(x0))', type: 'i32' };
    case 'isinf': return { expr: 'select(0, 1, isinf_(x0))', type: 'i32' };
    default: throw new Error(`webgpu: unary: unknown op '${op as string}'`);
  }
}

/** Int32 expression of a unary op over `x0` (i32) with integer params `ia`, `ib`; null when the op needs floats. */
export function unaryIntExpr(op: UnaryOp): { expr: string; type: WType } | null {
  const i = (expr: string): { expr: string; type: WType } => ({ expr, type: 'i32' });
  switch (op) {
    case 'neg': return i('-x0');
    case 'abs': return i('select(x0, -x0, x0 < 0)');
    case 'sign': return i('select(select(0, -1, x0 < 0), 1, x0 > 0)');
    case 'square': return i('x0 * x0');
    case 'relu': return i('max(x0, 0)');
    case 'floor':
    case 'ceil':
    case 'round': return i('x0');
    case 'not': return i('select(0, 1, x0 == 0)');
    case 'add_scalar': return i('x0 + ia');
    case 'mul_scalar': return i('x0 * ia');
    case 'rsub_scalar': return i('ia - x0');
    case 'clamp': return i('min(max(x0, ia), ib)');
    case 'isnan':
    case 'isinf': return i('0');
    default: return null;
  }
}

/** Expression of a binary op over `x0` (a) and `x1` (b) of element type `t`. */
export function binaryExpr(op: BinaryOp, t: WType): { expr: string; type: WType } {
  const same = (expr: string): { expr: string; type: WType } => ({ expr, type: t });
  const pred = (cond: string): { expr: string; type: WType } => ({ expr: `select(0, 1, ${cond})`, type: 'i32' });
  const zero = t === 'f32' ? '0.0' : '0';
  switch (op) {
    case 'add': return same('x0 + x1');
    case 'sub': return same('x0 - x1');
    case 'mul': return same('x0 * x1');
    case 'div': return t === 'f32' ? same('x0 / x1') : same('select(x0 / x1, 0, x1 == 0)');
    case 'pow': return t === 'f32' ? same('powf_(x0, x1)') : same('i32(powf_(f32(x0), f32(x1)))');
    case 'maximum': return t === 'f32' ? same('fmax_(x0, x1)') : same('max(x0, x1)');
    case 'minimum': return t === 'f32' ? same('fmin_(x0, x1)') : same('min(x0, x1)');
    case 'atan2': return t === 'f32' ? same('atan2(x0, x1)') : same('i32(atan2(f32(x0), f32(x1)))');
    case 'eq': return pred('x0 == x1');
    case 'ne': return pred('x0 != x1');
    case 'lt': return pred('x0 < x1');
    case 'le': return pred('x0 <= x1');
    case 'gt': return pred('x0 > x1');
    case 'ge': return pred('x0 >= x1');
    case 'and': return pred(`x0 != ${zero} && x1 != ${zero}`);
    case 'or': return pred(`x0 != ${zero} || x1 != ${zero}`);
    default:
      if (t !== 'f32') throw new Error(`webgpu: binary: op '${op}' needs float inputs, got int32`);
      return { expr: gradExpr(op), type: 'f32' };
  }
}

function gradExpr(op: BinaryOp): string {
  switch (op) {
    case 'relu_grad': return 'select(0.0, x1, x0 > 0.0)';
    case 'gelu_grad': return 'x1 * (phi_(x0) + x0 * 0.3989422804014327 * exp(-0.5 * x0 * x0))';
    case 'gelu_tanh_grad':
      return 'x1 * (sigmoid_(2.0 * u) + x0 * (1.0 - t * t) * 0.3989422804014327 * (1.0 + 0.134145 * x0 * x0))';
    case 'silu_grad': return 'x1 * (s * (1.0 + x0 * (1.0 - s)))';
    case 'softplus_grad': return 'x1 * sigmoid_(x0)';
    case 'sigmoid_grad': return 'x1 * x0 * (1.0 - x0)';
    case 'tanh_grad': return 'x1 * (1.0 - x0 * x0)';
    case 'erf_grad': return 'x1 * 1.1283791670955126 * exp(-x0 * x0)';
    default: throw new Error(`webgpu: binary: unknown op '${op as string}'`);
  }
}

/** Statements a binary op's expression needs first (locals `u`, `t`, `s`). */
export function binaryPre(op: BinaryOp): string {
  if (op === 'gelu_tanh_grad') return '  let u = 0.7978845608028654 * (x0 + 0.044715 * x0 * x0 * x0);\n  let t = tanh_(u);';
  if (op === 'silu_grad') return '  let s = sigmoid_(x0);';
  return '';
}
