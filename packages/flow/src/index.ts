/**
 * @unihetero/flow: the per-token flow-matching decoder head (MAR's AdaLN MLP), its loss
 * ("diffuloss"), Euler/Heun ODE samplers with temperature and classifier-free guidance, and a
 * head-only warm-up loop (docs/method.md section 8).
 */
export {
  FLOW_HEAD_SIZES,
  flowHeadConfig,
  flowHeadParamCount,
  resolveFlowHeadConfig,
  type FlowHeadConfig,
  type FlowHeadOptions,
  type FlowHeadSize,
  type FlowHeadSizeName,
} from './config.js';
export { TimestepEmbedder, sincosFrequencies, timestepEmbedding, type TimestepEmbedderOptions, type TimestepEmbeddingOptions } from './embedding.js';
export { AdaLNResBlock, FinalLayer, FlowHead, modulate, type FlowHeadCreateOptions } from './head.js';
export {
  flowInterpolate,
  flowMatchingLoss,
  resolveTimeDistribution,
  sampleTimes,
  type FlowLossOptions,
  type TimeDistribution,
  type TimeDistributionSpec,
} from './loss.js';
export { integrateFlow, sampleFlow, timeGrid, type FlowSampleOptions, type OdeMethod, type OdeOptions, type VelocityFn } from './sampler.js';
export { warmupFlowHead, type WarmupBatch, type WarmupOptions, type WarmupPairs, type WarmupProgress, type WarmupResult } from './warmup.js';
