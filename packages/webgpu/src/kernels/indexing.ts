/** Launchers of gather and scatterAdd (WGSL in `indexing-wgsl.ts`). */
import type { Storage, View } from '@unihetero/tensor';
import { separateInputs } from '../runtime/bindings.js';
import type { LaunchContext } from '../runtime/context.js';
import { uniformWords } from '../runtime/runtime.js';
import { wtype } from './elementwise-wgsl.js';
import { IX, gatherSource, scatterAtomicSource, scatterColumnSource } from './indexing-wgsl.js';

/** How float `scatterAdd` accumulates: column walks in order ('deterministic') or compare-exchange atomics. */
export type ScatterAddMode = 'auto' | 'deterministic' | 'atomic';

function shapeStr(s: readonly number[]): string {
  return `[${s.join(',')}]`;
}

function rank3(v: View, what: string, op: string): [number, number, number] {
  if (v.shape.length !== 3) throw new Error(`webgpu: ${op}: ${what} must be a rank-3 view [outer, dim, inner], got ${shapeStr(v.shape)}`);
  return v.shape as [number, number, number];
}

/** The indexing uniform. */
interface IxParams {
  O: number;
  Dj: number;
  I: number;
  Dx: number;
  x: View;
  index: View;
  n: number;
  rowStride: number;
}

function ixParams({ O, Dj, I, Dx, x, index, n, rowStride }: IxParams): Uint32Array {
  const [xs0, xs1, xs2] = x.strides as [number, number, number];
  const [is0, is1, is2] = index.strides as [number, number, number];
  return uniformWords(IX, { O, Dj, I, Dx, xOff: x.offset, xs0, xs1, xs2, iOff: index.offset, is0, is1, is2, n, rowStride });
}

/** `out[o, j, i] = x[o, index[o, j, i], i]`; out-of-range indices are reported at the next read. */
export function launchGather(ctx: LaunchContext, { x, index, out }: { x: View; index: View; out: Storage }): void {
  const rt = ctx.rt;
  const xs = ctx.own(x.storage, 'gather');
  const is = ctx.own(index.storage, 'gather');
  const os = ctx.own(out, 'gather');
  const [O, Dx, I] = rank3(x, 'x', 'gather');
  const [O2, Dj, I2] = rank3(index, 'index', 'gather');
  if (O !== O2 || I !== I2) throw new Error(`webgpu: gather: x ${shapeStr(x.shape)} and index ${shapeStr(index.shape)} differ outside the gathered dim`);
  if (is.dtype !== 'int32') throw new Error(`webgpu: gather: index must be int32, got ${is.dtype}`);
  if (xs.dtype !== os.dtype) throw new Error(`webgpu: gather: dtypes differ: ${xs.dtype} -> ${os.dtype}`);
  const n = O * Dj * I;
  if (os.size < n) throw new Error(`webgpu: gather: output has ${os.size} elements, need ${n}`);
  if (n === 0) return;
  const t = wtype(xs.dtype);
  const wg = rt.wg;
  const { grid, rowStride } = rt.grid1d(n, wg);
  const p = ixParams({ O, Dj, I, Dx, x, index, n, rowStride });
  const { buffers, done } = separateInputs(ctx, [xs, is], [os]);
  rt.dispatch({ kernel: { key: `gather|${t}|${wg}`, name: `gather_${t}`, source: () => gatherSource(t, wg) }, buffers: [buffers[0]!, buffers[1]!, os.buffer!, rt.errorBuffer], params: p, grid });
  done();
}

/** `target[o, index[o, j, i], i] += src[o, j, i]`. */
export function launchScatterAdd(ctx: LaunchContext, { target, index, src, mode }: { target: Storage; index: View; src: View; mode: ScatterAddMode }): void {
  const rt = ctx.rt;
  const ts = ctx.own(target, 'scatterAdd');
  const is = ctx.own(index.storage, 'scatterAdd');
  const ss = ctx.own(src.storage, 'scatterAdd');
  const [O, Dj, I] = rank3(index, 'index', 'scatterAdd');
  if (!(index.shape.length === src.shape.length && index.shape.every((d, i) => d === src.shape[i]))) {
    throw new Error(`webgpu: scatterAdd: index ${shapeStr(index.shape)} and src ${shapeStr(src.shape)} differ`);
  }
  if (is.dtype !== 'int32') throw new Error(`webgpu: scatterAdd: index must be int32, got ${is.dtype}`);
  if (ss.dtype !== ts.dtype) throw new Error(`webgpu: scatterAdd: dtypes differ: src ${ss.dtype}, target ${ts.dtype}`);
  if (O * I === 0 || Dj === 0) return;
  if (ts.size % (O * I) !== 0) throw new Error(`webgpu: scatterAdd: target of ${ts.size} elements is not [${O}, Dt, ${I}]`);
  const Dt = ts.size / (O * I);
  const { buffers, done } = separateInputs(ctx, [is, ss], [ts]);
  const t = wtype(ts.dtype);
  const cols = O * I;
  const atomic = t === 'i32' || mode === 'atomic' || (mode === 'auto' && cols < 64 && Dj > 64);
  const wg = rt.wg;
  const bufs = [ts.buffer!, buffers[0]!, buffers[1]!, rt.errorBuffer];
  if (atomic) {
    const n = O * Dj * I;
    const { grid, rowStride } = rt.grid1d(n, wg);
    const p = ixParams({ O, Dj, I, Dx: Dt, x: src, index, n, rowStride });
    rt.dispatch({ kernel: { key: `scatter_atomic|${t}|${wg}`, name: `scatter_add_atomic_${t}`, source: () => scatterAtomicSource(t, wg) }, buffers: bufs, params: p, grid });
  } else {
    const cwg = Math.min(64, wg);
    const { grid, rowStride } = rt.grid1d(cols, cwg);
    const p = ixParams({ O, Dj, I, Dx: Dt, x: src, index, n: cols, rowStride });
    rt.dispatch({ kernel: { key: `scatter_column|${t}|${cwg}`, name: `scatter_add_${t}`, source: () => scatterColumnSource(t, cwg) }, buffers: bufs, params: p, grid });
  }
  done();
}
