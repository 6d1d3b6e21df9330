/** Launcher of the rotary-embedding kernel (WGSL in `rope-wgsl.ts`), registered as the `rope` override. */
import type { RopeArgs, View } from '@unihetero/tensor';
import { separateInputs } from '../runtime/bindings.js';
import type { LaunchContext } from '../runtime/context.js';
import type { WebGPUStorage } from '../runtime/storage.js';
import { ROPE, ROPE_MAX_RANK, ropeSource } from './rope-wgsl.js';

const fmt = (s: readonly number[]) => `[${s.join(',')}]`;

/** Run `rope` (see `RopeArgs`) on the device. */
export function launchRope(ctx: LaunchContext, { x, cos, sin, out, transpose }: RopeArgs): void {
  const op = 'rope';
  const shape = x.shape;
  const rank = shape.length;
  const d = shape[rank - 1];
  if (d === undefined || d % 2 !== 0) throw new Error(`webgpu: ${op}: x ${fmt(shape)} needs an even last dim`);
  if (rank > ROPE_MAX_RANK) throw new Error(`webgpu: ${op}: rank ${rank} is above the kernel's ${ROPE_MAX_RANK}`);
  for (const [what, v] of [['cos', cos], ['sin', sin]] as const) {
    if (v.shape.length !== rank || v.shape.some((n, i) => n !== shape[i])) throw new Error(`webgpu: ${op}: ${what} view ${fmt(v.shape)} must have x's shape ${fmt(shape)}`);
  }
  const stores = [x.storage, cos.storage, sin.storage, out].map((s) => {
    const w = ctx.own(s, op);
    if (w.dtype !== 'float32') throw new Error(`webgpu: ${op}: expected float32 storages, got ${w.dtype}`);
    return w;
  }) as [WebGPUStorage, WebGPUStorage, WebGPUStorage, WebGPUStorage];
  const n = shape.reduce((p, q) => p * q, 1);
  if (stores[3].size < n) throw new Error(`webgpu: ${op}: out has ${stores[3].size} elements, needs ${n}`);
  if (n === 0) return;
  const rt = ctx.rt;
  const wg = rt.wg;
  const { grid, rowStride } = rt.grid1d(n, wg);
  const p = new Uint32Array(ROPE.words);
  p[ROPE.n] = n;
  p[ROPE.rank] = rank;
  p[ROPE.rowStride] = rowStride;
  p[ROPE.half] = d / 2;
  shape.forEach((s, i) => (p[ROPE.shape + i] = s));
  ([x, cos, sin] as View[]).forEach((v, k) => {
    p[ROPE.offsets + k] = v.offset;
    v.strides.forEach((s, i) => (p[ROPE.strides + ROPE_MAX_RANK * k + i] = s));
  });
  const { buffers, done } = separateInputs(ctx, stores.slice(0, 3), [stores[3]]);
  const key = `rope|${wg}|${transpose ? 't' : ''}`;
  rt.dispatch({ kernel: { key, name: transpose ? 'rope_transpose' : 'rope', source: () => ropeSource(wg, transpose) }, buffers: [...(buffers as GPUBuffer[]), stores[3].buffer!], params: p, grid });
  done();
}
