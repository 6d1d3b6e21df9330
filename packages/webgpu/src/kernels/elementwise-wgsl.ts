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

/** Uniform layout of an elementwise kernel with `operands` views and `scalars` scalar words (u32 words). */
export function ewLayout(operands: number, scalars: number): { n: number; rank: number; rowStride: number; shape: number; offsets: number; strides: number; scalars: number; words: number } {
  const offsets = 12;
  const strides = offsets + Math.ceil(operands / 4) * 4;
  const sc = strides + operands * MAX_RANK;
  return { n: 0, rank: 1, rowStride: 2, shape: 4, offsets, strides, scalars: sc, words: Math.ceil((sc + scalars) / 4) * 4 };
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
}

/** Cache key of a spec (the program key plus layout). */
export function ewKey(s: EwSpec): string {
  return `ew|${s.program.key}|${s.bindings.map((b) => b.type + (b.writable ? 'w' : 'r')).join(',')}|${s.operandBinding.join(',')}|${s.access.map((a) => (a === 'flat' ? 'f' : a === 'scalar' ? 'c' : 's')).join('')}`;
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

/** WGSL source of an elementwise kernel with workgroup size `wg`. */
export function ewSource(s: EwSpec, wg: number): string {
  const p = s.program;
  const nIn = p.inputs.length;
  const nOps = nIn + p.outputs.length;
  const L = ewLayout(nOps, s.scalarSlots.length);
  const decls = s.bindings.map((b, j) => `@group(0) @binding(${j}) var<storage, ${b.writable ? 'read_write' : 'read'}> b${j}: array<${b.type}>;`);
  const needsIdx = s.access.some((a) => a === 'strided');
  const addr = (k: number): string => {
    switch (s.access[k]) {
      case 'flat':
        return `pu(${L.offsets + k}u) + i`;
      case 'scalar':
        return `pu(${L.offsets + k}u)`;
      default:
        return `idx(${k}u, i)`;
    }
  };
  const lines: string[] = [];
  const name = new Map<number, string>();
  for (const e of p.nodes) {
    if (e.op === 'const') {
      name.set(e.id, literal(e));
      continue;
    }
    const v = `t${e.id}`;
    if (e.op === 'input') lines.push(`  let ${v}: ${wt(e)} = b${s.operandBinding[e.index]}[${addr(e.index)}];`);
    else if (e.op === 'scalar') {
      const dt = wtype(e.dtype as DType);
      const slot = s.scalarSlots.findIndex((x) => x.index === e.index && x.dtype === dt);
      lines.push(`  let ${v}: ${dt} = bitcast<${dt}>(pu(${L.scalars + slot}u));`);
    } else {
      const [a, b, c] = e.args.map((x) => name.get(x.id)!);
      lines.push(`  let ${v}: ${wt(e)} = ${expr.spelledOp(WGSL, e.op, a!, b ?? '') ?? nodeCode(e, a!, b ?? '', c ?? '')};`);
    }
    name.set(e.id, v);
  }
  p.outputs.forEach((o, k) => lines.push(`  b${s.operandBinding[nIn + k]}[${addr(nIn + k)}] = ${name.get(o.id)};`));
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
${
  needsIdx
    ? `fn idx(v: u32, flat: u32) -> u32 {
  var rem = flat;
  var r = pu(${L.offsets}u + v);
  let rank = i32(pu(${L.rank}u));
  for (var d = rank - 1; d >= 0; d = d - 1) {
    let s = pu(${L.shape}u + u32(d));
    r = r + (rem % s) * pu(${L.strides}u + ${MAX_RANK}u * v + u32(d));
    rem = rem / s;
  }
  return r;
}`
    : ''
}
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * pu(${L.rowStride}u);
  if (i >= pu(${L.n}u)) { return; }
${lines.join('\n')}
}`;
  return `${helpersFor(src)}\n${src}`;
}
