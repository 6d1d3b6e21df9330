/**
 * The ploss family (docs/method.md 6.2): a zero-safe cosine similarity, L2 normalisation, and the
 * cosine and MSE losses averaged over the masked positions only.
 *
 * Norms are computed as `sqrt(max(|x|^2, eps^2))`, which equals `max(|x|, eps)` but has a finite
 * gradient at `x = 0` (`sqrt` then `clamp` differentiates `sqrt` at 0 and yields NaN there).
 */
import { Tensor, fmtShape, tidy, where } from '@unihetero/tensor';

/** Default `eps` of the cosine similarity, as `torch.nn.functional.cosine_similarity` (docs/method.md 6.2). */
export const COSINE_EPS = 1e-8;
/** Default `eps` of `l2Normalize`, as `torch.nn.functional.normalize`. */
export const NORMALIZE_EPS = 1e-12;

/** Options of the masked losses. */
export interface MaskedLossOptions {
  /**
   * Which rows count, shaped like the inputs without their last dim (`[B, N]` for `[B, N, D]`
   * inputs); nonzero = masked (counted). Omit it when the rows are already the masked ones
   * (pre-gathered `[|M|, D]`): every row counts then.
   */
  mask?: Tensor;
}

/** Options of `cosineLoss`. */
export interface CosineLossOptions extends MaskedLossOptions {
  /** Lower bound of each norm (default 1e-8). */
  eps?: number;
}

function checkEps(op: string, eps: number): void {
  if (!(eps > 0) || !Number.isFinite(eps)) throw new Error(`${op}: eps must be a positive finite number, got ${eps}`);
}

function checkPair(op: string, a: Tensor, b: Tensor): void {
  if (a.rank === 0) throw new Error(`${op}: inputs need a feature dimension, got a scalar`);
  if (a.shape.join() !== b.shape.join()) throw new Error(`${op}: prediction ${fmtShape(a.shape)} and target ${fmtShape(b.shape)} differ`);
}

/** `max(|x|, eps)` along the last dim (dim dropped), computed gradient-safely as `sqrt(max(|x|^2, eps^2))`. */
function clampedNorm(x: Tensor, eps: number): Tensor {
  return tidy(() => x.square().sum(-1).maximum(eps * eps).sqrt());
}

/**
 * Cosine similarity along the last dim, `a.b / (max(|a|, eps) * max(|b|, eps))` (docs/method.md 6.2):
 * `[..., D] x [..., D] -> [...]`. Zero vectors give 0 with a finite gradient.
 */
export function cosineSimilaritySafe(a: Tensor, b: Tensor, eps = COSINE_EPS): Tensor {
  checkPair('cosineSimilaritySafe', a, b);
  checkEps('cosineSimilaritySafe', eps);
  return tidy(() => a.mul(b).sum(-1).div(clampedNorm(a, eps).mul(clampedNorm(b, eps))));
}

/**
 * `x / max(|x|, eps)` along the last dim (`torch.nn.functional.normalize(x, dim=-1)`); zero
 * vectors stay zero with a finite gradient.
 */
export function l2Normalize(x: Tensor, eps = NORMALIZE_EPS): Tensor {
  if (x.rank === 0) throw new Error('l2Normalize: input needs a feature dimension, got a scalar');
  checkEps('l2Normalize', eps);
  return tidy(() => x.div(clampedNorm(x, eps).unsqueeze(-1)));
}

/**
 * Mean of `perRow` over the rows where `mask` is nonzero (all rows without a mask); 0, not NaN,
 * when no row counts. Rows outside the mask get no gradient.
 */
export function maskedMean(perRow: Tensor, mask?: Tensor): Tensor {
  if (!mask) return tidy(() => perRow.sum().div(Math.max(perRow.size, 1)));
  if (mask.shape.join() !== perRow.shape.join()) {
    throw new Error(`maskedMean: mask ${fmtShape(mask.shape)} does not match the rows ${fmtShape(perRow.shape)}`);
  }
  return tidy(() => {
    const on = mask.ne(0);
    return where(on, perRow, 0).sum().div(on.sum().maximum(1));
  });
}

function checkMask(op: string, x: Tensor, mask: Tensor | undefined): void {
  if (!mask) return;
  const rows = x.shape.slice(0, -1);
  if (mask.shape.join() !== rows.join()) {
    throw new Error(`${op}: mask ${fmtShape(mask.shape)} must have the inputs' shape without the feature dim, ${fmtShape(rows)} for inputs ${fmtShape(x.shape)}`);
  }
}

/**
 * `mean_{i in M} (1 - cos(eHat_i, t_i))` (docs/method.md 6.2; the paper's `-cos` has the same
 * gradient). Scalar; 0 when nothing is masked; zero vectors are safe.
 */
export function cosineLoss(eHat: Tensor, t: Tensor, options: CosineLossOptions = {}): Tensor {
  checkPair('cosineLoss', eHat, t);
  checkMask('cosineLoss', eHat, options.mask);
  const eps = options.eps ?? COSINE_EPS;
  checkEps('cosineLoss', eps);
  return tidy(() => maskedMean(cosineSimilaritySafe(eHat, t, eps).neg().add(1), options.mask));
}

/** `mean_{i in M} mean_c (eHat_{i,c} - t_{i,c})^2` (docs/method.md 6.2, `mlp-mse`). Scalar; 0 when nothing is masked. */
export function maskedMseLoss(eHat: Tensor, t: Tensor, options: MaskedLossOptions = {}): Tensor {
  checkPair('maskedMseLoss', eHat, t);
  checkMask('maskedMseLoss', eHat, options.mask);
  return tidy(() => maskedMean(eHat.sub(t).square().mean(-1), options.mask));
}
