/**
 * WGSL of elementwise expression programs: one kernel per program and operand layout.
 *
 * Views are first coalesced (size-1 dims dropped, adjacent dims merged where every view is
 * contiguous across them), so most calls end up rank 1 and read `offset + i`; the rest decode the
 * flat index through shape/strides held in the uniform (rank up to 8). Every distinct buffer is
 * bound once (read_write when an output writes it), so in-place updates need no copies. Scalars
 * live in the uniform. Each invocation loads its inputs, evaluates every node once, then stores
 * every output.
 */
import { expr, type DType, type Expr, type OpSpelling, type Program } from '@unihetero/tensor';
import { helpersFor } from './math-wgsl.js';

/** WGSL scalar type of a dtype. */
export type WType = 'f32' | 'i32';

/** The WGSL type that stores `dtype`. */
export function wtype(dtype: DType): WType {
  if (dtype === 'float64') throw new Error('webgpu: dtype float64 is not supported (use the cpu backend)');
  return dtype === 'int32' ? 'i32' : 'f32';
}

/** Largest view rank the strided kernels accept after coalescing. */
export const MAX_RANK = 8;

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

/** How an operand is addressed: `offset + i` (flat), `offset` (every stride 0) or through the strides. */
export type Access = 'flat' | 'scalar' | 'strided';

/** Access class of a coalesced view. */
export function accessOf(v: FlatView): Access {
  if (v.strides.every((s) => s === 0)) return 'scalar';
  if (v.shape.length === 0 || (v.shape.length === 1 && v.strides[0] === 1)) return 'flat';
  return 'strided';
}

/**
 * Uniform layout of an elementwise kernel with `operands` views and `scalars` scalar words (u32
 * words; word 1 is unused: the rank is compiled into the kernel).
 */
export function ewLayout(operands: number, scalars: number): { n: number; rowStride: number; shape: number; offsets: number; strides: number; scalars: number; words: number } {
  const offsets = 12;
  const strides = offsets + Math.ceil(operands / 4) * 4;
  const sc = strides + operands * MAX_RANK;
  return { n: 0, rowStride: 2, shape: 4, offsets, strides, scalars: sc, words: Math.ceil((sc + scalars) / 4) * 4 };
}

/** One generated kernel's specialisation: the program, its bindings and operand access. */
export interface EwSpec {
  program: Program;
  /** Element type and writability of each binding. */
  bindings: { type: WType; writable: boolean }[];
  /** Binding of each input, then of each output. */
  operandBinding: number[];
  /** Access class of each input, then of each output. */
  access: Access[];
  /** Scalar nodes in uniform order: (index, dtype). */
  scalarSlots: { index: number; dtype: WType }[];
  /** Rank of the coalesced views (the strided address decode is unrolled for it). */
  rank: number;
  /** Four consecutive elements per invocation through vec4 bindings (see `vec4Eligible`). */
  vec4: boolean;
}

/**
 * Whether a launch can run four elements per invocation with vec4 loads and stores: every
 * operand that is not a single scalar has unit stride along the last coalesced dimension, whose
 * extent is a multiple of 4, and 4-aligned offset and other strides. (Every storage buffer is a
 * multiple of 256 bytes, so binding it as vec4s covers all its elements.)
 */
export function vec4Eligible(views: readonly FlatView[]): boolean {
  const v0 = views[0];
  if (!v0 || v0.shape.length === 0 || v0.shape[v0.shape.length - 1]! % 4 !== 0) return false;
  const last = v0.shape.length - 1;
  return views.every((v) => accessOf(v) === 'scalar' || (v.offset % 4 === 0 && v.strides[last] === 1 && v.strides.every((st, d) => d === last || st % 4 === 0)));
}

/** Cache key of a spec (the program key plus layout). */
export function ewKey(s: EwSpec): string {
  const strided = s.access.includes('strided');
  return `ew|${s.program.key}|${s.bindings.map((b) => b.type + (b.writable ? 'w' : 'r')).join(',')}|${s.operandBinding.join(',')}|${s.access.map((a) => (a === 'flat' ? 'f' : a === 'scalar' ? 'c' : 's')).join('')}|${strided ? s.rank : ''}${s.vec4 ? 'v4' : ''}`;
}

/** Scalar nodes of a program as uniform slots (one per distinct (index, dtype)). */
export function scalarSlots(p: Program): { index: number; dtype: WType }[] {
  const out: { index: number; dtype: WType }[] = [];
  for (const e of p.nodes) {
    if (e.op !== 'scalar') continue;
    const dt = wtype(e.dtype as DType);
    if (!out.some((s) => s.index === e.index && s.dtype === dt)) out.push({ index: e.index, dtype: dt });
  }
  return out;
}

const hex = (u: number) => `0x${(u >>> 0).toString(16)}u`;

function literal(e: Expr): string {
  if (e.dtype === 'bool') return e.value !== 0 ? 'true' : 'false';
  if (e.dtype === 'int32') return `bitcast<i32>(${hex(e.value | 0)})`;
  if (e.dtype === 'float32') {
    // Constant-evaluated non-finite values are WGSL errors: build them at run time.
    if (Number.isNaN(e.value)) return 'nan_()';
    if (e.value === Infinity) return 'inf_()';
    if (e.value === -Infinity) return '(-inf_())';
    return `bitcast<f32>(${hex(new Uint32Array(Float32Array.of(e.value).buffer)[0]!)})`;
  }
  throw new Error(`webgpu: elementwise: ${e.dtype} constants are not supported`);
}

function wt(e: Expr): string {
  if (e.dtype === 'bool') return 'bool';
  return wtype(e.dtype as DType);
}

/**
 * The ops WGSL spells one way whatever the dtype (the `_` calls are our helpers: exact rounding,
 * stable tails; `ne` has its own case for the NaN test).
 */
const WGSL: OpSpelling = {
  calls: {
    abs: 'abs',
    sqrt: 'sqrt',
    exp: 'exp',
    log: 'log',
    sin: 'sin',
    cos: 'cos',
    floor: 'floor',
    ceil: 'ceil',
    log1p: 'log1p_',
    tanh: 'tanh_',
    erf: 'erf_',
    erfc: 'erfc_',
    round: 'rne_',
  },
  infix: { add: '+', sub: '-', mul: '*', lt: '<', le: '<=', eq: '==', and: '&&', or: '||' },
};

/** WGSL text of node `e` given its operand texts (the ops `WGSL` does not spell). */
function nodeCode(e: Expr, a: string, b: string, c: string): string {
  const int = e.args[0]?.dtype === 'int32';
  const float = e.args[0]?.dtype === 'float32';
  switch (e.op) {
    case 'cast': {
      const from = e.args[0]!.dtype;
      if (from === 'bool') return e.dtype === 'int32' ? `select(0i, 1i, ${a})` : `select(0.0, 1.0, ${a})`;
      return `${wt(e)}(${a})`;
    }
    case 'where':
      return `select(${c}, ${b}, ${a})`;
    case 'neg':
      return `(-${a})`;
    case 'not':
      return `(!${a})`;
    case 'div':
      return int ? `select(${a} / ${b}, 0i, ${b} == 0i)` : `(${a} / ${b})`;
    case 'pow':
      return int ? `i32(powf_(f32(${a}), f32(${b})))` : `powf_(${a}, ${b})`;
    case 'max':
      return float ? `fmax_(${a}, ${b})` : `max(${a}, ${b})`;
    case 'min':
      return float ? `fmin_(${a}, ${b})` : `min(${a}, ${b})`;
    case 'atan2':
      return `atan2(${a}, ${b})`;
    case 'ne':
      // x != x is the NaN test; shader compilers may fold it away, so test the bits.
      return float && e.args[0] === e.args[1] ? `isnan_(${a})` : `(${a} != ${b})`;
    default:
      throw new Error(`webgpu: elementwise: no WGSL for node '${e.op}'`);
  }
}

/**
 * WGSL source of an elementwise kernel with workgroup size `wg`. Strided operands decode the flat
 * index once into coordinates (unrolled for the views' rank; every uniform read at a constant
 * index). With `vec4`, invocation `g` evaluates the program for elements `4g .. 4g + 3`, one
 * component at a time in the same order as the scalar kernel, so results are bitwise the same.
 */
export function ewSource(s: EwSpec, wg: number): string {
  const p = s.program;
  const nIn = p.inputs.length;
  const nOps = nIn + p.outputs.length;
  const L = ewLayout(nOps, s.scalarSlots.length);
  const lanes = s.vec4 ? 4 : 1;
  const vt = (t: WType) => (s.vec4 ? `vec4<${t}>` : t);
  const decls = s.bindings.map((b, j) => `@group(0) @binding(${j}) var<storage, ${b.writable ? 'read_write' : 'read'}> b${j}: array<${vt(b.type)}>;`);
  const needsIdx = s.access.some((a) => a === 'strided');
  const addr = (k: number): string => {
    switch (s.access[k]) {
      case 'flat':
        return `pu(${L.offsets + k}u) + i`;
      case 'scalar':
        return `pu(${L.offsets + k}u)`;
      default:
        return `a${k}`;
    }
  };
  const lines: string[] = [];
  if (needsIdx) {
    // Coordinates of flat index i, last dimension first; then each strided operand's address.
    lines.push('  var rem = i;');
    for (let d = s.rank - 1; d >= 1; d--) lines.push(`  let c${d} = rem % pu(${L.shape + d}u);`, `  rem = rem / pu(${L.shape + d}u);`);
    lines.push('  let c0 = rem;');
    s.access.forEach((a, k) => {
      if (a !== 'strided') return;
      const terms = Array.from({ length: s.rank }, (_, d) => `c${d} * pu(${L.strides + MAX_RANK * k + d}u)`);
      lines.push(`  let a${k} = pu(${L.offsets + k}u) + ${terms.join(' + ')};`);
    });
  }
  /** The load of input `k`: its element, or in vec4 mode the vec4 of its four (a single scalar operand: its one element). */
  const load = (k: number): string => {
    const b = `b${s.operandBinding[k]}`;
    if (!s.vec4) return `${b}[${addr(k)}]`;
    return s.access[k] === 'scalar' ? `${b}[${addr(k)} / 4u][${addr(k)} % 4u]` : `${b}[(${addr(k)}) / 4u]`;
  };
  // Inputs: one load each (a vec4 in vec4 mode, split into components below).
  p.nodes.forEach((e) => {
    if (e.op === 'input') lines.push(`  let in${e.id} = ${load(e.index)};`);
  });
  const comps = s.vec4 ? ['.x', '.y', '.z', '.w'] : [''];
  const outNames: string[][] = p.outputs.map(() => []);
  for (let c = 0; c < lanes; c++) {
    const name = new Map<number, string>();
    const sfx = s.vec4 ? `_${c}` : '';
    for (const e of p.nodes) {
      if (e.op === 'const') {
        name.set(e.id, literal(e));
        continue;
      }
      const v = `t${e.id}${sfx}`;
      if (e.op === 'input') lines.push(`  let ${v}: ${wt(e)} = in${e.id}${s.access[e.index] === 'scalar' ? '' : comps[c]};`);
      else if (e.op === 'scalar') {
        const dt = wtype(e.dtype as DType);
        const slot = s.scalarSlots.findIndex((x) => x.index === e.index && x.dtype === dt);
        lines.push(`  let ${v}: ${dt} = bitcast<${dt}>(pu(${L.scalars + slot}u));`);
      } else {
        const [a, b, cc] = e.args.map((x) => name.get(x.id)!);
        lines.push(`  let ${v}: ${wt(e)} = ${expr.spelledOp(WGSL, e.op, a!, b ?? '') ?? nodeCode(e, a!, b ?? '', cc ?? '')};`);
      }
      name.set(e.id, v);
    }
    p.outputs.forEach((o, k) => outNames[k]!.push(name.get(o.id)!));
  }
  p.outputs.forEach((o, k) => {
    const b = `b${s.operandBinding[nIn + k]}`;
    const at = addr(nIn + k);
    if (s.vec4) lines.push(`  ${b}[(${at}) / 4u] = ${vt(wtype(o.dtype as DType))}(${outNames[k]!.join(', ')});`);
    else lines.push(`  ${b}[${at}] = ${outNames[k]![0]};`);
  });
  // A binding the expression never reads must still be used, or the pipeline layout drops it.
  const used = new Set<number>(s.operandBinding.slice(nIn));
  for (const e of p.nodes) if (e.op === 'input') used.add(s.operandBinding[e.index]!);
  s.bindings.forEach((_, j) => {
    if (!used.has(j)) lines.push(`  _ = b${j}[0];`);
  });
  const src = `${decls.join('\n')}
struct Params { v: array<vec4<u32>, ${L.words / 4}> };
@group(0) @binding(${s.bindings.length}) var<uniform> P: Params;
fn pu(i: u32) -> u32 { return P.v[i / 4u][i % 4u]; }
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = (gid.x + gid.y * pu(${L.rowStride}u)) * ${lanes}u;
  if (i >= pu(${L.n}u)) { return; }
${lines.join('\n')}
}`;
  return `${helpersFor(src)}\n${src}`;
}
