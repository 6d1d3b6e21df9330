/**
 * @unihetero/transformer: a Llama-2-style decoder with RoPE (HF layout), Chameleon's qk-norm and
 * z-loss, mixed causal / image-span attention from a compact description, a KV cache, sampling,
 * and Hugging Face weight names and configs.
 */
export { defineConfig, llamaIntermediateSize, type QKNorm, type TransformerConfig, type TransformerConfigInput } from './config.js';
export { ropeInverseFrequencies, ropeTables, applyRope, rotateHalf, swapHalves, metaToHFRotary, hfToMetaRotary, type RopeTables } from './rope.js';
export {
  MASKED_LOGIT,
  attentionBias,
  chunkKeyValid,
  expandMask,
  spansPerSample,
  type AttentionLayout,
  type ExpandedMask,
  type MaskGeometry,
  type Span,
} from './mask.js';
export { KVCache, type KVCacheOptions } from './cache.js';
export { Attention, DecoderLayer, HeadNorm, decoderMLP, project, type BlockOptions, type ForwardContext } from './layers.js';
/** The decoder layer's gated MLP is nn's one gated MLP block (re-exported for compatibility). */
export { GatedMLP } from '@unihetero/nn';
export { TransformerLM, TransformerModel, type ForwardInput, type ForwardOutput, type TransformerOptions } from './model.js';
export { textLoss, type TextLoss, type TextLossOptions } from './loss.js';
export {
  gatherRows,
  packSequences,
  sequenceInput,
  type ImagePart,
  type PackOptions,
  type PackedSequences,
  type SequenceInput,
  type SequenceInputOptions,
  type SequencePart,
  type TextPart,
} from './sequences.js';
export { argmax, sampleFromLogits, sampleTokens, samplingProbabilities, type SamplingOptions } from './sampling.js';
export { generate, type GenerateOptions } from './generate.js';
export { configFromHF, configToHF, loadHFWeights, saveHFPretrained, loadHFPretrained, type LoadHFWeightsOptions } from './hf.js';
export { benchConfig, createBenchmark, type TransformerBenchmark } from './bench.js';
