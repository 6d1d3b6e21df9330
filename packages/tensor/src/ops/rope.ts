/**
 * Rotary position embeddings in the halves layout (Hugging Face's `rotate_half` convention with
 * the sign folded into the sine table): `rope(x, cos, sin) = x * cos + swapHalves(x) * sin`, where
 * `swapHalves([x1, x2]) = [x2, x1]` over the last dim. One recorded op whose forward and backward
 * are the backend's fused `rope` kernel when it offers one, and are composed from narrow, concat and
 * elementwise kernels otherwise. The backward is the adjoint `g * cos + swapHalves(g * sin)`, itself
 * a `rope` (transposed), so higher derivatives work too.
 */
import { isFloatDType } from '../backend.js';
import { noGrad } from '../autograd.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { broadcastShapes, fmtShape, sameShape } from '../shape.js';
import { alloc, record, sameBackend } from './core.js';
import { concat, expand } from './views.js';
import { offers } from '../runtime/overrides.js';
import { override } from '../runtime/dispatch.js';

/** `[x1, x2] -> [x2, x1]` over the last dim. */
function swapHalves(x: Tensor): Tensor {
  const h = x.shape[x.rank - 1]! / 2;
  return concat([x.narrow(-1, h, h), x.narrow(-1, 0, h)], -1);
}

function ropeOp(x: Tensor, cos: Tensor, sin: Tensor, transpose: boolean): Tensor {
  const op = transpose ? 'ropeTranspose' : 'rope';
  const b = sameBackend('rope', x, cos, sin);
  const fused = offers(b, 'rope') && x.size > 0 && cos.dtype === x.dtype && sin.dtype === x.dtype && !cos.requiresGrad && !sin.requiresGrad;
  if (!fused) return transpose ? tidy(() => x.mul(cos).add(swapHalves(x.mul(sin)))) : tidy(() => x.mul(cos).add(swapHalves(x).mul(sin)));
  const out = noGrad(() =>
    tidy(() => {
      const y = alloc(b, x.shape, x.dtype);
      override(b, 'rope', { x: x.view_, cos: expand(cos, [...x.shape]).view_, sin: expand(sin, [...x.shape]).view_, out: y._slab.storage, transpose });
      return y;
    }),
  );
  return record(out, op, [x], [cos, sin], (g, [c, s]) => [ropeOp(g, c!, s!, !transpose)]);
}

/**
 * Rotary embedding over the last dim of `x` (even size `2h`): `x * cos + swapHalves(x) * sin`
 * with `swapHalves([x1, x2]) = [x2, x1]`. `cos` and `sin` broadcast to `x`'s shape; for Hugging
 * Face's `x * cos + rotate_half(x) * sin`, pass `sin` with its first half negated
 * (`[-sin a, sin a]`). Differentiable in `x` (and in the tables, through the composed path, when
 * they require grad).
 */
export function rope(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  const op = 'rope';
  for (const [what, t] of [['x', x], ['cos', cos], ['sin', sin]] as const) {
    t.assertAlive(op);
    if (!isFloatDType(t.dtype)) throw new Error(`${op}: ${what} must be a float tensor, got ${t.dtype}`);
  }
  if (x.rank === 0) throw new Error(`${op}: x needs at least one dimension, got a scalar`);
  const d = x.shape[x.rank - 1]!;
  if (d % 2 !== 0) throw new Error(`${op}: the last dim of x ${fmtShape(x.shape)} must be even`);
  for (const [what, t] of [['cos', cos], ['sin', sin]] as const) {
    const s = broadcastShapes(op, x.shape, t.shape);
    if (!sameShape(s, x.shape)) throw new Error(`${op}: ${what} ${fmtShape(t.shape)} does not broadcast to x ${fmtShape(x.shape)}`);
  }
  return ropeOp(x, cos, sin, false);
}
