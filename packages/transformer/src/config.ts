/**
 * The decoder's configuration: Llama-2 sizes plus Chameleon's stability options (docs/method.md
 * sections 1.1-1.5), with defaults and validation that names the offending field.
 */

/** Query/key normalisation before RoPE (docs/method.md 1.2). */
export type QKNorm = 'none' | 'layernorm-shared' | 'layernorm-per-head';

/** Every field of a decoder configuration (see `defineConfig` for the defaults). */
export interface TransformerConfig {
  /** Vocabulary size `V`. */
  vocabSize: number;
  /** Model width `d`. */
  hiddenSize: number;
  /** SwiGLU hidden size. */
  intermediateSize: number;
  /** Number of decoder layers. */
  numHiddenLayers: number;
  /** Query heads `H`. */
  numAttentionHeads: number;
  /** Key/value heads `H_kv` (divides `H`; `H_kv < H` is grouped-query attention). */
  numKeyValueHeads: number;
  /** Per-head width `d_h` (even, for RoPE). */
  headDim: number;
  /** RMSNorm epsilon (Llama-2: 1e-5). */
  rmsNormEps: number;
  /** RoPE base `theta` (Llama-2: 10000). */
  ropeTheta: number;
  /** Longest sequence the model is meant for (positions are not limited by it; caches size by it). */
  maxPositionEmbeddings: number;
  /** Share the LM head with the input embedding (no `lm_head.weight`). */
  tieWordEmbeddings: boolean;
  /** QK-norm variant (docs/method.md 1.2). */
  qkNorm: QKNorm;
  /** QK-norm LayerNorm epsilon (Chameleon hard-wires 1e-5). */
  qkNormEps: number;
  /** z-loss weight `lambda_z` used by the model's loss (docs/method.md 1.3; 0 disables it). */
  zLossWeight: number;
  /** Standard deviation of the N(0, std^2) init of Linear and Embedding weights (docs/method.md 1.5). */
  initializerRange: number;
}

/** A partial configuration: the sizes are required, everything else has a default. */
export type TransformerConfigInput = Pick<TransformerConfig, 'vocabSize' | 'hiddenSize' | 'numHiddenLayers' | 'numAttentionHeads'> & Partial<TransformerConfig>;

/** Llama's SwiGLU hidden size `m * ceil(floor(2*4d/3) * mult / m)` (docs/method.md 1.1). */
export function llamaIntermediateSize(hiddenSize: number, multipleOf = 32, ffnDimMultiplier = 1): number {
  positiveInt('llamaIntermediateSize', 'hiddenSize', hiddenSize);
  positiveInt('llamaIntermediateSize', 'multipleOf', multipleOf);
  const base = Math.floor(Math.floor((2 * 4 * hiddenSize) / 3) * ffnDimMultiplier);
  return multipleOf * Math.ceil(base / multipleOf);
}

function positiveInt(op: string, field: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`${op}: ${field} must be a positive integer, got ${String(v)}`);
}

function positiveNumber(op: string, field: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`${op}: ${field} must be a positive finite number, got ${String(v)}`);
}

const QK_NORMS: readonly QKNorm[] = ['none', 'layernorm-shared', 'layernorm-per-head'];
const KNOWN = new Set<string>([
  'vocabSize', 'hiddenSize', 'intermediateSize', 'numHiddenLayers', 'numAttentionHeads', 'numKeyValueHeads', 'headDim',
  'rmsNormEps', 'ropeTheta', 'maxPositionEmbeddings', 'tieWordEmbeddings', 'qkNorm', 'qkNormEps', 'zLossWeight', 'initializerRange',
]);

/**
 * Fill in defaults and validate: `numKeyValueHeads = numAttentionHeads`, `headDim = d / H`,
 * `intermediateSize = llamaIntermediateSize(d, 32)`, `rmsNormEps 1e-5`, `ropeTheta 10000`,
 * `maxPositionEmbeddings 2048`, untied head, `qkNorm 'layernorm-shared'` (docs/method.md 1.2
 * PROPOSAL), `qkNormEps 1e-5`, `zLossWeight 1e-5`, `initializerRange 0.02`.
 */
export function defineConfig(input: TransformerConfigInput): TransformerConfig {
  const op = 'defineConfig';
  if (typeof input !== 'object' || input === null) throw new Error(`${op}: expected a config object, got ${String(input)}`);
  for (const k of Object.keys(input)) if (!KNOWN.has(k)) throw new Error(`${op}: unknown field '${k}' (known: ${[...KNOWN].join(', ')})`);
  for (const f of ['vocabSize', 'hiddenSize', 'numHiddenLayers', 'numAttentionHeads'] as const) positiveInt(op, f, input[f]);
  const heads = input.numAttentionHeads;
  const cfg: TransformerConfig = {
    vocabSize: input.vocabSize,
    hiddenSize: input.hiddenSize,
    intermediateSize: input.intermediateSize ?? llamaIntermediateSize(input.hiddenSize, 32),
    numHiddenLayers: input.numHiddenLayers,
    numAttentionHeads: heads,
    numKeyValueHeads: input.numKeyValueHeads ?? heads,
    headDim: input.headDim ?? input.hiddenSize / heads,
    rmsNormEps: input.rmsNormEps ?? 1e-5,
    ropeTheta: input.ropeTheta ?? 10000,
    maxPositionEmbeddings: input.maxPositionEmbeddings ?? 2048,
    tieWordEmbeddings: input.tieWordEmbeddings ?? false,
    qkNorm: input.qkNorm ?? 'layernorm-shared',
    qkNormEps: input.qkNormEps ?? 1e-5,
    zLossWeight: input.zLossWeight ?? 1e-5,
    initializerRange: input.initializerRange ?? 0.02,
  };
  if (input.headDim === undefined && cfg.hiddenSize % heads !== 0) {
    throw new Error(`${op}: hiddenSize ${cfg.hiddenSize} is not divisible by numAttentionHeads ${heads} (or give headDim)`);
  }
  for (const f of ['intermediateSize', 'numKeyValueHeads', 'headDim', 'maxPositionEmbeddings'] as const) positiveInt(op, f, cfg[f]);
  if (heads % cfg.numKeyValueHeads !== 0) throw new Error(`${op}: numKeyValueHeads ${cfg.numKeyValueHeads} must divide numAttentionHeads ${heads}`);
  if (cfg.headDim % 2 !== 0) throw new Error(`${op}: headDim ${cfg.headDim} must be even for RoPE`);
  for (const f of ['rmsNormEps', 'ropeTheta', 'qkNormEps', 'initializerRange'] as const) positiveNumber(op, f, cfg[f]);
  if (typeof cfg.zLossWeight !== 'number' || !Number.isFinite(cfg.zLossWeight) || cfg.zLossWeight < 0) {
    throw new Error(`${op}: zLossWeight must be a finite number >= 0, got ${String(cfg.zLossWeight)}`);
  }
  if (typeof cfg.tieWordEmbeddings !== 'boolean') throw new Error(`${op}: tieWordEmbeddings must be a boolean, got ${String(cfg.tieWordEmbeddings)}`);
  if (!QK_NORMS.includes(cfg.qkNorm)) throw new Error(`${op}: qkNorm must be one of ${QK_NORMS.join(', ')}, got '${String(cfg.qkNorm)}'`);
  return cfg;
}
