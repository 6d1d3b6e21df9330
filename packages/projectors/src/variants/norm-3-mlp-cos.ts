/**
 * `norm-3-mlp-cos` (docs/method.md 6.3, Table 2 in 12.3; MetaMorph's `normalize_vision`): a deeper
 * head whose output is L2-normalised, fitted with the cosine to the normalised feature; the
 * input projector must normalise its input too, so `P` is trained on the same unit vectors it
 * receives back at inference.
 */
import { Tensor, noGrad } from '@unihetero/tensor';
import type { MLP } from '@unihetero/nn';
import { l2Normalize } from '../losses.js';
import { headMLP, runHead, type InvertProjectorConfig } from '../invert-projector.js';
import { FeatureCosineProjector } from './feature-cosine.js';

/**
 * `G = Linear(d, d) -> GELU -> Linear(d, d) -> GELU -> Linear(d, d_v)`, `e_hat = G(z)/|G(z)|`,
 * target `sg(f/|f|)`, loss `mean(1 - cos)`, feedback `P(e_hat)` (P normalises its input, a no-op
 * on the unit-norm prediction up to rounding).
 */
export class Norm3MlpCosProjector extends FeatureCosineProjector {
  /** Registry name. */
  readonly variant: string = 'norm-3-mlp-cos';
  /** The head `G` (`head.layers.0` .. `head.layers.2`). */
  head: MLP;

  /** Build the head; the input projector must have `normalizeInput: true`. */
  constructor(config: InvertProjectorConfig) {
    super('norm-3-mlp-cos', config);
    if (!this.inputProjector.normalizeInput) {
      throw new Error(
        'norm-3-mlp-cos: the input projector must L2-normalise its input (InputProjector option normalizeInput: true), since this variant predicts unit-norm features and feeds them back through it (docs/method.md 6.3)',
      );
    }
    this.head = headMLP(config, this.hiddenDim, 2, this.featureDim);
  }

  /** `z [..., d] -> G(z)/max(|G(z)|, eps) [..., d_v]`. */
  predict(z: Tensor): Tensor {
    this.checkLast('predict', 'hidden state', z, this.llmDim, 'llmDim');
    return runHead(this.head, z, (y) => l2Normalize(y, this.inputProjector.normalizeEps));
  }

  /** `sg(f / max(|f|, eps))`. */
  target(features: Tensor): Tensor {
    this.checkLast('target', 'feature', features, this.featureDim, 'featureDim');
    return noGrad(() => l2Normalize(features, this.inputProjector.normalizeEps));
  }
}

/** Factory of `norm-3-mlp-cos` for the registry. */
export const norm3MlpCos = (config: InvertProjectorConfig): Norm3MlpCosProjector => new Norm3MlpCosProjector(config);
