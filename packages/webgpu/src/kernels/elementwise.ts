/** Launcher of the generated elementwise kernels (WGSL in `elementwise-wgsl.ts`). */
import type { Program, View } from '@unihetero/tensor';
import { sharedBindings } from '../runtime/bindings.js';
import type { LaunchContext } from '../runtime/context.js';
import { f32Bits, i32Bits } from '../runtime/runtime.js';
import { MAX_RANK, accessOf, coalesce, ewKey, ewLayout, ewSource, scalarSlots, vec4Eligible, wtype, type EwSpec } from './elementwise-wgsl.js';

/** What one elementwise launch needs. */
export interface ElementwiseLaunch {
  program: Program;
  inputs: readonly View[];
  outputs: readonly View[];
  scalars: ArrayLike<number>;
}

function fmt(s: readonly number[]): string {
  return `[${s.join(',')}]`;
}

const slotCache = new WeakMap<Program, ReturnType<typeof scalarSlots>>();

/** Evaluate `program` over the views (see `Backend.elementwise`). */
export function launchElementwise(ctx: LaunchContext, { program, inputs, outputs, scalars }: ElementwiseLaunch): void {
  const op = 'elementwise';
  if (inputs.length !== program.inputs.length) throw new Error(`webgpu: ${op}: program reads ${program.inputs.length} inputs, got ${inputs.length}`);
  if (outputs.length !== program.outputs.length) throw new Error(`webgpu: ${op}: program writes ${program.outputs.length} outputs, got ${outputs.length}`);
  if (scalars.length < program.scalars) throw new Error(`webgpu: ${op}: program reads ${program.scalars} scalars, got ${scalars.length}`);
  const shape = outputs[0]!.shape;
  const same = (v: View) => v.shape.length === shape.length && v.shape.every((d, i) => d === shape[i]);
  const ins = inputs.map((v, i) => {
    if (!same(v)) throw new Error(`webgpu: ${op}: input ${i} shape ${fmt(v.shape)} differs from the output shape ${fmt(shape)}`);
    const s = ctx.own(v.storage, op);
    if (s.dtype !== program.inputs[i]) throw new Error(`webgpu: ${op}: input ${i} is ${s.dtype}, the program reads ${program.inputs[i]}`);
    return s;
  });
  const outs = outputs.map((v, k) => {
    if (!same(v)) throw new Error(`webgpu: ${op}: output ${k} shape ${fmt(v.shape)} differs from output 0 ${fmt(shape)}`);
    const s = ctx.own(v.storage, op);
    if (s.dtype !== program.outputs[k]!.dtype) throw new Error(`webgpu: ${op}: output ${k} is ${s.dtype}, the program writes ${program.outputs[k]!.dtype}`);
    return s;
  });
  const n = shape.reduce((p, d) => p * d, 1);
  if (n === 0) return;
  const all = [...inputs, ...outputs];
  const c = coalesce(shape, all);
  if (c.shape.length > MAX_RANK) throw new Error(`webgpu: ${op}: views of rank ${c.shape.length} after merging dims are not supported (max ${MAX_RANK})`);
  const b = sharedBindings(ins, outs);
  const maxBuffers = ctx.rt.device.limits.maxStorageBuffersPerShaderStage;
  if (b.storages.length > maxBuffers) {
    throw new Error(`webgpu: ${op}: ${b.storages.length} distinct buffers exceed the device's maxStorageBuffersPerShaderStage (${maxBuffers})`);
  }
  let slots = slotCache.get(program);
  if (!slots) slotCache.set(program, (slots = scalarSlots(program)));
  const spec: EwSpec = {
    program,
    bindings: b.storages.map((s, j) => ({ type: wtype(s.dtype), writable: b.writable[j]! })),
    operandBinding: b.operandBinding,
    access: c.views.map(accessOf),
    scalarSlots: slots,
    rank: c.shape.length,
    vec4: vec4Eligible(c.views),
  };
  const L = ewLayout(all.length, slots.length);
  const wg = ctx.rt.wg;
  const { grid, rowStride } = ctx.rt.grid1d(spec.vec4 ? n / 4 : n, wg);
  const p = new Uint32Array(L.words);
  p[L.n] = n;
  p[L.rowStride] = rowStride;
  c.shape.forEach((s, d) => (p[L.shape + d] = s));
  c.views.forEach((v, k) => {
    p[L.offsets + k] = v.offset;
    v.strides.forEach((s, d) => (p[L.strides + MAX_RANK * k + d] = s));
  });
  slots.forEach((s, j) => (p[L.scalars + j] = s.dtype === 'f32' ? f32Bits(scalars[s.index]!) : i32Bits(scalars[s.index]!)));
  const key = `${ewKey(spec)}|${wg}`;
  ctx.rt.dispatch({ kernel: { key, name: `elementwise_${program.outputs.length}x${program.nodes.length}`, source: () => ewSource(spec, wg) }, buffers: b.storages.map((s) => s.buffer!), params: p, grid });
}
