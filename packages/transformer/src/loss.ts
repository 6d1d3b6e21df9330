/**
 * The text loss: next-token cross-entropy with an ignore index, plus Chameleon's z-loss
 * `lambda_z * mean_{i in T} logsumexp(logits_i)^2` over the same labelled positions `T`
 * (docs/method.md 1.3). Both come from one fused cross-entropy pass (`crossEntropyWithLogsumexp`),
 * which also returns the `logsumexp` per position: `CE_i = logZ_i - logit_{i, y_i}`.
 */
import { Tensor, crossEntropyWithLogsumexp, tidy, where } from '@unihetero/tensor';

/** Options of `textLoss`. */
export interface TextLossOptions {
  /** Labels equal to this carry no loss (default -100, as PyTorch/HF). */
  ignoreIndex?: number;
  /** z-loss weight `lambda_z` (default 1e-5, Chameleon; 0 disables it). */
  zLossWeight?: number;
  /**
   * `true` (default, HF's causal-LM convention): `labels` are aligned with the inputs and the
   * loss compares `logits[:, t]` with `labels[:, t+1]`. `false`: `labels[..., t]` is the target of
   * `logits[..., t]` as given.
   */
  shift?: boolean;
}

/** The parts of the text loss (scalars). */
export interface TextLoss {
  /** `crossEntropy + zLoss` (what to back-propagate). */
  loss: Tensor;
  /** Mean cross-entropy over the labelled positions (0 when there are none). */
  crossEntropy: Tensor;
  /** `lambda_z * mean(logZ^2)` over the labelled positions (0 when there are none or lambda is 0). */
  zLoss: Tensor;
  /** Number of labelled positions (a scalar tensor, for averaging over micro-batches). */
  count: Tensor;
}

/** Cross-entropy + z-loss of `logits [..., V]` against int32 `labels [...]` (see `TextLossOptions`). */
export function textLoss(logits: Tensor, labels: Tensor, options: TextLossOptions = {}): TextLoss {
  const ignoreIndex = options.ignoreIndex ?? -100;
  const lambda = options.zLossWeight ?? 1e-5;
  const shift = options.shift ?? true;
  if (labels.dtype !== 'int32') throw new Error(`textLoss: labels must be int32, got ${labels.dtype}`);
  if (logits.rank !== labels.rank + 1 || labels.shape.some((s, i) => s !== logits.shape[i])) {
    throw new Error(`textLoss: logits ${JSON.stringify(logits.shape)} must be labels ${JSON.stringify(labels.shape)} plus a vocabulary dim`);
  }
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new Error(`textLoss: zLossWeight must be a finite number >= 0, got ${lambda}`);
  if (shift && labels.rank < 1) throw new Error('textLoss: shift needs labels with a sequence dim');
  return tidy(() => {
    const V = logits.shape[logits.rank - 1]!;
    let lg = logits;
    let lb = labels;
    if (shift) {
      const seqDim = labels.rank - 1;
      const L = labels.shape[seqDim]!;
      lg = logits.narrow(seqDim, 0, Math.max(0, L - 1));
      lb = labels.narrow(seqDim, 1, Math.max(0, L - 1));
    }
    const n = lb.size;
    const flatLabels = lb.reshape(n);
    // One fused pass gives the mean CE over the labelled positions, every position's logsumexp and the count.
    const { loss: ce, logsumexp: logZ, count } = crossEntropyWithLogsumexp(lg.reshape(n, V), flatLabels, { ignoreIndex });
    const z = lambda > 0 ? where(flatLabels.ne(ignoreIndex), logZ.square(), 0).sum().div(count.maximum(1)).mul(lambda) : ce.mul(0).detach();
    return { loss: ce.add(z), crossEntropy: ce, zLoss: z, count };
  });
}
