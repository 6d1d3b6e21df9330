/**
 * Fused training kernels: cross-entropy rows (loss and logsumexp) and their gradient,
 * layerNorm / rmsNorm backward (a row kernel for dx, a column kernel for dweight / dbias), and a
 * scaled dot-product attention forward with an online softmax over key tiles held in workgroup
 * memory. Row kernels use the `ROWS` uniform layout plus the words below.
 */
import { ROWS, entry, groupRowMax, tree } from './rows-wgsl.js';
import { helpersFor } from './math-wgsl.js';
import { report } from './indexing-wgsl.js';

/** Extra row-uniform words of the cross-entropy kernels: ignoreIndex (i32 bits), label smoothing (f32 bits). */
export const CE = { ignore: 5, smoothing: 6 } as const;

/** Code of a cross-entropy target out of range in the error buffer (see `ERR_CODES`). */
export const CE_ERR_CODE = 3;

const f32 = (name: string, binding: number, rw = false) => `@group(0) @binding(${binding}) var<storage, ${rw ? 'read_write' : 'read'}> ${name}: array<f32>;`;
const i32 = (name: string, binding: number) => `@group(0) @binding(${binding}) var<storage, read> ${name}: array<i32>;`;
const uniform = (binding: number) => `@group(0) @binding(${binding}) var<uniform> P: Params;`;

/** Cross-entropy forward, one workgroup per row. Bindings: x, targets, stats [2 rows], err, params. */
export function crossEntropySource(wg: number): string {
  const decl = [
    f32('x', 0),
    i32('tg', 1),
    f32('stats', 2, true),
    '@group(0) @binding(3) var<storage, read_write> err: array<atomic<u32>, 4>;',
    uniform(4),
    `var<workgroup> sv: array<f32, ${wg}>;`,
    `var<workgroup> sw: array<f32, ${wg}>;`,
    report(CE_ERR_CODE),
  ].join('\n');
  return entry(wg, true, `${groupRowMax(wg, 'x[base + c]', true)}
  var acc = 0.0;
  var sx = 0.0;
  for (var c = lid; c < cols; c = c + ${wg}u) { let v = x[base + c]; acc = acc + exp(v - ms); sx = sx + v; }
  sv[lid] = acc;
  sw[lid] = sx;
${tree(wg, '      sv[lid] = sv[lid] + sv[lid + s];\n      sw[lid] = sw[lid] + sw[lid + s];')}
  if (lid == 0u) {
    let rows = pu(${ROWS.rows}u);
    let lse = ms + log(sv[0]);
    stats[rows + row] = lse;
    let t = tg[row];
    let sm = bitcast<f32>(pu(${CE.smoothing}u));
    if (t == bitcast<i32>(pu(${CE.ignore}u))) {
      stats[row] = 0.0;
    } else if (t < 0 || u32(t) >= cols) {
      report(t, cols);
      stats[row] = nan_();
    } else {
      var loss = (1.0 - sm) * (lse - x[base + u32(t)]);
      if (sm > 0.0) { loss = loss + sm * (lse - sw[0] / f32(cols)); }
      stats[row] = loss;
    }
  }`, decl);
}

/** Cross-entropy backward, one workgroup per row. Bindings: x, targets, stats, grad [2 rows], dx, params. */
export function crossEntropyBackwardSource(wg: number): string {
  const decl = [f32('x', 0), i32('tg', 1), f32('stats', 2), f32('grad', 3), f32('dx', 4, true), uniform(5)].join('\n');
  return entry(wg, true, `  let rows = pu(${ROWS.rows}u);
  let lse = stats[rows + row];
  let t = tg[row];
  let valid = t != bitcast<i32>(pu(${CE.ignore}u)) && t >= 0 && u32(t) < cols;
  let gl = select(0.0, grad[row], valid);
  let gp = gl + grad[rows + row];
  let sm = bitcast<f32>(pu(${CE.smoothing}u));
  let uni = gl * (sm / f32(cols));
  let hit = gl * (1.0 - sm);
  for (var c = lid; c < cols; c = c + ${wg}u) {
    let p = exp(x[base + c] - lse);
    var d = gp * p - uni;
    if (valid && c == u32(t)) { d = d - hit; }
    dx[base + c] = d;
  }`, decl);
}

/**
 * dx of layerNorm (`centered`) or rmsNorm: one workgroup per row (`group`, strided partial sums and
 * a tree), else one invocation per row (sums in column order). Bindings: x, [mean], rstd, [w], g,
 * dx, params.
 */
export function normBackwardDxSource(wg: number, centered: boolean, hasWeight: boolean, group = true): string {
  let b = 0;
  const decls = [f32('x', b++)];
  if (centered) decls.push(f32('mean', b++));
  decls.push(f32('rstd', b++));
  if (hasWeight) decls.push(f32('w', b++));
  decls.push(f32('g', b++), f32('dx', b++, true), uniform(b++));
  if (group) decls.push(`var<workgroup> sv: array<f32, ${wg}>;`);
  if (group && centered) decls.push(`var<workgroup> sw: array<f32, ${wg}>;`);
  const xh = centered ? '(x[base + c] - mu) * rs' : 'x[base + c] * rs';
  const gh = hasWeight ? 'g[base + c] * w[c]' : 'g[base + c]';
  const cols = group ? `for (var c = lid; c < cols; c = c + ${wg}u)` : 'for (var c = 0u; c < cols; c = c + 1u)';
  const sums = group
    ? `  ${centered ? 'sw[lid] = a;' : ''}
  sv[lid] = bs;
${tree(wg, `      sv[lid] = sv[lid] + sv[lid + s];${centered ? '\n      sw[lid] = sw[lid] + sw[lid + s];' : ''}`)}
  let sa = ${centered ? 'sw[0]' : '0.0'};
  let sb = sv[0];`
    : `  let sa = a;
  let sb = bs;`;
  const body = `  let rs = rstd[row];
  ${centered ? 'let mu = mean[row];' : ''}
  var a = 0.0;
  var bs = 0.0;
  ${cols} { let xh = ${xh}; let gh = ${gh}; a = a + gh; bs = bs + gh * xh; }
${sums}
  let n = f32(cols);
  let mb = sb / n;
  ${centered ? 'let ma = sa / n;' : 'let ma = 0.0;'}
  ${cols} { let xh = ${xh}; let gh = ${gh}; dx[base + c] = rs * (gh - ma - xh * mb); }`;
  return entry(wg, group, body, decls.join('\n'));
}

/** Uniform words of the column kernels: rows, cols, rowStride (invocations per grid line), rows per chunk, chunks, and the element offset of the block. */
export const COLS = { rows: 0, cols: 1, rowStride: 2, chunkRows: 3, chunks: 4, offset: 5, words: 8 } as const;

/**
 * dweight (`sum_rows g * xhat`) and / or dbias (`sum_rows g`) of layerNorm (`centered`) or rmsNorm,
 * and with only `wantB` any column sum (the `sumColumns` override, `g` the summed block):
 * invocation (column c, chunk z) sums rows `[z * chunkRows, (z + 1) * chunkRows)` in order and
 * writes `out[c * chunks + z]` (the final value when there is one chunk; else partial sums that a
 * row reduction finishes). The block starts `offset` elements into its buffers. Bindings:
 * [x, [mean], rstd] (with dw), g, [dw], [db], params.
 */
export function normBackwardParamsSource(wg: number, centered: boolean, wantW: boolean, wantB: boolean): string {
  let b = 0;
  const decls: string[] = [];
  if (wantW) {
    decls.push(f32('x', b++));
    if (centered) decls.push(f32('mean', b++));
    decls.push(f32('rstd', b++));
  }
  decls.push(f32('g', b++));
  if (wantW) decls.push(f32('dw', b++, true));
  if (wantB) decls.push(f32('db', b++, true));
  decls.push(uniform(b++));
  const xh = centered ? '(x[i] - mean[r]) * rstd[r]' : 'x[i] * rstd[r]';
  return `${decls.join('\n')}
struct Params { v: array<vec4<u32>, 2> };
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x + gid.y * P.v[0][${COLS.rowStride}];
  let cols = P.v[0][${COLS.cols}];
  if (c >= cols) { return; }
  let chunkRows = P.v[0][${COLS.chunkRows}];
  let chunks = P.v[1][${COLS.chunks - 4}];
  let r0 = gid.z * chunkRows;
  let r1 = min(P.v[0][${COLS.rows}], r0 + chunkRows);
  var sw = 0.0;
  var sb = 0.0;
  for (var r = r0; r < r1; r = r + 1u) {
    let i = P.v[1][${COLS.offset - 4}] + r * cols + c;
    let gg = g[i];
    ${wantW ? `sw = sw + gg * ${xh};` : ''}
    ${wantB ? 'sb = sb + gg;' : ''}
  }
  ${wantW ? 'dw[c * chunks + gid.z] = sw;' : ''}
  ${wantB ? 'db[c * chunks + gid.z] = sb;' : ''}
}`;
}

/** Uniform layout of the attention kernel (u32 words). */
export const ATT = {
  B: 0, H: 1, Hkv: 2, Lq: 3, Lk: 4, gridX: 5, blocks: 6, scale: 7,
  qOff: 8, qs: 9, kOff: 13, ks: 14, vOff: 18, vs: 19, mOff: 23, ms: 24,
  words: 28,
} as const;

/** Compile-time shape of one attention kernel. */
export interface AttentionSpec {
  /** Head size of q and k. */
  D: number;
  /** Head size of v. */
  Dv: number;
  /** Keys per workgroup-memory tile. */
  TK: number;
  /** Query rows (invocations) per workgroup. */
  wg: number;
  /** Whether an additive mask is bound. */
  mask: boolean;
}

/** Largest head size the attention kernel keeps in registers. */
export const ATTENTION_MAX_HEAD = 256;

/**
 * Attention forward: one workgroup per (batch, head, block of `wg` query rows), one invocation per
 * query row; key / value tiles of `TK` rows are loaded cooperatively into workgroup memory and
 * folded in key by key with an online softmax (running max `m`, sum `l`, output accumulator).
 * Bindings: q, k, v, [mask], out, lse, params.
 *
 * The query and the accumulator live in vec4 variables, one per four head channels (the last one
 * zero-padded), never in indexed arrays, and the tiles are read as vec4: on Mesa's llvmpipe an
 * indexed local array stays in memory and every workgroup-memory read is a loop over the SIMD
 * lanes, so the earlier kernel (scalar arrays, a second pass over each tile's scores) spent its
 * time there.
 */
export function attentionSource(spec: AttentionSpec): string {
  const { D, Dv, TK, wg } = spec;
  const nq = Math.ceil(D / 4);
  const nv = Math.ceil(Dv / 4);
  let b = 0;
  const decls = [f32('q', b++), f32('k', b++), f32('v', b++)];
  if (spec.mask) decls.push(f32('mask', b++));
  decls.push(f32('out', b++, true), f32('lse', b++, true), uniform(b++));
  const pu4 = (w: number) => `pu(${w}u)`;
  /** vec4 of channels 4c..4c+3 of a row of `buf` at `base` with channel stride `st`; channels past `width` are 0. */
  const vec = (buf: string, base: string, st: string, c: string, cc: number | null, width: number): string => {
    const parts = [0, 1, 2, 3].map((q) => {
      const at = `${buf}[${base} + (${c} * 4u + ${q}u) * ${st}]`;
      if (width % 4 === 0) return at;
      if (cc !== null) return cc * 4 + q < width ? at : '0.0';
      return `select(0.0, ${buf}[${base} + min(${c} * 4u + ${q}u, ${width - 1}u) * ${st}], ${c} * 4u + ${q}u < ${width}u)`;
    });
    return `vec4<f32>(${parts.join(', ')})`;
  };
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const score = range(nq).map((c) => `dot(q${c}, kt[kr + ${c}u])`).join(' + ');
  const src = `${decls.join('\n')}
struct Params { v: array<vec4<u32>, ${Math.ceil(ATT.words / 4)}> };
fn pu(i: u32) -> u32 { return P.v[i / 4u][i % 4u]; }
var<workgroup> kt: array<vec4<f32>, ${TK * nq}>;
var<workgroup> vt: array<vec4<f32>, ${TK * nv}>;
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lidv: vec3<u32>) {
  let grp = wid.x + wid.y * ${pu4(ATT.gridX)};
  let blocks = ${pu4(ATT.blocks)};
  let H = ${pu4(ATT.H)};
  if (grp >= ${pu4(ATT.B)} * H * blocks) { return; }
  let lid = lidv.x;
  let bh = grp / blocks;
  let bi = bh / H;
  let h = bh % H;
  let kh = h / (H / ${pu4(ATT.Hkv)});
  let Lq = ${pu4(ATT.Lq)};
  let Lk = ${pu4(ATT.Lk)};
  let i = (grp % blocks) * ${wg}u + lid;
  let valid = i < Lq;
  let ii = min(i, Lq - 1u);
  let scale = bitcast<f32>(${pu4(ATT.scale)});
  let qb = ${pu4(ATT.qOff)} + bi * ${pu4(ATT.qs)} + h * ${pu4(ATT.qs + 1)} + ii * ${pu4(ATT.qs + 2)};
  let qd = ${pu4(ATT.qs + 3)};
${range(nq).map((c) => `  let q${c} = ${vec('q', 'qb', 'qd', `${c}u`, c, D)} * scale;`).join('\n')}
  let kb = ${pu4(ATT.kOff)} + bi * ${pu4(ATT.ks)} + kh * ${pu4(ATT.ks + 1)};
  let kj = ${pu4(ATT.ks + 2)};
  let kd = ${pu4(ATT.ks + 3)};
  let vb = ${pu4(ATT.vOff)} + bi * ${pu4(ATT.vs)} + kh * ${pu4(ATT.vs + 1)};
  let vj = ${pu4(ATT.vs + 2)};
  let vd = ${pu4(ATT.vs + 3)};
  ${spec.mask ? `let mb = ${pu4(ATT.mOff)} + bi * ${pu4(ATT.ms)} + h * ${pu4(ATT.ms + 1)} + ii * ${pu4(ATT.ms + 2)};\n  let mj = ${pu4(ATT.ms + 3)};` : ''}
${range(nv).map((c) => `  var a${c} = vec4<f32>(0.0);`).join('\n')}
  var m = -inf_();
  var l = 0.0;
  for (var t0 = 0u; t0 < Lk; t0 = t0 + ${TK}u) {
    let n = min(${TK}u, Lk - t0);
    workgroupBarrier();
    for (var e = lid; e < n * ${nq}u; e = e + ${wg}u) {
      let j = e / ${nq}u;
      kt[e] = ${vec('k', 'kb + (t0 + j) * kj', 'kd', `(e - j * ${nq}u)`, null, D)};
    }
    for (var e = lid; e < n * ${nv}u; e = e + ${wg}u) {
      let j = e / ${nv}u;
      vt[e] = ${vec('v', 'vb + (t0 + j) * vj', 'vd', `(e - j * ${nv}u)`, null, Dv)};
    }
    workgroupBarrier();
    for (var j = 0u; j < n; j = j + 1u) {
      let kr = j * ${nq}u;
      var s = ${score};
      ${spec.mask ? 's = s + mask[mb + (t0 + j) * mj];' : ''}
      // A key masked out (score -inf) changes nothing; the first key that is not sets m. One exp
      // per key: a new maximum rescales the sums by exp(m - s) and weighs its key 1, any other key
      // weighs exp(s - m) (exp(0) = 1 exactly, so this equals rescaling by exp(m - max(m, s))).
      if (!(isinf_(s) && s < 0.0)) {
        let up = s > m;
        let e = exp(select(s - m, m - s, up));
        let corr = select(1.0, e, up);
        let p = select(e, 1.0, up);
        let mn = select(m, s, up);
        l = l * corr + p;
        let vr = j * ${nv}u;
${range(nv).map((c) => `        a${c} = a${c} * corr + p * vt[vr + ${c}u];`).join('\n')}
        m = mn;
      }
    }
  }
  if (valid) {
    let row = bh * Lq + i;
    let empty = l == 0.0;
    let inv = select(1.0 / l, 0.0, empty);
${range(Dv).map((d) => `    out[row * ${Dv}u + ${d}u] = a${d >> 2}.${'xyzw'[d & 3]} * inv;`).join('\n')}
    lse[row] = select(m + log(l), -inf_(), empty);
  }
}`;
  return `${helpersFor(src)}\n${src}`;
}
