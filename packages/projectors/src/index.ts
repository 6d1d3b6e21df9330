/**
 * @unihetero/projectors: the input projector (semantic features -> LLM input embeddings) and
 * the invert-projectors (`mlp-cos`, `mlp-mse`, `norm-3-mlp-cos`, `ema-mlp-llm-cos`) with their
 * masked cosine / MSE losses and a registry by name (docs/method.md sections 4 and 6).
 */
export {
  COSINE_EPS,
  NORMALIZE_EPS,
  cosineLoss,
  cosineSimilaritySafe,
  l2Normalize,
  maskedMean,
  maskedMseLoss,
  type CosineLossOptions,
  type MaskedLossOptions,
} from './losses.js';
export { InputProjector, projectorDepth, type InputProjectorOptions, type InputProjectorType, type WeightLookup } from './input-projector.js';
export { InvertProjector, checkWidth, headMLP, runHead, type InvertProjectorConfig, type TargetSpace } from './invert-projector.js';
export { FeatureCosineProjector } from './variants/feature-cosine.js';
export { MlpCosProjector, mlpCos } from './variants/mlp-cos.js';
export { MlpMseProjector, mlpMse } from './variants/mlp-mse.js';
export { Norm3MlpCosProjector, norm3MlpCos } from './variants/norm-3-mlp-cos.js';
export { DEFAULT_EMA_MOMENTUM, EmaMlpLlmCosProjector, emaMlpLlmCos } from './variants/ema-mlp-llm-cos.js';
export {
  BUILTIN_INVERT_PROJECTORS,
  DEFAULT_INVERT_PROJECTOR,
  createInvertProjector,
  hasInvertProjector,
  invertProjectorNames,
  registerInvertProjector,
  unregisterInvertProjector,
  type InvertProjectorFactory,
  type RegisterOptions,
} from './registry.js';
