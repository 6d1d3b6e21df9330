/**
 * The part `mlp-cos` and `norm-3-mlp-cos` share (docs/method.md 6.3): a prediction in the semantic
 * feature space, fitted with `mean(1 - cos)` and fed back through the input projector `P`.
 */
import type { Tensor } from '@unihetero/tensor';
import { cosineLoss } from '../losses.js';
import { InvertProjector, type TargetSpace } from '../invert-projector.js';

/** Base of the feature-space cosine variants: they supply the head (`predict`) and the target. */
export abstract class FeatureCosineProjector extends InvertProjector {
  /** Fits the semantic feature. */
  readonly targetSpace: TargetSpace = 'feature';

  /** `mean_{i in M} (1 - cos(e_hat_i, t_i))`. */
  loss(eHat: Tensor, t: Tensor, mask?: Tensor): Tensor {
    return cosineLoss(eHat, t, { mask, eps: this.eps });
  }

  /** `P(e_hat)`: the predicted feature through the input projector. */
  feedback(eHat: Tensor): Tensor {
    this.checkLast('feedback', 'prediction', eHat, this.featureDim, 'featureDim');
    return this.inputProjector.call(eHat);
  }
}
