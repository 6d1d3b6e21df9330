/** Internal helpers shared by the op modules: recording on the tape, allocation, checks. */
import type { Backend, DType } from '../backend.js';
import { isFloatDType } from '../backend.js';
import { GradNode, isGradEnabled, type BackwardFn, type Edge } from '../autograd.js';
import { Tensor, allocTensor, makeView } from '../tensor.js';
import { fmtShape, numel, sameShape, type Shape } from '../shape.js';
import { noteOutput } from '../debug.js';

/** Throw unless every tensor lives on the same backend and is not disposed; returns that backend. */
export function sameBackend(op: string, ...ts: Tensor[]): Backend {
  for (const t of ts) t.assertAlive(op);
  const b = ts[0]!.backend;
  for (const t of ts) {
    if (t.backend !== b) throw new Error(`${op}: tensors are on different backends (${b.name} and ${t.backend.name}); move one with await t.toBackend(b)`);
  }
  return b;
}

/** True if recording is on and any input requires a gradient. */
export function needsGrad(...inputs: Tensor[]): boolean {
  if (!isGradEnabled()) return false;
  for (const t of inputs) if (t.requiresGrad) return true;
  return false;
}

/**
 * Attach a tape node to `out` when any input requires a gradient. `saved` tensors are retained
 * privately for the backward (the caller may dispose its own handles). Returns `out`.
 */
export function record(out: Tensor, name: string, inputs: Tensor[], saved: Tensor[], backward: BackwardFn): Tensor {
  noteOutput(name, out);
  if (!needsGrad(...inputs)) return out;
  const edges: Edge[] = inputs.map((t) => {
    if (!t.requiresGrad) return null;
    if (t._node) return { node: t._node };
    return { leaf: t };
  });
  const retained = saved.map((t) => {
    const r = makeView(t, t.shape, t.strides, t.offset);
    // Saved handles belong to the node, not to any tidy scope.
    if (r._scope) {
      r._scope.delete(r);
      r._scope = null;
    }
    return r;
  });
  out._node = new GradNode(name, edges, inputs.map((t) => [...t.shape]), backward, retained);
  out.requiresGrad = true;
  return out;
}

/** Record for ops that produce no gradient path (outputs never require grad). */
export function finish(out: Tensor, name: string): Tensor {
  noteOutput(name, out);
  return out;
}

/** Allocate an output tensor on `backend`. */
export function alloc(backend: Backend, shape: Shape, dtype: DType): Tensor {
  return allocTensor(backend, shape, dtype);
}

/** The dtype two operands promote to (int32 with float -> the float). */
export function promote(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === 'float64' || b === 'float64') return 'float64';
  if (a === 'float32' || b === 'float32') return 'float32';
  return 'int32';
}

/** The float dtype an op on `d` computes in (int32 -> float32). */
export function floatOf(d: DType): DType {
  return isFloatDType(d) ? d : 'float32';
}

/** Sum `g` over broadcast dims so that it has `shape` (the gradient of broadcasting). */
export function reduceTo(g: Tensor, shape: Shape, sumFn: (t: Tensor, dims: number[], keepdim: boolean) => Tensor, reshapeFn: (t: Tensor, s: number[]) => Tensor): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead) dims.push(i);
    else if (shape[i - lead] === 1 && g.shape[i] !== 1) dims.push(i);
  }
  let r = dims.length > 0 ? sumFn(g, dims, true) : g;
  if (!sameShape(r.shape, shape)) {
    if (numel(r.shape) !== numel(shape)) throw new Error(`reduceTo: cannot reduce gradient ${fmtShape(g.shape)} to ${fmtShape(shape)}`);
    const rr = reshapeFn(r, [...shape]);
    if (r !== g) r.dispose();
    r = rr;
  }
  return r;
}

/** Check that a value is a finite number; `what` names it in the error. */
export function checkNumber(op: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`${op}: ${what} must be a number, got ${String(v)}`);
  return v;
}
