/**
 * `mlp-cos` (docs/method.md 6.3, Table 2 in 12.3): a 1-hidden-layer MLP head predicts the semantic
 * feature, trained with `1 - cos` against `sg(f_i)`; the prediction is fed back through `P`.
 */
import { Tensor, noGrad } from '@unihetero/tensor';
import type { MLP } from '@unihetero/nn';
import { cosineLoss } from '../losses.js';
import { InvertProjector, headMLP, runHead, type InvertProjectorConfig, type TargetSpace } from '../invert-projector.js';

/** `G = Linear(d, d) -> GELU -> Linear(d, d_v)`, target `sg(f)`, loss `mean(1 - cos)`, feedback `P(e_hat)`. */
export class MlpCosProjector extends InvertProjector {
  /** Registry name. */
  readonly variant: string = 'mlp-cos';
  /** Fits the semantic feature. */
  readonly targetSpace: TargetSpace = 'feature';
  /** The head `G` (`head.layers.0`, `head.layers.1`). */
  head: MLP;

  /** Build the head from the shared config. */
  constructor(config: InvertProjectorConfig, name = 'mlp-cos') {
    super(name, config);
    this.head = headMLP(config, this.hiddenDim, 1, this.featureDim);
  }

  /** `z [..., d] -> e_hat [..., d_v]`. */
  predict(z: Tensor): Tensor {
    this.checkLast('predict', 'hidden state', z, this.llmDim, 'llmDim');
    return runHead(this.head, z);
  }

  /** `sg(f)`: the features themselves, detached. */
  target(features: Tensor): Tensor {
    this.checkLast('target', 'feature', features, this.featureDim, 'featureDim');
    return noGrad(() => features.detach());
  }

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

/** Factory of `mlp-cos` for the registry. */
export const mlpCos = (config: InvertProjectorConfig): MlpCosProjector => new MlpCosProjector(config);
