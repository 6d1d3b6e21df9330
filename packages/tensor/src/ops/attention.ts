/**
 * Scaled dot-product attention with grouped-query heads and an additive mask: one recorded op
 * whose forward is the backend's fused `attention` kernel when it offers one (else composed from
 * batched matmuls and a logsumexp), and whose backward is composed from batched matmuls using the
 * saved per-row logsumexp (the FlashAttention recurrences: `P = exp(S - lse)`,
 * `dS = P * (dP - rowsum(dO * O))`).
 */
import { isFloatDType } from '../backend.js';
import { noGrad } from '../autograd.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { broadcastShapes, fmtShape, sameShape } from '../shape.js';
import { alloc, record, sameBackend } from './core.js';
import { unbroadcast, where } from './elementwise.js';
import { expand, reshape } from './views.js';
import { offers } from '../runtime/overrides.js';
import { override } from '../runtime/dispatch.js';

/** Options of `scaledDotProductAttention`. */
export interface AttentionOptions {
  /**
   * Broadcastable to `[B, H, Lq, Lk]`. A float mask is ADDED to the scaled scores (0 keeps,
   * -Infinity drops; it may require grad); an int32 mask is a keep-mask (nonzero = attend, as
   * PyTorch's boolean masks). Query rows with no key left get zeros.
   */
  mask?: Tensor | null;
  /** Score scale (default `1 / sqrt(D)`). */
  scale?: number;
}

interface Dims {
  B: number;
  H: number;
  Hkv: number;
  Lq: number;
  Lk: number;
  D: number;
  Dv: number;
}

function checkInputs(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null): Dims {
  const op = 'scaledDotProductAttention';
  for (const [name, t] of [['q', q], ['k', k], ['v', v]] as const) {
    if (t.rank !== 4) throw new Error(`${op}: ${name} must be rank 4 [batch, heads, length, headDim], got ${fmtShape(t.shape)}`);
    if (!isFloatDType(t.dtype)) throw new Error(`${op}: ${name} must be a float tensor, got ${t.dtype}`);
  }
  if (k.dtype !== q.dtype || v.dtype !== q.dtype) throw new Error(`${op}: q, k, v dtypes differ: ${q.dtype}, ${k.dtype}, ${v.dtype}`);
  const [B, H, Lq, D] = q.shape as [number, number, number, number];
  const [Bk, Hkv, Lk, Dk] = k.shape as [number, number, number, number];
  const [Bv, Hv, Lv, Dv] = v.shape as [number, number, number, number];
  if (Bk !== B || Bv !== B) throw new Error(`${op}: batch sizes differ: q ${fmtShape(q.shape)}, k ${fmtShape(k.shape)}, v ${fmtShape(v.shape)}`);
  if (Dk !== D) throw new Error(`${op}: q head size ${D} differs from k head size ${Dk} (q ${fmtShape(q.shape)}, k ${fmtShape(k.shape)})`);
  if (Hv !== Hkv || Lv !== Lk) throw new Error(`${op}: k ${fmtShape(k.shape)} and v ${fmtShape(v.shape)} must agree in heads and length`);
  if (Hkv === 0 || H % Hkv !== 0) throw new Error(`${op}: key/value heads ${Hkv} must divide query heads ${H} (grouped-query attention)`);
  if (mask) {
    const target = [B, H, Lq, Lk];
    let ok = mask.rank <= 4;
    if (ok) {
      try {
        ok = sameShape(broadcastShapes(op, mask.shape, target), target);
      } catch {
        ok = false;
      }
    }
    if (!ok) throw new Error(`${op}: mask ${fmtShape(mask.shape)} is not broadcastable to [B, H, Lq, Lk] = ${fmtShape(target)}`);
  }
  return { B, H, Hkv, Lq, Lk, D, Dv };
}

/** Scaled, masked scores `[B, H, Lq, Lk]`; query heads of one key/value head share one batched matmul. */
function scores(q: Tensor, k: Tensor, mask: Tensor | null, d: Dims, scale: number): Tensor {
  const g = d.H / d.Hkv;
  const qg = reshape(q, [d.B, d.Hkv, g * d.Lq, d.D]);
  const s = reshape(qg.matmul(k.transpose(-1, -2)), [d.B, d.H, d.Lq, d.Lk]).mul(scale);
  return mask ? s.add(mask) : s;
}

/** `exp(s - lse)` with rows whose lse is -Infinity (no key) giving zeros instead of NaN. */
function probabilities(s: Tensor, lse: Tensor): Tensor {
  const safe = where(lse.eq(-Infinity), Infinity, lse);
  return s.sub(safe).exp();
}

/** Composed forward: `out [B, H, Lq, Dv]` and `lse [B, H, Lq, 1]`. */
function composedForward(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, d: Dims, scale: number): { out: Tensor; lse: Tensor } {
  const s = scores(q, k, mask, d, scale);
  const lse = s.logsumexp(-1, true);
  const p = reshape(probabilities(s, lse), [d.B, d.Hkv, (d.H / d.Hkv) * d.Lq, d.Lk]);
  const out = reshape(p.matmul(v), [d.B, d.H, d.Lq, d.Dv]);
  return { out, lse };
}

/**
 * Attention `softmax(q k^T * scale + mask) v` for `q [B, H, Lq, D]`, `k [B, Hkv, Lk, D]`,
 * `v [B, Hkv, Lk, Dv]` (grouped-query when `Hkv < H`: query head h uses key/value head
 * `floor(h / (H / Hkv))`, as HF's `repeat_kv`); returns `[B, H, Lq, Dv]`. A query row whose keys
 * are all masked with -Infinity yields zeros (and zero gradients), never NaN. Differentiable in
 * q, k, v and a float mask.
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  const op = 'scaledDotProductAttention';
  const rawMask = options.mask ?? null;
  const b = sameBackend(op, q, k, v, ...(rawMask ? [rawMask] : []));
  const d = checkInputs(q, k, v, rawMask);
  const scale = options.scale ?? 1 / Math.sqrt(d.D);
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw new Error(`${op}: scale must be a finite number, got ${String(options.scale)}`);
  const full = [d.B, d.H, d.Lq, d.Lk];
  // The additive mask in q's dtype (a keep-mask becomes 0 / -Infinity); no recording here.
  const mask: Tensor | null = rawMask
    ? noGrad(() =>
        tidy(() => (rawMask.dtype === 'int32' ? where(rawMask.ne(0), 0, -Infinity).cast(q.dtype) : rawMask.dtype === q.dtype ? rawMask.detach() : rawMask.cast(q.dtype))),
      )
    : null;
  const fwd = noGrad(() =>
    tidy(() => {
      if (offers(b, 'attention') && d.B * d.H * d.Lq * d.Dv > 0 && d.Lk > 0) {
        const out = alloc(b, [d.B, d.H, d.Lq, d.Dv], q.dtype);
        const lse = alloc(b, [d.B, d.H, d.Lq, 1], q.dtype);
        const mv = mask ? expand(mask, full).view_ : null;
        if (override(b, 'attention', { q: q.view_, k: k.view_, v: v.view_, mask: mv, scale, out: out._slab.storage, lse: lse._slab.storage })) return { out, lse };
        out.dispose();
        lse.dispose();
      }
      return composedForward(q, k, v, mask, d, scale);
    }),
  );
  const maskGrad = rawMask !== null && isFloatDType(rawMask.dtype);
  const inputs = [q, k, v, ...(maskGrad ? [rawMask!] : [])];
  const saved = [q, k, v, fwd.out, fwd.lse, ...(mask ? [mask] : [])];
  const y = record(fwd.out, op, inputs, saved, (gOut, [qs, ks, vs, os, lse, ms]) => {
    const g = d.H / d.Hkv;
    const rowsG = g * d.Lq;
    const p = reshape(probabilities(scores(qs!, ks!, ms ?? null, d, scale), lse!), [d.B, d.Hkv, rowsG, d.Lk]);
    const dOut = reshape(gOut, [d.B, d.Hkv, rowsG, d.Dv]);
    const dv = p.transpose(-1, -2).matmul(dOut);
    const dp = dOut.matmul(vs!.transpose(-1, -2));
    const delta = reshape(gOut.mul(os!).sum(-1, true), [d.B, d.Hkv, rowsG, 1]);
    const ds = p.mul(dp.sub(delta));
    const dq = reshape(ds.matmul(ks!).mul(scale), [d.B, d.H, d.Lq, d.D]);
    const dk = ds.transpose(-1, -2).matmul(reshape(qs!, [d.B, d.Hkv, rowsG, d.D])).mul(scale);
    const grads: (Tensor | null)[] = [q.requiresGrad ? dq : null, k.requiresGrad ? dk : null, v.requiresGrad ? dv : null];
    if (maskGrad) {
      if (!rawMask!.requiresGrad) grads.push(null);
      else {
        const dm = unbroadcast(reshape(ds, full), rawMask!.shape);
        grads.push(dm.dtype === rawMask!.dtype ? dm : dm.cast(rawMask!.dtype));
      }
    }
    return grads;
  });
  fwd.lse.dispose();
  mask?.dispose();
  return y;
}
