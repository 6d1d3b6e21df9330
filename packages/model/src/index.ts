/**
 * @unihetero/model: the UniHetero unified vision-language model (docs/method.md 0, 9-12): sequence
 * building, the composed loss with the paper's presets, MAR-style generation, understanding, a
 * trainer with exact resume, and the evaluation used by the apps.
 */
export { ModelConfigSchema, BackboneSchema, BACKBONE_DEFAULTS, type BackboneConfig, type BackboneConfigInput, FlowSchema, LossSchema, DataMixSchema, ConfigError, resolveModelConfig, formatIssues, type ModelConfig, type ModelConfigInput } from './config.js';
export { PRESET_NAMES, applyPreset, getPreset, presetNames, registerPreset, type Preset } from './presets.js';
export { buildSequences, type BuildOptions, type SequenceBatch, type SequenceExample, type SpecialIds } from './sequence.js';
export { UniHetero, type LossParts, type PreparedBatch, type UniHeteroOptions } from './model.js';
export { generateImages, type GenerateOptions, type GenerationResult, type GenerationStep } from './generate.js';
export { answerQuestions, decodeFromEmbeddings, describeImages, visualEmbeddings, type CaptionOptions, type ChoiceQuestion, type ChoiceResult } from './understand.js';
export { checkSourceImageSize, referenceCaption, type GenerationJudge, type SampleSource, type SourceSample, type TextSpecialIds, type TextTokenizer } from './source.js';
export { NonFiniteLossError, Trainer, batchExamples, trainsGeneration, type BatchFeatureEncoder, type StepMetrics, type TrainerOptions } from './trainer.js';
export { ObjectRecallTally, formatObjectRecallBreakdown, sameObject, type ObjectMisses, type ObjectRecallSummary } from './object-recall.js';
export { evaluateCaptioning, evaluateGeneration, evaluateRoundTrip, evaluateUnderstanding, roundTrip, type CaptioningReport, type EvalSet, type GenerationReport, type SourceGenerationReport, type RoundTripReport, type UnderstandingReport } from './evaluate.js';
export { createModel, createShapesModel, loadModel, loadShapesModel, readCheckpointSpec, type CheckpointBuild, type LoadedModel, type ModelSpec, type ShapesModel, type ShapesModelSpec } from './shapes.js';
export { createShapesModelFrom, loadEncoderFromBytes, loadShapesModelFromBytes, readCheckpointMetaFromBytes, shapesCheckpointBytes, type CheckpointBytesOptions, type EncoderSource } from './portable.js';
export {
  decodeImages,
  diagnoseGeneration,
  evaluateDecoder,
  evaluateSemantics,
  fitSemanticProbe,
  judgeImages,
  scoreCellReadings,
  semanticTargets,
  type CellReading,
  type CellScores,
  type DecoderReport,
  type DiagnoseOptions,
  type DiagnosisReport,
  type SemanticProbe,
  type SemanticsReport,
} from './diagnose.js';
export { CAPTIONER_RECIPE, GENERATION_RECIPE, RECIPE_NAMES, getRecipe, mergeConfig, registerRecipe, type Recipe } from './recipes.js';
