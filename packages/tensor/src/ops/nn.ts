/** Neural-network ops: softmax family, losses, norms, dropout. */
import { isFloatDType } from '../backend.js';
import { tidy } from '../scope.js';
import { Slab, Tensor } from '../tensor.js';
import { noGrad } from '../autograd.js';
import { fmtShape, normDim, sameShape } from '../shape.js';
import { Generator, getDefaultGenerator } from '../random.js';
import { alloc, record, sameBackend } from './core.js';
import { castRaw, where } from './elementwise.js';
import { contiguousRaw, permuteRaw, reshape, permute } from './views.js';
import { gather } from './indexing.js';

/** Softmax / log-softmax along `dim` (fused kernel on the last axis). */
export function softmax(x: Tensor, dim: number, log: boolean): Tensor {
  const op = log ? 'logSoftmax' : 'softmax';
  const b = sameBackend(op, x);
  const d = normDim(op, dim, x.rank);
  if (x.rank === 0) throw new Error(`${op}: needs at least one dimension, got a scalar`);
  const last = x.rank - 1;
  const perm = x.shape.map((_, i) => i);
  perm[d] = last;
  perm[last] = d;
  const xf = isFloatDType(x.dtype) ? x : castRaw(x, 'float32');
  const moved = d === last ? xf : permuteRaw(xf, perm);
  const c = contiguousRaw(moved, false);
  const cols = x.shape[d]!;
  const rows = cols === 0 ? 0 : c.size / cols;
  let y = alloc(b, c.shape, c.dtype);
  if (rows > 0) b.softmax(c._slab.storage, c.offset, rows, cols, y._slab.storage, log);
  if (c !== moved) c.dispose();
  if (moved !== xf) moved.dispose();
  if (xf !== x) xf.dispose();
  if (d !== last) {
    const back = permuteRaw(y, perm);
    y.dispose();
    y = contiguousRaw(back, true);
    back.dispose();
  }
  return record(y, op, [x], [y], (g, [ys]) => {
    if (log) {
      // g - softmax * sum(g)
      return [g.sub(ys!.exp().mul(g.sum(d, true)))];
    }
    return [ys!.mul(g.sub(g.mul(ys!).sum(d, true)))];
  });
}

/** Options of `crossEntropy`. */
export interface CrossEntropyOptions {
  /** Targets equal to this are ignored (default -100). */
  ignoreIndex?: number;
  /** 'mean' over non-ignored targets (default), 'sum', or 'none' (per-target losses). */
  reduction?: 'mean' | 'sum' | 'none';
  /** Label smoothing in [0, 1) (default 0). */
  labelSmoothing?: number;
}

/**
 * Cross-entropy between `logits [..., C]` (classes on the LAST dim) and int32 `targets [...]`.
 * A mean over zero non-ignored targets is 0 (not NaN).
 */
export function crossEntropy(logits: Tensor, targets: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const ignoreIndex = options.ignoreIndex ?? -100;
  const reduction = options.reduction ?? 'mean';
  const eps = options.labelSmoothing ?? 0;
  if (targets.dtype !== 'int32') throw new Error(`crossEntropy: targets must be int32 class indices, got ${targets.dtype}`);
  if (!sameShape(logits.shape.slice(0, -1), targets.shape)) {
    throw new Error(`crossEntropy: logits ${fmtShape(logits.shape)} must be targets ${fmtShape(targets.shape)} plus a class dim`);
  }
  if (!(eps >= 0 && eps < 1)) throw new Error(`crossEntropy: labelSmoothing must be in [0, 1), got ${eps}`);
  if (!['mean', 'sum', 'none'].includes(reduction)) throw new Error(`crossEntropy: unknown reduction '${reduction}'`);
  return tidy(() => {
    const valid = targets.ne(ignoreIndex);
    const safeTargets = where(valid, targets, 0);
    const lsm = softmax(logits, -1, true);
    const picked = gather(lsm, -1, reshape(safeTargets, [...targets.shape, 1]));
    let loss = reshape(picked, [...targets.shape]).neg();
    if (eps > 0) loss = loss.mul(1 - eps).add(lsm.mean(-1).neg().mul(eps));
    const validF = valid.float().cast(logits.dtype);
    loss = loss.mul(validF);
    if (reduction === 'none') return loss;
    const total = loss.sum();
    if (reduction === 'sum') return total;
    return total.div(validF.sum().maximum(1));
  });
}

/** Mean squared error (`reduction` 'mean' | 'sum' | 'none'). */
export function mseLoss(input: Tensor, target: Tensor, reduction: 'mean' | 'sum' | 'none' = 'mean'): Tensor {
  if (!sameShape(input.shape, target.shape)) throw new Error(`mseLoss: input ${fmtShape(input.shape)} and target ${fmtShape(target.shape)} differ`);
  return tidy(() => {
    const sq = input.sub(target).square();
    return reduction === 'none' ? sq : reduction === 'sum' ? sq.sum() : sq.mean();
  });
}

/** Cosine similarity along `dim`: `a.b / (max(|a|, eps) * max(|b|, eps))`. */
export function cosineSimilarity(a: Tensor, b: Tensor, dim = -1, eps = 1e-8): Tensor {
  return tidy(() => {
    const na = a.square().sum(dim).sqrt().clamp(eps);
    const nb = b.square().sum(dim).sqrt().clamp(eps);
    return a.mul(b).sum(dim).div(na.mul(nb));
  });
}

/** Dropout: zero elements with probability p and scale the rest by 1/(1-p); seeded. */
export function dropout(x: Tensor, p: number, training: boolean, generator?: Generator): Tensor {
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x.mul(1);
  if (p === 1) return x.mul(0);
  const gen = generator ?? getDefaultGenerator();
  const keep = new Float32Array(x.size);
  const scale = 1 / (1 - p);
  for (let i = 0; i < keep.length; i++) keep[i] = gen.uniform() >= p ? scale : 0;
  const b = x.backend;
  const dt = isFloatDType(x.dtype) ? x.dtype : 'float32';
  const data = dt === 'float64' ? Float64Array.from(keep) : keep;
  const mask = new Tensor(new Slab(b.upload(data, dt)), [...x.shape], contiguousStridesOf(x.shape), 0);
  const out = x.mul(mask);
  mask.dispose();
  return out;
}

function contiguousStridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Forward statistics of a normalisation: output, normalised input and reciprocal std (keepdim shape). */
interface NormForward {
  y: Tensor;
  xhat: Tensor;
  rstd: Tensor;
}

/**
 * Layer normalisation over the last `normalizedDims` dims (default 1) with optional affine
 * `weight`/`bias` of that trailing shape. Uses a fused forward kernel when the backend has one;
 * the backward is analytic.
 */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5, normalizedDims = 1): Tensor {
  if (!Number.isInteger(normalizedDims) || normalizedDims < 1 || normalizedDims > x.rank) {
    throw new Error(`layerNorm: normalizedDims must be in [1, ${x.rank}] for shape ${fmtShape(x.shape)}, got ${normalizedDims}`);
  }
  const normShape = x.shape.slice(x.rank - normalizedDims);
  const cols = normShape.reduce((a, b) => a * b, 1);
  for (const [name, p] of [['weight', weight], ['bias', bias]] as const) {
    if (p && !sameShape(p.shape, normShape)) throw new Error(`layerNorm: ${name} shape ${fmtShape(p.shape)} must equal the normalized shape ${fmtShape(normShape)}`);
  }
  const b = sameBackend('layerNorm', x, ...(weight ? [weight] : []), ...(bias ? [bias] : []));
  const rows = cols === 0 ? 0 : x.size / cols;
  const dims = Array.from({ length: normalizedDims }, (_, i) => x.rank - normalizedDims + i);
  const keepShape = [...x.shape.slice(0, x.rank - normalizedDims), ...normShape.map(() => 1)];
  const fwd: NormForward = noGrad(() =>
    tidy(() => {
      if (b.layerNorm && isFloatDType(x.dtype) && rows > 0) {
        const xc = contiguousRaw(x, false);
        const wc = weight ? contiguousRaw(weight, false) : null;
        const bc = bias ? contiguousRaw(bias, false) : null;
        const y = alloc(b, x.shape, x.dtype);
        const mean = alloc(b, [rows], x.dtype);
        const rs = alloc(b, [rows], x.dtype);
        b.layerNorm(xc._slab.storage, wc?._slab.storage ?? null, bc?._slab.storage ?? null, rows, cols, eps, y._slab.storage, mean._slab.storage, rs._slab.storage);
        const rstd = reshape(rs, keepShape);
        const xhat = x.sub(reshape(mean, keepShape)).mul(rstd);
        return { y, xhat, rstd };
      }
      const mu = x.mean(dims, true);
      const xm = x.sub(mu);
      const rstd = xm.square().mean(dims, true).add(eps).rsqrt();
      const xhat = xm.mul(rstd);
      let y = xhat;
      if (weight) y = y.mul(weight);
      if (bias) y = y.add(bias);
      if (y === xhat) y = xhat.mul(1);
      return { y, xhat, rstd };
    }),
  );
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  const out = record(fwd.y, 'layerNorm', inputs, [fwd.xhat, fwd.rstd, ...(weight ? [weight] : [])], (g, [xh, rs, w]) => {
    const gxh = w ? g.mul(w) : g;
    const gx = gxh.sub(gxh.mean(dims, true)).sub(xh!.mul(gxh.mul(xh!).mean(dims, true))).mul(rs!);
    const lead = Array.from({ length: x.rank - normalizedDims }, (_, i) => i);
    const grads: (Tensor | null)[] = [gx];
    if (weight) grads.push(weight.requiresGrad ? g.mul(xh!).sum(lead) : null);
    if (bias) grads.push(bias.requiresGrad ? g.sum(lead) : null);
    return grads;
  });
  fwd.xhat.dispose();
  fwd.rstd.dispose();
  return out;
}

/** RMS normalisation over the last dim: `x / sqrt(mean(x^2) + eps) * weight` (fused forward when offered). */
export function rmsNorm(x: Tensor, weight: Tensor | null, eps = 1e-6): Tensor {
  if (x.rank === 0) throw new Error('rmsNorm: needs at least one dimension, got a scalar');
  const cols = x.shape[x.rank - 1]!;
  if (weight && !sameShape(weight.shape, [cols])) throw new Error(`rmsNorm: weight shape ${fmtShape(weight.shape)} must be [${cols}]`);
  const b = sameBackend('rmsNorm', x, ...(weight ? [weight] : []));
  const rows = cols === 0 ? 0 : x.size / cols;
  const keepShape = [...x.shape.slice(0, -1), 1];
  const fwd = noGrad(() =>
    tidy(() => {
      if (b.rmsNorm && isFloatDType(x.dtype) && rows > 0) {
        const xc = contiguousRaw(x, false);
        const wc = weight ? contiguousRaw(weight, false) : null;
        const y = alloc(b, x.shape, x.dtype);
        const rs = alloc(b, [rows], x.dtype);
        b.rmsNorm(xc._slab.storage, wc?._slab.storage ?? null, rows, cols, eps, y._slab.storage, rs._slab.storage);
        return { y, rstd: reshape(rs, keepShape) };
      }
      const rstd = x.square().mean(-1, true).add(eps).rsqrt();
      return { y: weight ? x.mul(rstd).mul(weight) : x.mul(rstd), rstd };
    }),
  );
  const inputs = [x, ...(weight ? [weight] : [])];
  const out = record(fwd.y, 'rmsNorm', inputs, [x, fwd.rstd, ...(weight ? [weight] : [])], (g, [xs, rs, w]) => {
    const xh = xs!.mul(rs!);
    const gxh = w ? g.mul(w) : g;
    const gx = gxh.sub(xh.mul(gxh.mul(xh).mean(-1, true))).mul(rs!);
    const lead = Array.from({ length: x.rank - 1 }, (_, i) => i);
    const grads: (Tensor | null)[] = [gx];
    if (weight) grads.push(weight.requiresGrad ? g.mul(xh).sum(lead) : null);
    return grads;
  });
  fwd.rstd.dispose();
  return out;
}

export { permute };
