/**
 * `mlp-cos` (docs/method.md 6.3, Table 2 in 12.3): a 1-hidden-layer MLP head predicts the semantic
 * feature, trained with `1 - cos` against `sg(f_i)`; the prediction is fed back through `P`.
 */
import { Tensor, noGrad } from '@unihetero/tensor';
import type { MLP } from '@unihetero/nn';
import { headMLP, runHead, type InvertProjectorConfig } from '../invert-projector.js';
import { FeatureCosineProjector } from './feature-cosine.js';

/** `G = Linear(d, d) -> GELU -> Linear(d, d_v)`, target `sg(f)`, loss `mean(1 - cos)`, feedback `P(e_hat)`. */
export class MlpCosProjector extends FeatureCosineProjector {
  /** Registry name. */
  readonly variant: string = 'mlp-cos';
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
}

/** Factory of `mlp-cos` for the registry. */
export const mlpCos = (config: InvertProjectorConfig): MlpCosProjector => new MlpCosProjector(config);
