/** `applyElementwise`: run one expression program over tensors, writing given tensors (in place allowed). */
import type { Program } from '../expr/ir.js';
import { elementwise, type ScalarLike } from '../runtime/dispatch.js';
import type { Tensor } from '../tensor.js';
import { broadcastShapes, broadcastStrides, fmtShape } from '../shape.js';
import { sameBackend } from './core.js';

/**
 * Evaluate `program` (see `expr`) with `inputs` broadcast to the outputs' common shape and write
 * `outputs` in place: fused updates such as an optimizer step (`p, m, v` from `p, g, m, v` in
 * one pass). Not recorded on the autograd tape. An output may be one of the inputs (the same
 * tensor, read before it is written); outputs must not overlap otherwise. Scalars may be numbers
 * or `hostScalar`s (re-read at each replay of a compiled function).
 */
export function applyElementwise(program: Program, inputs: readonly Tensor[], outputs: readonly Tensor[], scalars: readonly ScalarLike[] = []): void {
  const op = 'applyElementwise';
  if (outputs.length === 0) throw new Error(`${op}: needs at least one output tensor`);
  const b = sameBackend(op, ...inputs, ...outputs);
  if (inputs.length !== program.inputs.length) throw new Error(`${op}: the program reads ${program.inputs.length} inputs, got ${inputs.length}`);
  if (outputs.length !== program.outputs.length) throw new Error(`${op}: the program writes ${program.outputs.length} outputs, got ${outputs.length}`);
  if (scalars.length < program.scalars) throw new Error(`${op}: the program reads ${program.scalars} scalars, got ${scalars.length}`);
  const shape = [...outputs[0]!.shape];
  outputs.forEach((o, k) => {
    if (o.shape.length !== shape.length || o.shape.some((d, i) => d !== shape[i])) throw new Error(`${op}: output ${k} has shape ${fmtShape(o.shape)}, output 0 ${fmtShape(shape)}`);
    if (o.dtype !== program.outputs[k]!.dtype) throw new Error(`${op}: output ${k} is ${o.dtype}, the program writes ${program.outputs[k]!.dtype}`);
    if (o.requiresGrad && o._node) throw new Error(`${op}: cannot write a non-leaf tensor that is part of a graph`);
  });
  inputs.forEach((t, i) => {
    const s = broadcastShapes(op, t.shape, shape);
    if (s.length !== shape.length || s.some((d, j) => d !== shape[j])) throw new Error(`${op}: input ${i} of shape ${fmtShape(t.shape)} does not broadcast to ${fmtShape(shape)}`);
    if (t.dtype !== program.inputs[i]) throw new Error(`${op}: input ${i} is ${t.dtype}, the program reads ${program.inputs[i]}`);
  });
  if (shape.reduce((a, c) => a * c, 1) === 0) return;
  const views = inputs.map((t) => ({ storage: t._slab.storage, shape, strides: broadcastStrides(t.shape, t.strides, shape), offset: t.offset }));
  elementwise(b, program, views, outputs.map((o) => o.view_), scalars);
}
