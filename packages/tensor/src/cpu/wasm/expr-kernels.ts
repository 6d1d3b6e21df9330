/**
 * Runs expression programs on the WebAssembly SIMD kernels of `expr-module.ts` when every operand
 * lives in the arena, the program has a SIMD form, and each row is long enough to pay for the call;
 * otherwise the CPU backend uses its JavaScript kernels. Kernels are compiled once per program and
 * operand layout (synchronously: each module is a few hundred bytes).
 */
import type { View } from '../../backend.js';
import type { Program } from '../../expr/ir.js';
import { scalarValue } from '../../expr/ir.js';
import { eachRow, planRows } from '../iterate.js';
import type { CpuStorage } from '../storage.js';
import { ARG_BLOCK_BYTES, type Arena } from './arena.js';
import { exprModuleBytes, innerStrideOffset, rowStrideOffset, scalarSlotOffset, wasmScalarSlots, wasmSupports } from './expr-module.js';
import { wasmApi } from './wasm-api.js';

/** Fewest elements a call must cover to run on the SIMD kernels. */
export const SIMD_MIN_ELEMENTS = 256;
/** Shortest row (merged innermost dimension) worth a call into WebAssembly. */
export const SIMD_MIN_ROW = 16;

type KernelFn = (n: number, rows: number, args: number) => void;

interface Compiled {
  fn: KernelFn;
  slots: { index: number; dtype: 'float32' | 'int32' }[];
}

const supported = new WeakMap<Program, boolean>();
const modules = new Map<string, Compiled>();

let enabled = true;

/** Switch the SIMD elementwise kernels on or off (off: every program runs on the JavaScript kernels). */
export function setSimdElementwise(on: boolean): void {
  enabled = on;
}

/** Whether the SIMD elementwise kernels are on. */
export function simdElementwiseEnabled(): boolean {
  return enabled;
}

/** Whether `p` only copies its one input to its one output (same dtype). */
function isCopy(p: Program): boolean {
  const o = p.outputs;
  return o.length === 1 && p.inputs.length === 1 && o[0]!.op === 'input' && o[0]!.dtype === p.inputs[0];
}

function sameView(a: View, b: View): boolean {
  return a.storage === b.storage && a.offset === b.offset && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i] && a.strides[i] === b.strides[i]);
}

/** The SIMD elementwise path of one CPU backend (over the shared arena). */
export class WasmElementwise {
  private words: Int32Array;
  private floats: Float32Array;

  constructor(private readonly arena: Arena) {
    this.words = new Int32Array(arena.buffer, 0, ARG_BLOCK_BYTES / 4);
    this.floats = new Float32Array(arena.buffer, 0, ARG_BLOCK_BYTES / 4);
  }

  private kernel(p: Program, layout: string): Compiled {
    const key = `${p.key}|${layout}`;
    let c = modules.get(key);
    if (!c) {
      const wa = wasmApi()!;
      const mod = new wa.Module(exprModuleBytes(p, layout));
      const inst = new wa.Instance(mod, { env: { memory: this.arena.memory } });
      c = { fn: inst.exports.k as KernelFn, slots: wasmScalarSlots(p) };
      modules.set(key, c);
    }
    return c;
  }

  /** Evaluate `p` on the SIMD kernels; false (having done nothing) when this call does not qualify. */
  run(p: Program, inputs: readonly View[], outputs: readonly View[], scalars: ArrayLike<number>): boolean {
    if (!enabled) return false;
    const shape = outputs[0]!.shape;
    let n = 1;
    for (const d of shape) n *= d;
    if (n < SIMD_MIN_ELEMENTS) return false;
    const ops = inputs.length + outputs.length;
    if (4 * (ops + p.scalars * 2 + 2 * ops) > ARG_BLOCK_BYTES) return false;
    for (const v of inputs) if ((v.storage as CpuStorage).ptr < 0) return false;
    for (const o of outputs) {
      if ((o.storage as CpuStorage).ptr < 0) return false;
      for (const v of inputs) if (v.storage === o.storage && !sameView(v, o)) return false;
    }
    let ok = supported.get(p);
    if (ok === undefined) supported.set(p, (ok = wasmSupports(p)));
    if (!ok) return false;
    const strides = [...inputs.map((v) => v.strides), ...outputs.map((v) => v.strides)];
    const plan = planRows(shape, strides);
    if (plan.len < SIMD_MIN_ROW) return false;
    let layout = '';
    for (let k = 0; k < ops; k++) {
      const st = plan.inner[k]!;
      if (k >= inputs.length && st !== 1) return false;
      // Any other element stride is gathered lane by lane, for plain copies only: a copy gives the
      // same bits on either path, a computation may not (the JavaScript kernels round once at the end).
      if (st !== 0 && st !== 1 && !(isCopy(p) && st > 0)) return false;
      layout += st === 0 ? '0' : st === 1 ? '1' : 's';
    }
    const c = this.kernel(p, layout);
    if (this.words.buffer !== this.arena.buffer) {
      this.words = new Int32Array(this.arena.buffer, 0, ARG_BLOCK_BYTES / 4);
      this.floats = new Float32Array(this.arena.buffer, 0, ARG_BLOCK_BYTES / 4);
    }
    const words = this.words;
    const floats = this.floats;
    c.slots.forEach((s, j) => {
      const w = scalarSlotOffset(ops, j) / 4;
      const v = scalarValue(scalars[s.index]!, s.dtype);
      if (s.dtype === 'int32') words[w] = v;
      else floats[w] = v;
    });
    const base = [...inputs, ...outputs].map((v) => (v.storage as CpuStorage).ptr);
    const len = plan.len;
    const fn = c.fn;
    // The innermost outer dimension runs inside the kernel (its row strides in the argument block),
    // the others here.
    const d = plan.outer.length - 1;
    const rows = d >= 0 ? plan.outer[d]! : 1;
    for (let k = 0; k < ops; k++) {
      words[rowStrideOffset(ops, c.slots.length, k) / 4] = d >= 0 ? 4 * plan.outerStrides[k]![d]! : 0;
      words[innerStrideOffset(ops, c.slots.length, k) / 4] = plan.inner[k]!;
    }
    const blocks = d >= 0 ? { ...plan, outer: plan.outer.slice(0, d), outerStrides: plan.outerStrides.map((s) => s.slice(0, d)) } : plan;
    eachRow(blocks, [...inputs.map((v) => v.offset), ...outputs.map((v) => v.offset)], (offs) => {
      for (let k = 0; k < ops; k++) words[k] = base[k]! + 4 * offs[k]!;
      fn(len, rows, 0);
    });
    return true;
  }
}
