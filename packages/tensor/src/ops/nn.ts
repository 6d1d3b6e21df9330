/** Neural-network ops: softmax family, losses, norms, dropout. */
import { isFloatDType } from '../backend.js';
import { tidy } from '../scope.js';
import { Slab, Tensor } from '../tensor.js';
import { noGrad } from '../autograd.js';
import { contiguousStrides, fmtShape, normDim, sameShape } from '../shape.js';
import { Generator, getDefaultGenerator } from '../random.js';
import { alloc, floatOf, record, sameBackend } from './core.js';
import { castRaw, where } from './elementwise.js';
import { contiguousRaw, permuteRaw, reshape, permute } from './views.js';
import { gather } from './indexing.js';
import { offers, offersAll } from '../runtime/overrides.js';
import { override, uploadStorage } from '../runtime/dispatch.js';
import { softmaxKernel } from '../runtime/kernels.js';

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
  if (rows > 0) softmaxKernel(b, c._slab.storage, c.offset, rows, cols, y._slab.storage, log);
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

/** What `crossEntropyWithLogsumexp` returns. */
export interface CrossEntropyWithLogsumexp {
  /** The cross-entropy, reduced as `reduction` asks (per-target losses, 0 at ignored targets, for 'none'). */
  loss: Tensor;
  /** `logsumexp(logits, -1)` for EVERY target position (ignored ones too), shape `targets.shape`; differentiable. */
  logsumexp: Tensor;
  /** Number of non-ignored targets (a float scalar of the logits' dtype). */
  count: Tensor;
}

interface CeArgs {
  ignoreIndex: number;
  reduction: 'mean' | 'sum' | 'none';
  eps: number;
}

function checkCrossEntropy(op: string, logits: Tensor, targets: Tensor, options: CrossEntropyOptions): CeArgs {
  const ignoreIndex = options.ignoreIndex ?? -100;
  const reduction = options.reduction ?? 'mean';
  const eps = options.labelSmoothing ?? 0;
  if (targets.dtype !== 'int32') throw new Error(`${op}: targets must be int32 class indices, got ${targets.dtype}`);
  if (logits.rank === 0 || !sameShape(logits.shape.slice(0, -1), targets.shape)) {
    throw new Error(`${op}: logits ${fmtShape(logits.shape)} must be targets ${fmtShape(targets.shape)} plus a class dim`);
  }
  if (!Number.isInteger(ignoreIndex)) throw new Error(`${op}: ignoreIndex must be an integer, got ${ignoreIndex}`);
  if (!(eps >= 0 && eps < 1)) throw new Error(`${op}: labelSmoothing must be in [0, 1), got ${eps}`);
  if (!['mean', 'sum', 'none'].includes(reduction)) throw new Error(`${op}: unknown reduction '${reduction}'`);
  return { ignoreIndex, reduction, eps };
}

/** A tensor with x's values laid out contiguously from element 0 of its storage (what the fused kernels read). No recording. */
function denseRaw(x: Tensor): Tensor {
  return x.isContiguous && x.offset === 0 ? x : contiguousRaw(x, true);
}

/** True when the backend offers both fused cross-entropy kernels and they apply to these logits. */
function useFusedCrossEntropy(logits: Tensor, rows: number, cols: number): boolean {
  const b = logits.backend;
  return offersAll(b, 'crossEntropy', 'crossEntropyBackward') && isFloatDType(logits.dtype) && rows > 0 && cols > 0;
}

/**
 * Fused per-row statistics `[2, N]` (row losses, then logsumexps) as one recorded node whose
 * backward is the fused gradient kernel.
 */
function crossEntropyStats(logits: Tensor, targets: Tensor, a: CeArgs): Tensor {
  const b = sameBackend('crossEntropy', logits, targets);
  const cols = logits.shape[logits.rank - 1]!;
  const rows = targets.size;
  const inShape = [...logits.shape];
  const { stats, xc, tc } = noGrad(() => {
    const x2 = reshape(logits, [rows, cols]);
    const t1 = reshape(targets, [rows]);
    const xd = denseRaw(x2);
    const td = denseRaw(t1);
    if (xd !== x2) x2.dispose();
    if (td !== t1) t1.dispose();
    const st = alloc(b, [2, rows], logits.dtype);
    override(b, 'crossEntropy', { logits: xd._slab.storage, targets: td._slab.storage, rows, cols, ignoreIndex: a.ignoreIndex, labelSmoothing: a.eps, stats: st._slab.storage });
    return { stats: st, xc: xd, tc: td };
  });
  const out = record(stats, 'crossEntropy', [logits], [xc, tc, stats], (g, [xs, ts, st]) => {
    const gd = denseRaw(g);
    const dx = alloc(b, [rows, cols], xs!.dtype);
    override(b, 'crossEntropyBackward', {
      logits: xs!._slab.storage,
      targets: ts!._slab.storage,
      stats: st!._slab.storage,
      grad: gd._slab.storage,
      rows,
      cols,
      ignoreIndex: a.ignoreIndex,
      labelSmoothing: a.eps,
      dx: dx._slab.storage,
    });
    return [reshape(dx, inShape)];
  });
  xc.dispose();
  tc.dispose();
  return out;
}

/** Row losses (0 at ignored targets) and logsumexps, both of shape `targets.shape`, composed from ops. */
function crossEntropyComposed(logits: Tensor, targets: Tensor, valid: Tensor, a: CeArgs, wantLse: boolean): { rows: Tensor; lse: Tensor | null } {
  const safeTargets = where(valid, targets, 0);
  const lse = wantLse ? logits.logsumexp(-1) : null;
  const lsm = softmax(logits, -1, true);
  const picked = gather(lsm, -1, reshape(safeTargets, [...targets.shape, 1]));
  let loss = reshape(picked, [...targets.shape]).neg();
  if (a.eps > 0) loss = loss.mul(1 - a.eps).add(lsm.mean(-1).neg().mul(a.eps));
  const validF = valid.float().cast(floatOf(logits.dtype));
  return { rows: loss.mul(validF), lse };
}

/** Shared body of `crossEntropy` / `crossEntropyWithLogsumexp` (inside a tidy). */
function crossEntropyParts(logits: Tensor, targets: Tensor, a: CeArgs, wantLse: boolean): { loss: Tensor; logsumexp: Tensor | null; count: Tensor } {
  const cols = logits.shape[logits.rank - 1]!;
  const valid = targets.ne(a.ignoreIndex);
  const count = valid.float().cast(floatOf(logits.dtype)).sum();
  let rows: Tensor;
  let lse: Tensor | null;
  if (useFusedCrossEntropy(logits, targets.size, cols)) {
    const stats = crossEntropyStats(logits, targets, a);
    rows = reshape(stats.select(0, 0), [...targets.shape]);
    lse = wantLse ? reshape(stats.select(0, 1), [...targets.shape]) : null;
  } else {
    ({ rows, lse } = crossEntropyComposed(logits, targets, valid, a, wantLse));
  }
  let loss: Tensor;
  if (a.reduction === 'none') loss = rows;
  else if (a.reduction === 'sum') loss = rows.sum();
  else loss = rows.sum().div(count.maximum(1));
  return { loss, logsumexp: lse, count };
}

/**
 * Cross-entropy between `logits [..., C]` (classes on the LAST dim) and int32 `targets [...]`.
 * A mean over zero non-ignored targets is 0 (not NaN). Uses the backend's fused kernels
 * (`crossEntropy` / `crossEntropyBackward`) when it offers them.
 */
export function crossEntropy(logits: Tensor, targets: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const a = checkCrossEntropy('crossEntropy', logits, targets, options);
  return tidy(() => crossEntropyParts(logits, targets, a, false).loss);
}

/**
 * `crossEntropy` that also returns the per-position `logsumexp` of the logits (from the same fused
 * kernel) and the number of non-ignored targets, so a z-loss reuses them (docs/method.md 1.3):
 * `zLoss = where(targets.ne(ignoreIndex), logsumexp.square(), 0).sum().div(count.maximum(1)).mul(lambda)`.
 * Gradients flow from both `loss` and `logsumexp` into the logits.
 */
export function crossEntropyWithLogsumexp(logits: Tensor, targets: Tensor, options: CrossEntropyOptions = {}): CrossEntropyWithLogsumexp {
  const a = checkCrossEntropy('crossEntropyWithLogsumexp', logits, targets, options);
  const parts = tidy(() => {
    const p = crossEntropyParts(logits, targets, a, true);
    return [p.loss, p.logsumexp!, p.count];
  });
  return { loss: parts[0]!, logsumexp: parts[1]!, count: parts[2]! };
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
  const mask = new Tensor(new Slab(uploadStorage(b, data, dt)), [...x.shape], contiguousStrides(x.shape), 0);
  const out = x.mul(mask);
  mask.dispose();
  return out;
}

/**
 * Layer normalisation over the last `normalizedDims` dims (default 1) with optional affine
 * `weight`/`bias` of that trailing shape. Uses the backend's fused forward and backward kernels
 * when it offers them and composes the same maths from elementwise ops otherwise.
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
  const fused = isFloatDType(x.dtype) && rows > 0;
  const fwd = noGrad(() =>
    tidy(() => {
      if (offers(b, 'layerNorm') && fused) {
        const xc = denseRaw(x);
        const wc = weight ? denseRaw(weight) : null;
        const bc = bias ? denseRaw(bias) : null;
        const y = alloc(b, x.shape, x.dtype);
        const mean = alloc(b, [rows], x.dtype);
        const rs = alloc(b, [rows], x.dtype);
        override(b, 'layerNorm', {
          x: xc._slab.storage,
          weight: wc?._slab.storage ?? null,
          bias: bc?._slab.storage ?? null,
          rows,
          cols,
          eps,
          out: y._slab.storage,
          mean: mean._slab.storage,
          rstd: rs._slab.storage,
        });
        return { y, mean: reshape(mean, keepShape), rstd: reshape(rs, keepShape) };
      }
      const mu = x.mean(dims, true);
      const xm = x.sub(mu);
      const rstd = xm.square().mean(dims, true).add(eps).rsqrt();
      const xhat = xm.mul(rstd);
      let y = xhat;
      if (weight) y = y.mul(weight);
      if (bias) y = y.add(bias);
      if (y === xhat) y = xhat.mul(1);
      return { y, mean: mu, rstd };
    }),
  );
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  const lead = Array.from({ length: x.rank - normalizedDims }, (_, i) => i);
  const out = record(fwd.y, 'layerNorm', inputs, [x, fwd.mean, fwd.rstd, ...(weight ? [weight] : [])], (g, [xs, mu, rs, w]) => {
    const wantW = !!weight && weight.requiresGrad;
    const wantB = !!bias && bias.requiresGrad;
    if (offers(b, 'layerNormBackward') && fused && g.dtype === x.dtype) {
      const dx = alloc(b, x.shape, x.dtype);
      const dw = wantW ? alloc(b, normShape, x.dtype) : null;
      const db = wantB ? alloc(b, normShape, x.dtype) : null;
      const st = (t: Tensor) => denseRaw(t)._slab.storage;
      override(b, 'layerNormBackward', {
        x: st(xs!),
        mean: st(mu!),
        rstd: st(rs!),
        weight: w ? st(w) : null,
        grad: st(g),
        rows,
        cols,
        dx: dx._slab.storage,
        dweight: dw?._slab.storage ?? null,
        dbias: db?._slab.storage ?? null,
      });
      const grads: (Tensor | null)[] = [dx];
      if (weight) grads.push(dw);
      if (bias) grads.push(db);
      return grads;
    }
    const xh = xs!.sub(mu!).mul(rs!);
    const gxh = w ? g.mul(w) : g;
    const gx = gxh.sub(gxh.mean(dims, true)).sub(xh.mul(gxh.mul(xh).mean(dims, true))).mul(rs!);
    const grads: (Tensor | null)[] = [gx];
    if (weight) grads.push(wantW ? g.mul(xh).sum(lead) : null);
    if (bias) grads.push(wantB ? g.sum(lead) : null);
    return grads;
  });
  fwd.mean.dispose();
  fwd.rstd.dispose();
  return out;
}

/**
 * RMS normalisation over the last dim: `x / sqrt(mean(x^2) + eps) * weight`. Uses the backend's
 * fused forward and backward kernels when it offers them.
 */
export function rmsNorm(x: Tensor, weight: Tensor | null, eps = 1e-6): Tensor {
  if (x.rank === 0) throw new Error('rmsNorm: needs at least one dimension, got a scalar');
  const cols = x.shape[x.rank - 1]!;
  if (weight && !sameShape(weight.shape, [cols])) throw new Error(`rmsNorm: weight shape ${fmtShape(weight.shape)} must be [${cols}]`);
  const b = sameBackend('rmsNorm', x, ...(weight ? [weight] : []));
  const rows = cols === 0 ? 0 : x.size / cols;
  const keepShape = [...x.shape.slice(0, -1), 1];
  const fused = isFloatDType(x.dtype) && rows > 0;
  const fwd = noGrad(() =>
    tidy(() => {
      if (offers(b, 'rmsNorm') && fused) {
        const xc = denseRaw(x);
        const wc = weight ? denseRaw(weight) : null;
        const y = alloc(b, x.shape, x.dtype);
        const rs = alloc(b, [rows], x.dtype);
        override(b, 'rmsNorm', { x: xc._slab.storage, weight: wc?._slab.storage ?? null, rows, cols, eps, out: y._slab.storage, rstd: rs._slab.storage });
        return { y, rstd: reshape(rs, keepShape) };
      }
      const rstd = x.square().mean(-1, true).add(eps).rsqrt();
      return { y: weight ? x.mul(rstd).mul(weight) : x.mul(rstd), rstd };
    }),
  );
  const inputs = [x, ...(weight ? [weight] : [])];
  const lead = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const out = record(fwd.y, 'rmsNorm', inputs, [x, fwd.rstd, ...(weight ? [weight] : [])], (g, [xs, rs, w]) => {
    const wantW = !!weight && weight.requiresGrad;
    if (offers(b, 'rmsNormBackward') && fused && g.dtype === x.dtype) {
      const dx = alloc(b, x.shape, x.dtype);
      const dw = wantW ? alloc(b, [cols], x.dtype) : null;
      const st = (t: Tensor) => denseRaw(t)._slab.storage;
      override(b, 'rmsNormBackward', { x: st(xs!), rstd: st(rs!), weight: w ? st(w) : null, grad: st(g), rows, cols, dx: dx._slab.storage, dweight: dw?._slab.storage ?? null });
      return weight ? [dx, dw] : [dx];
    }
    const xh = xs!.mul(rs!);
    const gxh = w ? g.mul(w) : g;
    const gx = gxh.sub(xh.mul(gxh.mul(xh).mean(-1, true))).mul(rs!);
    const grads: (Tensor | null)[] = [gx];
    if (weight) grads.push(wantW ? g.mul(xh).sum(lead) : null);
    return grads;
  });
  fwd.rstd.dispose();
  return out;
}

export { permute };
