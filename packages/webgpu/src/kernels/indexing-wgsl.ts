/**
 * gather / scatterAdd over rank-3 views `[outer, dim, inner]`.
 *
 * Out-of-range indices cannot throw on a GPU: the kernels skip them (gather writes 0) and record
 * the first offence in a small error buffer that the backend checks at the next `read`/`sync`
 * and turns into a thrown error naming the kernel, the index and the dimension size.
 */
import type { WType } from './elementwise-wgsl.js';

/** Uniform layout of the indexing kernels (u32 words). */
export const IX = {
  O: 0, Dj: 1, I: 2, Dx: 3,
  xOff: 4, xs0: 5, xs1: 6, xs2: 7,
  iOff: 8, is0: 9, is1: 10, is2: 11,
  n: 12, rowStride: 13,
  words: 16,
} as const;

/** Codes written into the error buffer are listed in `ERR_CODES` (runtime/runtime.ts). */

const HEADER = `struct Params { v: array<vec4<u32>, ${IX.words / 4}> };
fn pu(i: u32) -> u32 { return P.v[i / 4u][i % 4u]; }`;

/** WGSL `report(k, dim)`: record the first out-of-range index in the error buffer `err` under `code`. */
export function report(code: number): string {
  return `fn report(k: i32, dim: u32) {
  let prev = atomicMax(&err[0], ${code}u);
  if (prev == 0u) { atomicStore(&err[1], bitcast<u32>(k)); atomicStore(&err[2], dim); }
}`;
}

/** One indexing kernel (see `indexingKernel`). */
interface IndexingKernel {
  /** Declarations of bindings 0 and 2 after `var<storage, ` (binding 1 is the index, 3 the error buffer, 4 the uniform). */
  first: string;
  third: string;
  /** Error code `report` records for an index out of range. */
  code: number;
  wg: number;
  /** Statements of `main` after the prologue. */
  body: string;
}

/**
 * WGSL of an indexing kernel: the bindings, the uniform accessors, `report(k, dim)`, and a `main`
 * over the flat invocation index `f < n` whose prologue sets the sizes `I`, `Dj`, `Dx` and
 * `i = f % I`, `q = f / I`; the helpers `indexAt(o, j, i)` (an index element) and `xAt(o, j, i)`
 * (the offset of that element of x / src) are at hand.
 */
function indexingKernel({ first, third, code, wg, body }: IndexingKernel): string {
  return `@group(0) @binding(0) var<storage, ${first};
@group(0) @binding(1) var<storage, read> index: array<i32>;
@group(0) @binding(2) var<storage, ${third};
@group(0) @binding(3) var<storage, read_write> err: array<atomic<u32>, 4>;
@group(0) @binding(4) var<uniform> P: Params;
${HEADER}
${report(code)}
fn indexAt(o: u32, j: u32, i: u32) -> i32 {
  return index[pu(${IX.iOff}u) + o * pu(${IX.is0}u) + j * pu(${IX.is1}u) + i * pu(${IX.is2}u)];
}
fn xAt(o: u32, j: u32, i: u32) -> u32 {
  return pu(${IX.xOff}u) + o * pu(${IX.xs0}u) + j * pu(${IX.xs1}u) + i * pu(${IX.xs2}u);
}
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let f = gid.x + gid.y * pu(${IX.rowStride}u);
  if (f >= pu(${IX.n}u)) { return; }
  let I = pu(${IX.I}u);
  let Dj = pu(${IX.Dj}u);
  let Dx = pu(${IX.Dx}u);
  let i = f % I;
  let q = f / I;
${body}
}`;
}

/** gather: `out[o, j, i] = x[o, index[o, j, i], i]`. Bindings: x, index, out, err, params. */
export function gatherSource(t: WType, wg: number): string {
  const body = `  let j = q % Dj;
  let o = q / Dj;
  let k = indexAt(o, j, i);
  if (k < 0 || u32(k) >= Dx) {
    report(k, Dx);
    out[f] = ${t}(0);
    return;
  }
  out[f] = x[xAt(o, u32(k), i)];`;
  return indexingKernel({ first: `read> x: array<${t}>`, third: `read_write> out: array<${t}>`, code: 1, wg, body });
}

/**
 * Deterministic scatterAdd: one invocation per (outer, inner) column walks j in order, so the
 * float sums are reproducible. Bindings: tgt, index, src, err, params. Here `Dx` is the
 * tgt's middle size and `x*` describe src.
 */
export function scatterColumnSource(t: WType, wg: number): string {
  const body = `  let o = q;
  let ib = pu(${IX.iOff}u) + o * pu(${IX.is0}u) + i * pu(${IX.is2}u);
  let sb = pu(${IX.xOff}u) + o * pu(${IX.xs0}u) + i * pu(${IX.xs2}u);
  let is1 = pu(${IX.is1}u);
  let ss1 = pu(${IX.xs1}u);
  for (var j = 0u; j < Dj; j = j + 1u) {
    let k = index[ib + j * is1];
    if (k < 0 || u32(k) >= Dx) { report(k, Dx); continue; }
    let ti = (o * Dx + u32(k)) * I + i;
    tgt[ti] = tgt[ti] + src[sb + j * ss1];
  }`;
  return indexingKernel({ first: `read_write> tgt: array<${t}>`, third: `read> src: array<${t}>`, code: 2, wg, body });
}

/** Atomic scatterAdd: one invocation per source element (f32 via a compare-exchange loop on the bits). */
export function scatterAtomicSource(t: WType, wg: number): string {
  const add =
    t === 'i32'
      ? `  atomicAdd(&tgt[ti], v);`
      : `  var old = atomicLoad(&tgt[ti]);
  loop {
    let r = atomicCompareExchangeWeak(&tgt[ti], old, bitcast<u32>(bitcast<f32>(old) + v));
    if (r.exchanged) { break; }
    old = r.old_value;
  }`;
  const body = `  let j = q % Dj;
  let o = q / Dj;
  let k = indexAt(o, j, i);
  if (k < 0 || u32(k) >= Dx) { report(k, Dx); return; }
  let v = src[xAt(o, j, i)];
  let ti = (o * Dx + u32(k)) * I + i;
${add}`;
  return indexingKernel({ first: `read_write> tgt: array<atomic<${t === 'i32' ? 'i32' : 'u32'}>>`, third: `read> src: array<${t}>`, code: 2, wg, body });
}
