/**
 * `linear-embed-cos`: one Linear head `d -> d` fitted with the cosine loss to the input projector's
 * embedding of the true token, `sg(P(f))`; the prediction is fed back as is (docs/method.md 6.3).
 */
import { Tensor, noGrad } from '@unihetero/tensor';
import { Linear } from '@unihetero/nn';
import { cosineLoss } from '../losses.js';
import { InvertProjector, type InvertProjectorConfig, type TargetSpace } from '../invert-projector.js';

/** `G = Linear(d, d)`, target `sg(P(f))`, loss `mean(1 - cos)`, feedback `e_hat`. */
export class LinearEmbedCosProjector extends InvertProjector {
  /** Registry name. */
  readonly variant: string = 'linear-embed-cos';
  /** Fits the LLM input embedding. */
  readonly targetSpace: TargetSpace = 'embedding';
  /** The head `G`. */
  head: Linear;

  /** Build the head from the shared config. */
  constructor(config: InvertProjectorConfig) {
    super('linear-embed-cos', config);
    this.head = new Linear(this.llmDim, this.llmDim, { generator: config.generator, backend: config.backend, dtype: config.dtype });
  }

  /** `z [..., d] -> e_hat [..., d]`. */
  predict(z: Tensor): Tensor {
    this.checkLast('predict', 'hidden state', z, this.llmDim, 'llmDim');
    return this.head.call(z);
  }

  /** `sg(P(f))`: the features through the live input projector, without gradient. */
  target(features: Tensor): Tensor {
    this.checkLast('target', 'feature', features, this.featureDim, 'featureDim');
    return noGrad(() => this.inputProjector.call(features));
  }

  /** `mean_{i in M} (1 - cos(e_hat_i, t_i))`. */
  loss(eHat: Tensor, t: Tensor, mask?: Tensor): Tensor {
    return cosineLoss(eHat, t, { mask, eps: this.eps });
  }

  /** `e_hat` itself (a new handle). */
  feedback(eHat: Tensor): Tensor {
    this.checkLast('feedback', 'prediction', eHat, this.llmDim, 'llmDim');
    return eHat.reshape([...eHat.shape]);
  }
}

/** Factory of `linear-embed-cos` for the registry. */
export const linearEmbedCos = (config: InvertProjectorConfig): LinearEmbedCosProjector => new LinearEmbedCosProjector(config);
