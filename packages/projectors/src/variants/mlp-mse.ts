/**
 * `mlp-mse` (docs/method.md 6.2-6.3, Table 2 in 12.3): the `mlp-cos` head and target, trained with
 * `mean_c (e_hat - t)^2` instead of the cosine.
 */
import type { Tensor } from '@unihetero/tensor';
import { maskedMseLoss } from '../losses.js';
import type { InvertProjectorConfig } from '../invert-projector.js';
import { MlpCosProjector } from './mlp-cos.js';

/** As `mlp-cos`, with the loss `mean_{i in M} mean_c (e_hat_{i,c} - t_{i,c})^2`. */
export class MlpMseProjector extends MlpCosProjector {
  /** Registry name. */
  override readonly variant: string = 'mlp-mse';

  /** Build the head from the shared config. */
  constructor(config: InvertProjectorConfig) {
    super(config, 'mlp-mse');
  }

  /** `mean_{i in M} mean_c (e_hat_{i,c} - t_{i,c})^2`. */
  override loss(eHat: Tensor, t: Tensor, mask?: Tensor): Tensor {
    return maskedMseLoss(eHat, t, { mask });
  }
}

/** Factory of `mlp-mse` for the registry. */
export const mlpMse = (config: InvertProjectorConfig): MlpMseProjector => new MlpMseProjector(config);
