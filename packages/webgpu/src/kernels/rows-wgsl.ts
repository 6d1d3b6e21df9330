/**
 * Row kernels over contiguous `[rows, cols]` inputs: reductions, softmax / log-softmax and the
 * fused layerNorm / rmsNorm. Long rows get one workgroup each with a workgroup-shared tree
 * reduction; short rows get one invocation each.
 */
import { helpersFor } from './math-wgsl.js';
import type { WType } from './elementwise-wgsl.js';

/** Row reductions with a WGSL kernel (the contract's four, and min / argmin / logsumexp for the overrides). */
export type RowReduceOp = 'sum' | 'prod' | 'max' | 'min' | 'argmax' | 'argmin' | 'logsumexp';

/** Uniform layout of the row kernels, in u32 words: rows, cols, offset, gridX (rows per grid line), eps. */
export const ROWS = { rows: 0, cols: 1, offset: 2, gridX: 3, eps: 4, words: 8 } as const;

/** Rows at most this long use one invocation per row. */
export const SHORT_ROW = 16;

/**
 * Whether a row kernel over `[rows, cols]` runs one invocation per row: rows of at most
 * `SHORT_ROW` columns, and on a software adapter (llvmpipe) also rows of up to 8192 columns when
 * there are at least 128 of them. llvmpipe runs a workgroup's invocations as coroutines on one
 * thread and switches them at every barrier, so a workgroup per row spends more on its tree
 * reduction than it gains; 128 rows still give every CPU thread workgroups (measured on the
 * transformer bench: docs/benchmarks.md).
 */
export function rowPerInvocation(rows: number, cols: number, software: boolean): boolean {
  return cols <= SHORT_ROW || (software && rows >= 128 && cols <= 8192);
}

/** Workgroup size for a row length (group variant). */
export function rowWorkgroup(cols: number, maxWg: number): number {
  return Math.min(cols >= 2048 ? 256 : 64, maxWg);
}

const HEADER = `struct Params { v: array<vec4<u32>, ${ROWS.words / 4}> };
fn pu(i: u32) -> u32 { return P.v[i / 4u][i % 4u]; }`;

/** A row kernel: `row`, `cols`, `base` (and `lid` in the group variant) are in scope of `body`. */
export function entry(wg: number, group: boolean, body: string, bindingsAndShared: string): string {
  const src = group
    ? `${bindingsAndShared}
${HEADER}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lidv: vec3<u32>) {
  let row = wid.x + wid.y * pu(${ROWS.gridX}u);
  if (row >= pu(${ROWS.rows}u)) { return; }
  let lid = lidv.x;
  let cols = pu(${ROWS.cols}u);
  let base = pu(${ROWS.offset}u) + row * cols;
${body}
}`
    : `${bindingsAndShared}
${HEADER}
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.x + gid.y * pu(${ROWS.gridX}u) * ${wg}u;
  if (row >= pu(${ROWS.rows}u)) { return; }
  let cols = pu(${ROWS.cols}u);
  let base = pu(${ROWS.offset}u) + row * cols;
${body}
}`;
  return `${helpersFor(src)}\n${src}`;
}

/** Workgroup tree reduction of `sv` (and `si` for arg ops) with combine statement `comb` over (a, b) slots. */
export function tree(wg: number, comb: string): string {
  return `  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) {
${comb}
    }
    workgroupBarrier();
  }`;
}

/**
 * Statements of a group kernel: the row maximum of `load` (WGSL of column `c`) reduced through the
 * workgroup array `sv` into `ms`; `shiftInf` replaces an infinite maximum by 0 (torch's
 * logsumexp). Ends with a barrier, so `sv` can be reused.
 */
export function groupRowMax(wg: number, load: string, shiftInf: boolean): string {
  const ms = shiftInf ? `let mm = sv[0];
  let ms = select(mm, 0.0, isinf_(mm));` : 'let ms = sv[0];';
  return `  var m = -inf_();
  for (var c = lid; c < cols; c = c + ${wg}u) { m = fmax_(m, ${load}); }
  sv[lid] = m;
${tree(wg, '      sv[lid] = fmax_(sv[lid], sv[lid + s]);')}
  ${ms}
  workgroupBarrier();`;
}

interface ReduceParts {
  acc: WType;
  init: string;
  step: string; // combine acc with v (loop variable c)
  merge: string; // merge slot lid+s into lid
  result: string; // from acc
}

function reduceParts(op: RowReduceOp, t: WType): ReduceParts {
  const isF = t === 'f32';
  const lowest = isF ? '-inf_()' : '(-2147483647 - 1)';
  const highest = isF ? 'inf_()' : '2147483647';
  const mx = isF ? 'fmax_' : 'max';
  const mn = isF ? 'fmin_' : 'min';
  switch (op) {
    case 'sum': return { acc: t, init: isF ? '0.0' : '0', step: 'acc = acc + v;', merge: 'sv[lid] = sv[lid] + sv[lid + s];', result: 'acc' };
    case 'prod': return { acc: t, init: isF ? '1.0' : '1', step: 'acc = acc * v;', merge: 'sv[lid] = sv[lid] * sv[lid + s];', result: 'acc' };
    case 'max': return { acc: t, init: lowest, step: `acc = ${mx}(acc, v);`, merge: `sv[lid] = ${mx}(sv[lid], sv[lid + s]);`, result: 'acc' };
    case 'min': return { acc: t, init: highest, step: `acc = ${mn}(acc, v);`, merge: `sv[lid] = ${mn}(sv[lid], sv[lid + s]);`, result: 'acc' };
    default: throw new Error(`webgpu: reduce: no simple combine for '${op}'`);
  }
}

/** WGSL of `reduce(op)` over rows of element type `t`, writing `outType`. */
export function reduceSource(op: RowReduceOp, t: WType, outType: WType, group: boolean, wg: number): string {
  const decl = (shared: string) => `@group(0) @binding(0) var<storage, read> x: array<${t}>;
@group(0) @binding(1) var<storage, read_write> out: array<${outType}>;
@group(0) @binding(2) var<uniform> P: Params;
${shared}`;
  const cast = (e: string, from: WType) => (from === outType ? e : `${outType}(${e})`);
  if (op === 'argmax' || op === 'argmin') {
    const better = (bv: string, bi: string, av: string, ai: string) => {
      const cmp = op === 'argmax' ? '>' : '<';
      const nanB = t === 'f32' ? `isnan_(${bv})` : 'false';
      const nanA = t === 'f32' ? `isnan_(${av})` : 'false';
      return `((${nanB} && !${nanA}) || (${bv} ${cmp} ${av}) || ((${bv} == ${av} || (${nanB} && ${nanA})) && ${bi} < ${ai}))`;
    };
    const init = `var bv: ${t} = x[base];\n  var bi: u32 = 0u;`;
    if (!group) {
      return entry(wg, false, `  ${init}
  for (var c = 1u; c < cols; c = c + 1u) {
    let v = x[base + c];
    if (${better('v', 'c', 'bv', 'bi')}) { bv = v; bi = c; }
  }
  out[row] = ${cast('i32(bi)', 'i32')};`, decl(''));
    }
    return entry(wg, true, `  var bv: ${t} = x[base];
  var bi: u32 = 0u;
  for (var c = lid; c < cols; c = c + ${wg}u) {
    let v = x[base + c];
    if (c == lid || ${better('v', 'c', 'bv', 'bi')}) { bv = v; bi = c; }
  }
  if (lid >= cols) { bi = 0xffffffffu; }
  sv[lid] = bv;
  si[lid] = bi;
${tree(wg, `      let ov = sv[lid + s];
      let oi = si[lid + s];
      if (oi != 0xffffffffu && (si[lid] == 0xffffffffu || ${better('ov', 'oi', 'sv[lid]', 'si[lid]')})) { sv[lid] = ov; si[lid] = oi; }`)}
  if (lid == 0u) { out[row] = ${cast('i32(si[0])', 'i32')}; }`, decl(`var<workgroup> sv: array<${t}, ${wg}>;\nvar<workgroup> si: array<u32, ${wg}>;`));
  }
  if (op === 'logsumexp') {
    const load = t === 'f32' ? 'x[base + c]' : 'f32(x[base + c])';
    if (!group) {
      return entry(wg, false, `  var m = -inf_();
  for (var c = 0u; c < cols; c = c + 1u) { m = fmax_(m, ${load}); }
  let ms = select(m, 0.0, isinf_(m));
  var s = 0.0;
  for (var c = 0u; c < cols; c = c + 1u) { s = s + exp(${load} - ms); }
  out[row] = ${cast('ms + log(s)', 'f32')};`, decl(''));
    }
    return entry(wg, true, `${groupRowMax(wg, load, true)}
  var acc = 0.0;
  for (var c = lid; c < cols; c = c + ${wg}u) { acc = acc + exp(${load} - ms); }
  sv[lid] = acc;
${tree(wg, '      sv[lid] = sv[lid] + sv[lid + s];')}
  if (lid == 0u) { out[row] = ${cast('ms + log(sv[0])', 'f32')}; }`, decl(`var<workgroup> sv: array<f32, ${wg}>;`));
  }
  const p = reduceParts(op, t);
  if (!group) {
    return entry(wg, false, `  var acc: ${p.acc} = ${p.init};
  for (var c = 0u; c < cols; c = c + 1u) { let v = x[base + c]; ${p.step} }
  out[row] = ${cast(p.result, p.acc)};`, decl(''));
  }
  return entry(wg, true, `  var acc: ${p.acc} = ${p.init};
  for (var c = lid; c < cols; c = c + ${wg}u) { let v = x[base + c]; ${p.step} }
  sv[lid] = acc;
${tree(wg, `      ${p.merge}`)}
  if (lid == 0u) { out[row] = ${cast('sv[0]', p.acc)}; }`, decl(`var<workgroup> sv: array<${p.acc}, ${wg}>;`));
}

/** WGSL of a (log-)softmax over rows (f32). */
export function softmaxSource(log: boolean, group: boolean, wg: number): string {
  const decl = (shared: string) => `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;
${shared}`;
  const obase = `row * cols`;
  const write = log ? `x[base + c] - ms - ls` : `exp(x[base + c] - ms) * inv`;
  const fin = log ? 'let ls = log(s);' : 'let inv = 1.0 / s;';
  if (!group) {
    return entry(wg, false, `  var m = -inf_();
  for (var c = 0u; c < cols; c = c + 1u) { m = fmax_(m, x[base + c]); }
  let ms = m;
  var s = 0.0;
  for (var c = 0u; c < cols; c = c + 1u) { s = s + exp(x[base + c] - ms); }
  ${fin}
  for (var c = 0u; c < cols; c = c + 1u) { out[${obase} + c] = ${write}; }`, decl(''));
  }
  return entry(wg, true, `${groupRowMax(wg, 'x[base + c]', false)}
  var acc = 0.0;
  for (var c = lid; c < cols; c = c + ${wg}u) { acc = acc + exp(x[base + c] - ms); }
  sv[lid] = acc;
${tree(wg, '      sv[lid] = sv[lid] + sv[lid + s];')}
  let s = sv[0];
  ${fin}
  for (var c = lid; c < cols; c = c + ${wg}u) { out[${obase} + c] = ${write}; }`, decl(`var<workgroup> sv: array<f32, ${wg}>;`));
}

/** Statements computing `mean` and `rstd` of the row into locals (group variant: strided partial sums and a tree; else in order). */
function layerStats(wg: number, group: boolean): string {
  const eps = `bitcast<f32>(pu(${ROWS.eps}u))`;
  if (!group) {
    return `  var acc = 0.0;
  for (var c = 0u; c < cols; c = c + 1u) { acc = acc + x[base + c]; }
  let mean = acc / f32(cols);
  var acc2 = 0.0;
  for (var c = 0u; c < cols; c = c + 1u) { let d = x[base + c] - mean; acc2 = acc2 + d * d; }
  let rstd = 1.0 / sqrt(acc2 / f32(cols) + ${eps});`;
  }
  return `  var acc = 0.0;
  for (var c = lid; c < cols; c = c + ${wg}u) { acc = acc + x[base + c]; }
  sv[lid] = acc;
${tree(wg, '      sv[lid] = sv[lid] + sv[lid + s];')}
  let mean = sv[0] / f32(cols);
  workgroupBarrier();
  var acc2 = 0.0;
  for (var c = lid; c < cols; c = c + ${wg}u) { let d = x[base + c] - mean; acc2 = acc2 + d * d; }
  sv[lid] = acc2;
${tree(wg, '      sv[lid] = sv[lid] + sv[lid + s];')}
  let rstd = 1.0 / sqrt(sv[0] / f32(cols) + ${eps});`;
}

/** The columns a variant's invocation visits: all in order (one invocation per row) or from `lid` in steps of `wg`. */
function colLoop(wg: number, group: boolean): string {
  return group ? `for (var c = lid; c < cols; c = c + ${wg}u)` : 'for (var c = 0u; c < cols; c = c + 1u)';
}

/** WGSL of the layerNorm statistics kernel: writes mean and rstd per row. */
export function layerNormStatsSource(wg: number, group = true): string {
  return entry(wg, group, `${layerStats(wg, group)}
  ${group ? 'if (lid == 0u) ' : ''}{ mean_out[row] = mean; rstd_out[row] = rstd; }`, `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> mean_out: array<f32>;
@group(0) @binding(2) var<storage, read_write> rstd_out: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;
${group ? `var<workgroup> sv: array<f32, ${wg}>;` : ''}`);
}

/** WGSL of the layerNorm apply kernel (recomputes the same statistics): `out = (x - mean) * rstd * w + b`. */
export function layerNormApplySource(wg: number, hasWeight: boolean, hasBias: boolean, group = true): string {
  let b = 1;
  const decls = ['@group(0) @binding(0) var<storage, read> x: array<f32>;'];
  if (hasWeight) decls.push(`@group(0) @binding(${b++}) var<storage, read> w: array<f32>;`);
  if (hasBias) decls.push(`@group(0) @binding(${b++}) var<storage, read> bias: array<f32>;`);
  decls.push(`@group(0) @binding(${b++}) var<storage, read_write> out: array<f32>;`);
  decls.push(`@group(0) @binding(${b++}) var<uniform> P: Params;`);
  if (group) decls.push(`var<workgroup> sv: array<f32, ${wg}>;`);
  let expr = '(x[base + c] - mean) * rstd';
  if (hasWeight) expr = `${expr} * w[c]`;
  if (hasBias) expr = `${expr} + bias[c]`;
  return entry(wg, group, `${layerStats(wg, group)}
  ${colLoop(wg, group)} { out[row * cols + c] = ${expr}; }`, decls.join('\n'));
}

/** WGSL of the fused rmsNorm kernel: `out = x * rstd * w`, writes rstd per row. */
export function rmsNormSource(wg: number, hasWeight: boolean, group = true): string {
  let b = 1;
  const decls = ['@group(0) @binding(0) var<storage, read> x: array<f32>;'];
  if (hasWeight) decls.push(`@group(0) @binding(${b++}) var<storage, read> w: array<f32>;`);
  decls.push(`@group(0) @binding(${b++}) var<storage, read_write> out: array<f32>;`);
  decls.push(`@group(0) @binding(${b++}) var<storage, read_write> rstd_out: array<f32>;`);
  decls.push(`@group(0) @binding(${b++}) var<uniform> P: Params;`);
  if (group) decls.push(`var<workgroup> sv: array<f32, ${wg}>;`);
  const expr = hasWeight ? 'x[base + c] * rstd * w[c]' : 'x[base + c] * rstd';
  const sum = group
    ? `  sv[lid] = acc;
${tree(wg, '      sv[lid] = sv[lid] + sv[lid + s];')}
  let ss = sv[0];`
    : '  let ss = acc;';
  return entry(wg, group, `  var acc = 0.0;
  ${colLoop(wg, group)} { let v = x[base + c]; acc = acc + v * v; }
${sum}
  let rstd = 1.0 / sqrt(ss / f32(cols) + bitcast<f32>(pu(${ROWS.eps}u)));
  ${group ? 'if (lid == 0u) ' : ''}{ rstd_out[row] = rstd; }
  ${colLoop(wg, group)} { out[row * cols + c] = ${expr}; }`, decls.join('\n'));
}
