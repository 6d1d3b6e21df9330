/**
 * Hugging Face interop: `config.json` (LlamaConfig / ChameleonConfig fields) to and from our
 * config, and `.safetensors` weights under HF's Llama names (docs/method.md 1.4). Our parameter names
 * ARE the HF names, so `loadStateDict` / nn's `loadSafetensors` work directly; `loadHFWeights`
 * only skips keys HF files may carry that are not parameters (`rotary_emb.inv_freq`, a tied
 * `lm_head.weight`).
 */
import { loadSafetensors, saveSafetensors, type LoadReport } from '@unihetero/nn';
import { defineConfig, type QKNorm, type TransformerConfig, type TransformerConfigInput } from './config.js';
import { TransformerLM, type TransformerOptions } from './model.js';
import { nodeBuiltin } from './node-builtin.js';

type Json = Record<string, unknown>;

function num(op: string, json: Json, key: string, fallback?: number): number {
  const v = json[key];
  if (v === undefined || v === null) {
    if (fallback === undefined) throw new Error(`${op}: config.json lacks the required field '${key}'`);
    return fallback;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${op}: config.json field '${key}' must be a number, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Our config from a Hugging Face `config.json` object (Llama or Chameleon). Llama gets
 * `qkNorm: 'none'`, Chameleon `'layernorm-per-head'` (HF stores `[H, d_h]` norms), unless the
 * file has our `qk_norm` field or `overrides` says otherwise. Unsupported features (RoPE
 * scaling, biases, non-SiLU activations, Chameleon's swin norm) are errors, not silently ignored.
 */
export function configFromHF(json: unknown, overrides: Partial<TransformerConfig> = {}): TransformerConfig {
  const op = 'configFromHF';
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${op}: expected a config.json object, got ${JSON.stringify(json)}`);
  const j = json as Json;
  const type = j.model_type ?? 'llama';
  if (type !== 'llama' && type !== 'chameleon') throw new Error(`${op}: model_type '${String(type)}' is not supported (expected 'llama' or 'chameleon')`);
  const act = j.hidden_act ?? 'silu';
  if (act !== 'silu') throw new Error(`${op}: hidden_act '${String(act)}' is not supported (Llama uses 'silu')`);
  if (j.rope_scaling !== undefined && j.rope_scaling !== null) throw new Error(`${op}: rope_scaling ${JSON.stringify(j.rope_scaling)} is not supported (plain RoPE only)`);
  for (const key of ['attention_bias', 'mlp_bias']) {
    if (j[key] === true) throw new Error(`${op}: ${key}: true is not supported (Llama has no biases)`);
  }
  if (j.swin_norm === true) throw new Error(`${op}: swin_norm: true (Chameleon-34B's norm order) is not supported; only pre-norm`);
  if (j.tie_word_embeddings !== undefined && typeof j.tie_word_embeddings !== 'boolean') {
    throw new Error(`${op}: config.json field 'tie_word_embeddings' must be a boolean, got ${JSON.stringify(j.tie_word_embeddings)}`);
  }
  let qkNorm: QKNorm = type === 'chameleon' ? 'layernorm-per-head' : 'none';
  if (j.qk_norm !== undefined) qkNorm = j.qk_norm as QKNorm;
  const heads = num(op, j, 'num_attention_heads');
  const input: TransformerConfigInput = {
    vocabSize: num(op, j, 'vocab_size'),
    hiddenSize: num(op, j, 'hidden_size'),
    intermediateSize: num(op, j, 'intermediate_size'),
    numHiddenLayers: num(op, j, 'num_hidden_layers'),
    numAttentionHeads: heads,
    numKeyValueHeads: num(op, j, 'num_key_value_heads', heads),
    rmsNormEps: num(op, j, 'rms_norm_eps', 1e-6),
    ropeTheta: num(op, j, 'rope_theta', 10000),
    maxPositionEmbeddings: num(op, j, 'max_position_embeddings', 2048),
    tieWordEmbeddings: (j.tie_word_embeddings as boolean | undefined) ?? false,
    initializerRange: num(op, j, 'initializer_range', 0.02),
    qkNorm,
  };
  if (j.head_dim !== undefined && j.head_dim !== null) input.headDim = num(op, j, 'head_dim');
  if (j.z_loss_weight !== undefined) input.zLossWeight = num(op, j, 'z_loss_weight');
  try {
    return defineConfig({ ...input, ...overrides });
  } catch (err) {
    throw new Error(`${op}: ${(err as Error).message}`);
  }
}

/**
 * A Hugging Face `config.json` object for our config: `LlamaForCausalLM` (or
 * `ChameleonForConditionalGeneration` for per-head qk-norm), plus our `qk_norm` and
 * `z_loss_weight` fields so `configFromHF` restores the config exactly.
 */
export function configToHF(config: TransformerConfig): Record<string, unknown> {
  const c = defineConfig(config);
  const chameleon = c.qkNorm === 'layernorm-per-head';
  return {
    architectures: [chameleon ? 'ChameleonForConditionalGeneration' : 'LlamaForCausalLM'],
    model_type: chameleon ? 'chameleon' : 'llama',
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.numHiddenLayers,
    num_attention_heads: c.numAttentionHeads,
    num_key_value_heads: c.numKeyValueHeads,
    head_dim: c.headDim,
    hidden_act: 'silu',
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    rope_scaling: null,
    max_position_embeddings: c.maxPositionEmbeddings,
    tie_word_embeddings: c.tieWordEmbeddings,
    initializer_range: c.initializerRange,
    attention_bias: false,
    mlp_bias: false,
    torch_dtype: 'float32',
    qk_norm: c.qkNorm,
    z_loss_weight: c.zLossWeight,
  };
}

/** Options of `loadHFWeights`. */
export interface LoadHFWeightsOptions {
  /** Throw on missing/unexpected/mismatched keys, loading nothing (default true). */
  strict?: boolean;
}

/**
 * Load HF-layout `.safetensors` weights (path or bytes) into a model in place. Skips
 * `*.rotary_emb.inv_freq` buffers and, for a tied model, a stored `lm_head.weight`.
 */
export async function loadHFWeights(model: TransformerLM, source: string | Uint8Array, options: LoadHFWeightsOptions = {}): Promise<LoadReport> {
  const tied = model.config.tieWordEmbeddings;
  return loadSafetensors(model, source, {
    strict: options.strict ?? true,
    remap: (key) => (key.endsWith('.rotary_emb.inv_freq') || (tied && key === 'lm_head.weight') ? null : key),
  });
}

/** Write `config.json` and `model.safetensors` into `dir` (created if needed), HF style. */
export async function saveHFPretrained(dir: string, model: TransformerLM): Promise<void> {
  const fs = nodeBuiltin<typeof import('node:fs/promises')>('node:fs/promises', 'saveHFPretrained');
  const path = nodeBuiltin<typeof import('node:path')>('node:path', 'saveHFPretrained');
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'config.json'), `${JSON.stringify(configToHF(model.config), null, 2)}\n`);
  await saveSafetensors(path.join(dir, 'model.safetensors'), model);
}

/** Build a model from `dir/config.json` and load `dir/model.safetensors` into it. */
export async function loadHFPretrained(dir: string, options: TransformerOptions & { overrides?: Partial<TransformerConfig> } = {}): Promise<TransformerLM> {
  const fs = nodeBuiltin<typeof import('node:fs/promises')>('node:fs/promises', 'loadHFPretrained');
  const path = nodeBuiltin<typeof import('node:path')>('node:path', 'loadHFPretrained');
  const cfgPath = path.join(dir, 'config.json');
  let json: unknown;
  try {
    json = JSON.parse(await fs.readFile(cfgPath, 'utf8'));
  } catch (err) {
    throw new Error(`loadHFPretrained: cannot read ${cfgPath}: ${(err as Error).message}`);
  }
  const config = configFromHF(json, options.overrides);
  const model = new TransformerLM(config, options);
  try {
    await loadHFWeights(model, path.join(dir, 'model.safetensors'));
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}
