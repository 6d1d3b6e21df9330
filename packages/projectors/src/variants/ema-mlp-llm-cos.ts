/**
 * `ema-mlp-llm-cos` (docs/method.md 6.3-6.4, Table 2's best in 12.3, UniHetero's takeaway 3): the head
 * predicts the LLM *input embedding* of the true token, whose target comes from an EMA copy
 * `P_ema` of the input projector applied to the frozen feature. The prediction is fed back as is.
 */
import { Tensor, noGrad } from '@unihetero/tensor';
import { ExponentialMovingAverage, type MLP } from '@unihetero/nn';
import { cosineLoss } from '../losses.js';
import { InvertProjector, headMLP, runHead, type InvertProjectorConfig, type TargetSpace } from '../invert-projector.js';

/** Default EMA momentum `mu` (docs/method.md 6.4). */
export const DEFAULT_EMA_MOMENTUM = 0.999;

/**
 * `G = Linear(d, d) -> GELU -> Linear(d, d)`, target `sg(P_ema(f))`, loss `mean(1 - cos)`,
 * feedback `e_hat`. `P_ema` is the submodule `ema` (an `ExponentialMovingAverage` of `P` whose
 * buffers `ema.0.weight`, ... are in the state dict, not in `parameters()`): it starts as a copy
 * of `P` and `afterOptimizerStep()` applies `theta_ema <- mu theta_ema + (1 - mu) theta_P`.
 */
export class EmaMlpLlmCosProjector extends InvertProjector {
  /** Registry name. */
  readonly variant: string = 'ema-mlp-llm-cos';
  /** Fits the LLM input embedding. */
  readonly targetSpace: TargetSpace = 'embedding';
  /** The head `G` (`head.layers.0`, `head.layers.1`). */
  head: MLP;
  /** The averaged input projector `P_ema` (buffers named like `P`'s parameters). */
  ema: ExponentialMovingAverage;

  /** Build the head and copy `P` into `P_ema`; `config.momentum` defaults to 0.999. */
  constructor(config: InvertProjectorConfig) {
    super('ema-mlp-llm-cos', config);
    const mu = config.momentum ?? DEFAULT_EMA_MOMENTUM;
    if (typeof mu !== 'number' || !(mu >= 0 && mu <= 1)) throw new Error(`ema-mlp-llm-cos: momentum must be in [0, 1], got ${String(mu)}`);
    this.head = headMLP(config, this.hiddenDim, 1, this.llmDim);
    this.ema = new ExponentialMovingAverage(this.inputProjector, { decay: mu });
  }

  /** EMA momentum `mu`. */
  get momentum(): number {
    return this.ema.decay;
  }

  /** `z [..., d] -> e_hat [..., d]`. */
  predict(z: Tensor): Tensor {
    this.checkLast('predict', 'hidden state', z, this.llmDim, 'llmDim');
    return runHead(this.head, z);
  }

  /** `sg(P_ema(f))`: the features through the averaged projector, without gradient. */
  target(features: Tensor): Tensor {
    this.checkLast('target', 'feature', features, this.featureDim, 'featureDim');
    const shadows = this.ema.shadows();
    return noGrad(() => this.inputProjector.forwardWith((name) => shadows.get(name), features, 'ema-mlp-llm-cos.target'));
  }

  /** `mean_{i in M} (1 - cos(e_hat_i, t_i))`. */
  loss(eHat: Tensor, t: Tensor, mask?: Tensor): Tensor {
    return cosineLoss(eHat, t, { mask, eps: this.eps });
  }

  /** `e_hat` itself (a new handle on the same values; differentiable). */
  feedback(eHat: Tensor): Tensor {
    this.checkLast('feedback', 'prediction', eHat, this.llmDim, 'llmDim');
    return eHat.reshape([...eHat.shape]);
  }

  /** `theta_ema <- mu theta_ema + (1 - mu) theta_P` on device, without gradient (docs/method.md 6.4). */
  override afterOptimizerStep(): void {
    this.ema.update();
  }
}

/** Factory of `ema-mlp-llm-cos` for the registry. */
export const emaMlpLlmCos = (config: InvertProjectorConfig): EmaMlpLlmCosProjector => new EmaMlpLlmCosProjector(config);
