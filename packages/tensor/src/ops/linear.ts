/**
 * `linear(x, weight, bias?)`: PyTorch's `F.linear` (`y = x W^T + b` with `weight [out, in]`) as one
 * recorded op. The forward computes `x W^T` over the flattened leading dims as one matmul (the
 * weight enters as a transposed view that the GEMM packs) and returns a contiguous tensor, so the
 * elementwise ops after a layer read it row by row; the backward writes
 * `dW = g^T x` and `dx = g W` as fresh contiguous tensors, so a parameter's gradient never arrives
 * through a transpose view.
 */
import { isFloatDType } from '../backend.js';
import { noGrad } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { fmtShape, numel } from '../shape.js';
import { record, sameBackend } from './core.js';
import { add, unbroadcast } from './elementwise.js';
import { matmulRaw } from './linalg.js';
import { reshape, transpose } from './views.js';

function check(x: Tensor, weight: Tensor, bias: Tensor | null): void {
  const op = 'linear';
  if (weight.rank !== 2) throw new Error(`${op}: weight must be [out, in], got ${fmtShape(weight.shape)}`);
  const [out, inF] = weight.shape as [number, number];
  if (x.rank === 0 || x.shape[x.rank - 1] !== inF) throw new Error(`${op}: input ${fmtShape(x.shape)} must end with the weight's in features ${inF} (weight ${fmtShape(weight.shape)})`);
  if (bias && (bias.rank !== 1 || bias.shape[0] !== out)) throw new Error(`${op}: bias ${fmtShape(bias.shape)} must be [${out}] for weight ${fmtShape(weight.shape)}`);
  for (const [name, t] of [['input', x], ['weight', weight], ['bias', bias]] as const) {
    if (t && !isFloatDType(t.dtype)) throw new Error(`${op}: ${name} must be a float tensor, got ${t.dtype} ${fmtShape(t.shape)}`);
  }
  if (x.dtype !== weight.dtype || (bias && bias.dtype !== weight.dtype)) {
    throw new Error(`${op}: dtypes differ: input ${x.dtype}, weight ${weight.dtype}${bias ? `, bias ${bias.dtype}` : ''}`);
  }
}

/**
 * `x [..., in] -> x W^T + b [..., out]` for `weight [out, in]` and optional `bias [out]` (PyTorch's
 * layout and `F.linear`). Differentiable in all three; the weight's gradient is contiguous.
 * The result is contiguous.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  sameBackend('linear', x, weight, ...(bias ? [bias] : []));
  check(x, weight, bias);
  const [out, inF] = weight.shape as [number, number];
  const lead = x.shape.slice(0, -1);
  const n = numel(lead);
  const y = noGrad(() => {
    const x2 = reshape(x, [n, inF]);
    const wt = transpose(weight, 0, 1); // a view: the GEMM packs it, nothing is copied
    const y2 = matmulRaw(x2, wt); // [n, out], contiguous
    wt.dispose();
    x2.dispose();
    const shaped = reshape(y2, [...lead, out]);
    y2.dispose();
    if (!bias) return shaped;
    const withBias = add(shaped, bias);
    shaped.dispose();
    return withBias;
  });
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(y, 'linear', inputs, [x, weight], (g, [xs, ws]) => {
    const g2 = reshape(g, [n, out]);
    const dx = x.requiresGrad ? reshape(matmulRaw(g2, ws!), [...x.shape]) : null;
    let dw: Tensor | null = null;
    if (weight.requiresGrad) {
      const x2 = reshape(xs!, [n, inF]);
      dw = matmulRaw(transpose(g2, 0, 1), x2); // [out, in], contiguous
    }
    const grads: (Tensor | null)[] = [dx, dw];
    if (bias) grads.push(bias.requiresGrad ? unbroadcast(g, bias.shape) : null);
    return grads;
  });
}
