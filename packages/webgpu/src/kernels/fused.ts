/**
 * Launchers of the fused training kernels (WGSL in `fused-wgsl.ts`): cross-entropy rows and their
 * gradient, layerNorm / rmsNorm backward (and, on its column kernel, `sumColumns`), attention
 * forward. Registered as overrides.
 */
import type { AttentionArgs, CrossEntropyArgs, CrossEntropyBackwardArgs, LayerNormBackwardArgs, RmsNormBackwardArgs, Storage, SumColumnsArgs, View } from '@unihetero/tensor';
import { separateInputs } from '../runtime/bindings.js';
import type { LaunchContext } from '../runtime/context.js';
import { f32Bits, i32Bits, uniformWords } from '../runtime/runtime.js';
import type { WebGPUStorage } from '../runtime/storage.js';
import {
  ATT,
  ATTENTION_MAX_HEAD,
  CE,
  COLS,
  attentionSource,
  crossEntropyBackwardSource,
  crossEntropySource,
  normBackwardDxSource,
  normBackwardParamsSource,
  type AttentionSpec,
} from './fused-wgsl.js';
import { checkRows, launchReduce, runRows } from './rows.js';

/** Storage buffers each fused override binds at most (an override needing more than the device binds is not offered). */
export const FUSED_STORAGE_BUFFERS = {
  softmax: 2,
  logsumexp: 2,
  layerNorm: 4,
  rmsNorm: 4,
  layerNormBackward: 6,
  rmsNormBackward: 5,
  crossEntropy: 4,
  crossEntropyBackward: 5,
  attention: 6,
  rope: 4,
  sumColumns: 2,
} as const;

function shapeStr(s: readonly number[]): string {
  return `[${s.join(',')}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Own every storage, require float32 (int32 where listed), and return them. */
function fusedStorages(ctx: LaunchContext, op: string, list: (Storage | null)[], ints: Storage[] = []): (WebGPUStorage | null)[] {
  return list.map((s) => {
    if (s === null) return null;
    const w = ctx.own(s, op);
    const want = ints.includes(s) ? 'int32' : 'float32';
    if (w.dtype !== want) throw new Error(`webgpu: ${op}: expected a ${want} storage, got ${w.dtype} (${w.size} elements)`);
    return w;
  });
}

function needSize(op: string, what: string, s: WebGPUStorage | null, n: number): void {
  if (s && s.size < n) throw new Error(`webgpu: ${op}: ${what} has ${s.size} elements, needs ${n}`);
}

/** Arguments shared by the layerNorm and rmsNorm backward launches (`mean` and `dbias` null for rmsNorm). */
interface NormBackward extends RmsNormBackwardArgs {
  op: string;
  mean: Storage | null;
  dbias: Storage | null;
}

/** LayerNorm backward: dx (row kernel) and dweight / dbias (column kernel). */
export function launchLayerNormBackward(ctx: LaunchContext, a: LayerNormBackwardArgs): void {
  normBackward(ctx, { op: 'layerNormBackward', ...a });
}

/** RMSNorm backward: dx (row kernel) and dweight (column kernel). */
export function launchRmsNormBackward(ctx: LaunchContext, a: RmsNormBackwardArgs): void {
  normBackward(ctx, { op: 'rmsNormBackward', ...a, mean: null, dbias: null });
}

function normBackward(ctx: LaunchContext, a: NormBackward): void {
  const { op, rows, cols } = a;
  const [xs, ms, rs, ws, gs, dxs, dws, dbs] = fusedStorages(ctx, op, [a.x, a.mean, a.rstd, a.weight, a.grad, a.dx, a.dweight, a.dbias]);
  checkRows(op, xs!, 0, rows, cols);
  checkRows(`${op} grad`, gs!, 0, rows, cols);
  needSize(op, 'mean', ms!, rows);
  needSize(op, 'rstd', rs!, rows);
  needSize(op, 'weight', ws!, cols);
  needSize(op, 'dx', dxs!, rows * cols);
  needSize(op, 'dweight', dws!, cols);
  needSize(op, 'dbias', dbs!, cols);
  if (rows === 0 || cols === 0) return;
  const centered = ms !== null;
  const ins = [xs!, ms, rs!, ws, gs!];
  const { buffers, done } = separateInputs(ctx, ins, [dxs, dws, dbs]);
  const [bx, bm, br, bw, bg] = buffers;
  const stats = [bm, br].filter((b): b is GPUBuffer => b !== null);
  const base = centered ? 'layer_norm' : 'rms_norm';
  const dxName = `${base}_backward_dx${ws ? '_w' : ''}`;
  const dxBuffers = [bx!, ...stats, ...(bw ? [bw] : []), bg!, dxs!.buffer!];
  runRows(ctx, { name: dxName, key: dxName, source: (g, wg) => normBackwardDxSource(wg, centered, ws !== null, g), rows, cols, buffers: dxBuffers });
  if (dws || dbs) {
    const name = `${base}_backward_params${dws ? '_dw' : ''}${dbs ? '_db' : ''}`;
    columnSums(ctx, { name, source: (wg) => normBackwardParamsSource(wg, centered, dws !== null, dbs !== null), inputs: [...(dws ? [bx!, ...stats] : []), bg!], outs: [dws, dbs], rows, cols, offset: 0 });
  }
  done();
}

/**
 * A column kernel (`normBackwardParamsSource`) over a `[rows, cols]` block: columns in parallel;
 * long column sums split into chunks of rows whose partial sums a row reduction finishes
 * (deterministic order either way). `outs` (null where absent) get one value per column.
 */
function columnSums(
  ctx: LaunchContext,
  { name, source, inputs, outs, rows, cols, offset }: { name: string; source: (wg: number) => string; inputs: GPUBuffer[]; outs: (WebGPUStorage | null)[]; rows: number; cols: number; offset: number },
): void {
  const rt = ctx.rt;
  const wg = Math.min(64, rt.wg);
  const chunkRows = rows <= 256 ? rows : 128;
  const chunks = Math.min(Math.ceil(rows / chunkRows), rt.maxGroups);
  const rowsPer = Math.ceil(rows / chunks);
  const { grid, rowStride } = rt.grid1d(cols, wg);
  const p = uniformWords(COLS, { rows, cols, rowStride, chunkRows: rowsPer, chunks, offset });
  const parts = outs.map((s) => (s === null ? null : chunks === 1 ? s : ctx.temp(cols * chunks, 'float32')));
  const bufs = [...inputs, ...parts.filter((s): s is WebGPUStorage => s !== null).map((s) => s.buffer!)];
  rt.dispatch({ kernel: { key: `${name}|${wg}`, name, source: () => source(wg) }, buffers: bufs, params: p, grid: [grid[0], grid[1], chunks] });
  parts.forEach((part, k) => {
    const final = outs[k]!;
    if (part && part !== final) {
      launchReduce(ctx, { op: 'sum', x: part, offset: 0, rows: cols, cols: chunks, out: final });
      ctx.free(part);
    }
  });
}

/** The `sumColumns` override: `out[c] = sum_r x[offset + r * cols + c]`, on the norm backward's column kernel (its bias sum). */
export function launchSumColumns(ctx: LaunchContext, { x, offset, rows, cols, out }: SumColumnsArgs): void {
  const op = 'sumColumns';
  const [xs, os] = fusedStorages(ctx, op, [x, out]);
  if (!(Number.isInteger(rows) && rows >= 0 && Number.isInteger(cols) && cols >= 0 && Number.isInteger(offset) && offset >= 0)) {
    throw new Error(`webgpu: ${op}: invalid geometry: offset ${offset}, rows ${rows}, cols ${cols}`);
  }
  checkRows(op, xs!, offset, rows, cols);
  needSize(op, 'out', os!, cols);
  if (cols === 0) return;
  if (rows === 0) {
    // Sums of no rows: zeros (the row reduction of empty rows writes them).
    launchReduce(ctx, { op: 'sum', x: xs!, offset, rows: cols, cols: 0, out: os! });
    return;
  }
  const { buffers, done } = separateInputs(ctx, [xs], [os]);
  columnSums(ctx, { name: 'sum_columns', source: (wg) => normBackwardParamsSource(wg, false, false, true), inputs: [buffers[0]!], outs: [os], rows, cols, offset });
  done();
}

/** Cross-entropy rows: losses then logsumexps into `stats [2 rows]`; a bad target is reported at the next read. */
export function launchCrossEntropy(ctx: LaunchContext, a: CrossEntropyArgs): void {
  const op = 'crossEntropy';
  const { rows, cols } = a;
  const [xs, ts, ss] = fusedStorages(ctx, op, [a.logits, a.targets, a.stats], [a.targets]);
  checkRows(op, xs!, 0, rows, cols);
  needSize(op, 'targets', ts!, rows);
  needSize(op, 'stats', ss!, 2 * rows);
  if (rows === 0) return;
  const { buffers, done } = separateInputs(ctx, [xs, ts], [ss]);
  const extra: [number, number][] = [
    [CE.ignore, i32Bits(a.ignoreIndex)],
    [CE.smoothing, f32Bits(a.labelSmoothing)],
  ];
  const name = 'cross_entropy';
  runRows(ctx, { name, key: name, source: (_g, wg) => crossEntropySource(wg), rows, cols, buffers: [buffers[0]!, buffers[1]!, ss!.buffer!, ctx.rt.errorBuffer], forceGroup: true, extra });
  done();
}

/** Gradient of the cross-entropy rows with respect to the logits, from `grad [2 rows]`. */
export function launchCrossEntropyBackward(ctx: LaunchContext, a: CrossEntropyBackwardArgs): void {
  const op = 'crossEntropyBackward';
  const { rows, cols } = a;
  const [xs, ts, ss, gs, ds] = fusedStorages(ctx, op, [a.logits, a.targets, a.stats, a.grad, a.dx], [a.targets]);
  checkRows(op, xs!, 0, rows, cols);
  needSize(op, 'targets', ts!, rows);
  needSize(op, 'stats', ss!, 2 * rows);
  needSize(op, 'grad', gs!, 2 * rows);
  needSize(op, 'dx', ds!, rows * cols);
  if (rows === 0 || cols === 0) return;
  const { buffers, done } = separateInputs(ctx, [xs, ts, ss, gs], [ds]);
  const extra: [number, number][] = [
    [CE.ignore, i32Bits(a.ignoreIndex)],
    [CE.smoothing, f32Bits(a.labelSmoothing)],
  ];
  const name = 'cross_entropy_backward';
  runRows(ctx, { name, key: name, source: (_g, wg) => crossEntropyBackwardSource(wg), rows, cols, buffers: [...(buffers as GPUBuffer[]), ds!.buffer!], forceGroup: true, extra });
  done();
}

/**
 * Attention forward (online softmax over key tiles in workgroup memory). Declines (returns false)
 * for head sizes above 256, tiles that do not fit the device's workgroup storage, or more storage
 * buffers than the device binds.
 */
export function launchAttention(ctx: LaunchContext, { q, k, v, mask, scale, out, lse }: AttentionArgs): boolean {
  const op = 'attention';
  const rt = ctx.rt;
  for (const [what, w] of [['q', q], ['k', k], ['v', v], ['mask', mask]] as const) {
    if (w && w.shape.length !== 4) throw new Error(`webgpu: ${op}: ${what} must be a rank-4 view, got ${shapeStr(w.shape)}`);
  }
  const [B, H, Lq, D] = q.shape as [number, number, number, number];
  const [B2, Hkv, Lk, D2] = k.shape as [number, number, number, number];
  const Dv = v.shape[3]!;
  if (B2 !== B || D2 !== D || Hkv === 0 || H % Hkv !== 0 || !sameShape(v.shape.slice(0, 3), k.shape.slice(0, 3))) {
    throw new Error(`webgpu: ${op}: incompatible q ${shapeStr(q.shape)}, k ${shapeStr(k.shape)}, v ${shapeStr(v.shape)}`);
  }
  if (mask && !sameShape(mask.shape, [B, H, Lq, Lk])) throw new Error(`webgpu: ${op}: mask view ${shapeStr(mask.shape)} must be [${B},${H},${Lq},${Lk}]`);
  const [qs, ks, vs, ms, os, ls] = fusedStorages(ctx, op, [q.storage, k.storage, v.storage, mask?.storage ?? null, out, lse]);
  needSize(op, 'out', os!, B * H * Lq * Dv);
  needSize(op, 'lse', ls!, B * H * Lq);
  const lim = rt.device.limits;
  if (D < 1 || Dv < 1 || Lk < 1 || D > ATTENTION_MAX_HEAD || Dv > ATTENTION_MAX_HEAD) return false;
  if ((mask ? 6 : 5) > lim.maxStorageBuffersPerShaderStage) return false;
  // Workgroup memory per key: its k and v rows as vec4s (each padded to a multiple of 4 channels).
  const TK = Math.min(32, Math.floor(lim.maxComputeWorkgroupStorageSize / ((Math.ceil(D / 4) + Math.ceil(Dv / 4)) * 16)));
  if (TK < 1) return false;
  if (B * H * Lq === 0) return true;
  const wg = Math.min(rt.wg, Lq <= 16 ? 16 : Lq <= 32 ? 32 : 64);
  const blocks = Math.ceil(Lq / wg);
  const groups = B * H * blocks;
  if (groups > rt.maxGroups * rt.maxGroups) return false;
  const { grid, gridX } = rt.gridGroups(groups);
  const p = uniformWords(ATT, { B, H, Hkv, Lq, Lk, gridX, blocks, scale: f32Bits(scale) });
  const put = (w: View, off: number, st: number) => {
    p[off] = w.offset;
    w.strides.forEach((s, i) => (p[st + i] = s));
  };
  put(q, ATT.qOff, ATT.qs);
  put(k, ATT.kOff, ATT.ks);
  put(v, ATT.vOff, ATT.vs);
  if (mask) put(mask, ATT.mOff, ATT.ms);
  const spec: AttentionSpec = { D, Dv, TK, wg, mask: mask !== null };
  const { buffers, done } = separateInputs(ctx, [qs, ks, vs, ms], [os, ls]);
  const ins = buffers.filter((b): b is GPUBuffer => b !== null);
  const key = `attention|${D}|${Dv}|${TK}|${wg}|${spec.mask ? 'm' : ''}`;
  rt.dispatch({ kernel: { key, name: `attention_d${D}_dv${Dv}${spec.mask ? '_mask' : ''}`, source: () => attentionSource(spec) }, buffers: [...ins, os!.buffer!, ls!.buffer!], params: p, grid });
  done();
  return true;
}
