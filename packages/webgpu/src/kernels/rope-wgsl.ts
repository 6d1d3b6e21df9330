/**
 * The rotary-embedding kernel (the `rope` override): one invocation per output element, which reads
 * its own element and the element at the same offset in the other half of the last dim, through
 * the strides of `x`, `cos` and `sin` (broadcast tables have stride 0).
 */

import { MAX_RANK } from './elementwise-wgsl.js';

/** Largest rank of a rope view (the elementwise kernels' limit). */
export const ROPE_MAX_RANK = MAX_RANK;

/** Uniform word layout of the rope kernel. */
export const ROPE = {
  n: 0,
  rank: 1,
  rowStride: 2,
  half: 3,
  shape: 4,
  offsets: 4 + ROPE_MAX_RANK,
  strides: 8 + ROPE_MAX_RANK,
  words: 8 + 4 * ROPE_MAX_RANK,
} as const;

/**
 * `out_i = x_i cos_i + x_j sin_i` (or `sin_j` when `transpose`), `j` the partner of `i` in the other
 * half. Bindings: x, cos, sin, out, params.
 */
export function ropeSource(wg: number, transpose: boolean): string {
  const R = ROPE_MAX_RANK;
  const st = (k: number, d: string) => `pu(${ROPE.strides}u + ${R * k}u + ${d})`;
  return `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> cs: array<f32>;
@group(0) @binding(2) var<storage, read> sn: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
struct Params { v: array<vec4<u32>, ${ROPE.words / 4}> };
@group(0) @binding(4) var<uniform> P: Params;
fn pu(i: u32) -> u32 { return P.v[i / 4u][i % 4u]; }
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * pu(${ROPE.rowStride}u);
  if (i >= pu(${ROPE.n}u)) { return; }
  let rank = pu(${ROPE.rank}u);
  let h = pu(${ROPE.half}u);
  var rem = i;
  var xa = pu(${ROPE.offsets}u);
  var ca = pu(${ROPE.offsets + 1}u);
  var sa = pu(${ROPE.offsets + 2}u);
  for (var d = i32(rank) - 1; d >= 0; d = d - 1) {
    let s = pu(${ROPE.shape}u + u32(d));
    let q = rem % s;
    xa = xa + q * ${st(0, 'u32(d)')};
    ca = ca + q * ${st(1, 'u32(d)')};
    sa = sa + q * ${st(2, 'u32(d)')};
    rem = rem / s;
  }
  let last = rank - 1u;
  let xl = h * ${st(0, 'last')};
  let sl = h * ${st(2, 'last')};
  let lower = (i % (2u * h)) < h;
  let xb = select(xa - xl, xa + xl, lower);
  let sb = select(sa - sl, sa + sl, lower);
  out[i] = x[xa] * cs[ca] + x[xb] * sn[${transpose ? 'sb' : 'sa'}];
}`;
}
