/** Launchers of the row kernels (WGSL in `rows-wgsl.ts`): reductions, softmax, logsumexp, layerNorm, rmsNorm. */
import type { LayerNormArgs, LogsumexpArgs, RmsNormArgs, SoftmaxArgs, Storage } from '@unihetero/tensor';
import { separateInputs } from '../runtime/bindings.js';
import type { LaunchContext } from '../runtime/context.js';
import { f32Bits, uniformWords } from '../runtime/runtime.js';
import type { WebGPUStorage } from '../runtime/storage.js';
import { wtype } from './elementwise-wgsl.js';
import {
  ROWS,
  layerNormApplySource,
  layerNormStatsSource,
  reduceSource,
  rmsNormSource,
  rowWorkgroup,
  softmaxSource,
  type RowReduceOp,
} from './rows-wgsl.js';

/** One row-kernel launch: one workgroup per row (long rows, or `forceGroup`) or one invocation per row. */
export interface RowLaunch {
  /** Kernel name (labels, errors). */
  name: string;
  /** Pipeline cache key (the workgroup variant is appended). */
  key: string;
  /** WGSL for the group / per-invocation variant with workgroup size `wg`. */
  source: (group: boolean, wg: number) => string;
  rows: number;
  cols: number;
  /** Storage buffers in binding order. */
  buffers: GPUBuffer[];
  /** Element offset of row 0 of the input. */
  offset?: number;
  /** Always one workgroup per row. */
  forceGroup?: boolean;
  /** The `eps` uniform word. */
  eps?: number;
  /** Extra uniform words: (index, bits). */
  extra?: readonly (readonly [number, number])[];
}

/** Record one row kernel (see `RowLaunch`). */
export function runRows(ctx: LaunchContext, l: RowLaunch): void {
  if (l.rows === 0) return;
  const rt = ctx.rt;
  const group = (l.forceGroup ?? false) || !ctx.rowPerInvocation(l.rows, l.cols);
  const params = (gridX: number) => {
    const p = uniformWords(ROWS, { rows: l.rows, cols: l.cols, offset: l.offset ?? 0, gridX, eps: f32Bits(l.eps ?? 0) });
    for (const [w, bits] of l.extra ?? []) p[w] = bits;
    return p;
  };
  if (group) {
    const wg = rowWorkgroup(l.cols, rt.wg);
    const { grid, gridX } = rt.gridGroups(l.rows);
    rt.dispatch({ kernel: { key: `${l.key}|g${wg}`, name: l.name, source: () => l.source(true, wg) }, buffers: l.buffers, params: params(gridX), grid });
  } else {
    const wg = Math.min(64, rt.wg);
    const { grid } = rt.grid1d(l.rows, wg);
    rt.dispatch({ kernel: { key: `${l.key}|t${wg}`, name: l.name, source: () => l.source(false, wg) }, buffers: l.buffers, params: params(grid[0]), grid });
  }
}

/** Throw unless `offset + rows * cols` fits in `x`. */
export function checkRows(op: string, x: WebGPUStorage, offset: number, rows: number, cols: number): void {
  if (offset + rows * cols > x.size) throw new Error(`webgpu: ${op}: rows ${rows} x cols ${cols} at offset ${offset} exceed the input's ${x.size} elements`);
}

/** Arguments of a row reduction. */
export interface ReduceLaunch {
  op: RowReduceOp;
  x: Storage;
  offset: number;
  rows: number;
  cols: number;
  out: Storage;
}

/** Reduce each row of contiguous `x [rows, cols]` into `out [rows]`. */
export function launchReduce(ctx: LaunchContext, { op, x, offset, rows, cols, out }: ReduceLaunch): void {
  const name = `reduce ${op}`;
  const xs = ctx.own(x, name);
  const os = ctx.own(out, name);
  checkRows(name, xs, offset, rows, cols);
  if (os.size < rows) throw new Error(`webgpu: ${name}: output has ${os.size} elements, need ${rows}`);
  if (cols === 0 && (op === 'argmax' || op === 'argmin' || op === 'max' || op === 'min')) throw new Error(`webgpu: ${name}: cannot reduce an empty row (cols = 0)`);
  const t = wtype(xs.dtype);
  const ot = wtype(os.dtype);
  const kname = `reduce_${op}_${t}_${ot}`;
  const { buffers, done } = separateInputs(ctx, [xs], [os]);
  runRows(ctx, { name: kname, key: kname, source: (g, wg) => reduceSource(op, t, ot, g, wg), rows, cols, buffers: [buffers[0]!, os.buffer!], offset });
  done();
}

/** Softmax / log-softmax of each row (the `softmax` override). */
export function launchSoftmax(ctx: LaunchContext, { x, offset, rows, cols, out, log }: SoftmaxArgs): void {
  const xs = ctx.own(x, 'softmax');
  const os = ctx.own(out, 'softmax');
  if (xs.dtype !== 'float32' || os.dtype !== 'float32') throw new Error(`webgpu: softmax: float32 only, got ${xs.dtype} -> ${os.dtype}`);
  checkRows('softmax', xs, offset, rows, cols);
  if (os.size < rows * cols) throw new Error(`webgpu: softmax: output has ${os.size} elements, need ${rows * cols}`);
  const { buffers, done } = separateInputs(ctx, [xs], [os]);
  const name = log ? 'log_softmax' : 'softmax';
  runRows(ctx, { name, key: name, source: (g, wg) => softmaxSource(log, g, wg), rows, cols, buffers: [buffers[0]!, os.buffer!], offset });
  done();
}

/** Logsumexp of each row (the `logsumexp` override). */
export function launchLogsumexp(ctx: LaunchContext, a: LogsumexpArgs): void {
  launchReduce(ctx, { op: 'logsumexp', ...a });
}

/** Fused LayerNorm over the last axis; writes out, mean and rstd. */
export function launchLayerNorm(ctx: LaunchContext, { x, weight, bias, rows, cols, eps, out, mean, rstd }: LayerNormArgs): void {
  const op = 'layerNorm';
  const xs = ctx.own(x, op);
  checkRows(op, xs, 0, rows, cols);
  const all = [x, weight, bias, out, mean, rstd].filter((s): s is Storage => s !== null).map((s) => ctx.own(s, op));
  if (all.some((s) => s.dtype !== 'float32')) throw new Error('webgpu: layerNorm: float32 only');
  if (weight && weight.size < cols) throw new Error(`webgpu: layerNorm: weight has ${weight.size} elements, need ${cols}`);
  if (bias && bias.size < cols) throw new Error(`webgpu: layerNorm: bias has ${bias.size} elements, need ${cols}`);
  if (out.size < rows * cols || mean.size < rows || rstd.size < rows) throw new Error(`webgpu: layerNorm: outputs too small for [${rows}, ${cols}] (out ${out.size}, mean ${mean.size}, rstd ${rstd.size})`);
  const outs = [ctx.own(out, op), ctx.own(mean, op), ctx.own(rstd, op)];
  const ins = [xs, weight ? ctx.own(weight, op) : null, bias ? ctx.own(bias, op) : null];
  const { buffers, done } = separateInputs(ctx, ins, outs);
  const inBufs = buffers.filter((b): b is GPUBuffer => b !== null);
  const stats = 'layer_norm_stats';
  runRows(ctx, { name: stats, key: stats, source: (g, wg) => layerNormStatsSource(wg, g), rows, cols, buffers: [inBufs[0]!, outs[1]!.buffer!, outs[2]!.buffer!], eps });
  const name = `layer_norm${weight ? '_w' : ''}${bias ? '_b' : ''}`;
  runRows(ctx, { name, key: name, source: (g, wg) => layerNormApplySource(wg, weight !== null, bias !== null, g), rows, cols, buffers: [...inBufs, outs[0]!.buffer!], eps });
  done();
}

/** Fused RMSNorm over the last axis: `out = x * rstd * weight`; writes rstd. */
export function launchRmsNorm(ctx: LaunchContext, { x, weight, rows, cols, eps, out, rstd }: RmsNormArgs): void {
  const op = 'rmsNorm';
  const xs = ctx.own(x, op);
  checkRows(op, xs, 0, rows, cols);
  const all = [x, weight, out, rstd].filter((s): s is Storage => s !== null).map((s) => ctx.own(s, op));
  if (all.some((s) => s.dtype !== 'float32')) throw new Error('webgpu: rmsNorm: float32 only');
  if (weight && weight.size < cols) throw new Error(`webgpu: rmsNorm: weight has ${weight.size} elements, need ${cols}`);
  if (out.size < rows * cols || rstd.size < rows) throw new Error(`webgpu: rmsNorm: outputs too small for [${rows}, ${cols}] (out ${out.size}, rstd ${rstd.size})`);
  const outs = [ctx.own(out, op), ctx.own(rstd, op)];
  const { buffers, done } = separateInputs(ctx, [xs, weight ? ctx.own(weight, op) : null], outs);
  const name = `rms_norm${weight ? '_w' : ''}`;
  const inBufs = buffers.filter((b): b is GPUBuffer => b !== null);
  runRows(ctx, { name, key: name, source: (g, wg) => rmsNormSource(wg, weight !== null, g), rows, cols, buffers: [...inBufs, ...outs.map((s) => s.buffer!)], eps });
  done();
}
