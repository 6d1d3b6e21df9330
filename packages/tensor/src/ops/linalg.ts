/** Matrix multiplication with PyTorch's 1-D, batched and broadcast-batch rules. */
import type { View } from '../backend.js';
import { isFloatDType } from '../backend.js';
import type { Tensor } from '../tensor.js';
import { broadcastShapes, fmtShape, numel, viewStrides } from '../shape.js';
import { alloc, finish, promote, record, sameBackend } from './core.js';
import { castRaw, unbroadcast } from './elementwise.js';
import { contiguousRaw, reshape, squeeze, unsqueeze, expand, transpose } from './views.js';
import { makeView } from '../tensor.js';
import { fillKernel } from '../runtime/kernels.js';
import * as dispatch from '../runtime/dispatch.js';

/** View a [...batch, R, C] tensor (already broadcast to `batch`) as rank-3 [B, R, C], copying if needed. */
function as3d(x: Tensor, batch: number[]): { view: View; tmp: Tensor | null } {
  const r = x.shape[x.rank - 2]!;
  const c = x.shape[x.rank - 1]!;
  const lead = batch.length - (x.rank - 2);
  // Strides of x broadcast to the batch shape.
  const bStrides = batch.map((d, i) => {
    const j = i - lead;
    if (j < 0) return 0;
    return x.shape[j] === 1 && d !== 1 ? 0 : x.strides[j]!;
  });
  const B = numel(batch);
  let bs: number | null = null;
  if (batch.length === 0) bs = 0;
  else {
    const merged = viewStrides(batch, bStrides, [B]);
    if (merged) bs = merged[0]!;
    else if (bStrides.every((s) => s === 0)) bs = 0;
  }
  if (bs !== null) {
    return { view: { storage: x._slab.storage, shape: [B, r, c], strides: [bs, x.strides[x.rank - 2]!, x.strides[x.rank - 1]!], offset: x.offset }, tmp: null };
  }
  const ex = makeView(x, [...batch, r, c], [...bStrides, x.strides[x.rank - 2]!, x.strides[x.rank - 1]!], x.offset);
  const tmp = contiguousRaw(ex, true);
  ex.dispose();
  return { view: { storage: tmp._slab.storage, shape: [B, r, c], strides: [r * c, c, 1], offset: 0 }, tmp };
}

/** Batched matmul of rank >= 2 tensors, no recording. */
export function matmulRaw(a: Tensor, b: Tensor): Tensor {
  const be = sameBackend('matmul', a, b);
  const M = a.shape[a.rank - 2]!;
  const K = a.shape[a.rank - 1]!;
  const K2 = b.shape[b.rank - 2]!;
  const N = b.shape[b.rank - 1]!;
  if (K !== K2) throw new Error(`matmul: inner dimensions differ: ${fmtShape(a.shape)} @ ${fmtShape(b.shape)}`);
  const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const dt = promote(a.dtype, b.dtype);
  const ac = a.dtype === dt ? a : castRaw(a, dt);
  const bc = b.dtype === dt ? b : castRaw(b, dt);
  const out = alloc(be, [...batch, M, N], dt);
  if (out.size > 0) {
    if (K === 0) fillKernel(be, out._slab.storage, 0);
    else {
      const av = as3d(ac, batch);
      const bv = as3d(bc, batch);
      dispatch.matmul(be, av.view, bv.view, out._slab.storage);
      av.tmp?.dispose();
      bv.tmp?.dispose();
    }
  }
  if (ac !== a) ac.dispose();
  if (bc !== b) bc.dispose();
  return out;
}

/** Matrix product (see `Tensor.matmul`). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank === 0 || b.rank === 0) throw new Error(`matmul: both arguments need at least 1 dimension, got ${fmtShape(a.shape)} @ ${fmtShape(b.shape)}`);
  if (a.rank === 1 || b.rank === 1) {
    const a2 = a.rank === 1 ? unsqueeze(a, 0) : a;
    const b2 = b.rank === 1 ? unsqueeze(b, -1) : b;
    const r = matmul(a2, b2);
    let out = r;
    if (a.rank === 1 && b.rank === 1) out = reshape(r, []);
    else if (a.rank === 1) out = squeeze(r, -2);
    else if (b.rank === 1) out = squeeze(r, -1);
    if (out !== r) r.dispose();
    if (a2 !== a) a2.dispose();
    if (b2 !== b) b2.dispose();
    return out;
  }
  const y = matmulRaw(a, b);
  if (!isFloatDType(y.dtype)) return finish(y, 'matmul');
  const sa = [...a.shape];
  const sb = [...b.shape];
  return record(y, 'matmul', [a, b], [a, b], (g, [as, bs]) => [
    a.requiresGrad ? unbroadcast(matmulRaw(g, transpose(bs!, -2, -1)), sa) : null,
    b.requiresGrad ? unbroadcast(matmulRaw(transpose(as!, -2, -1), g), sb) : null,
  ]);
}

export { expand };
