/**
 * Configuration of the DINOv2-architecture ViT (docs/method.md 3.1-3.5), convertible to and from the
 * Hugging Face `config.json` of `Dinov2Model` / `Dinov2WithRegistersModel` checkpoints, with the
 * `facebook/dinov2-small` config (docs/method.md 3.2) and the shapes-world default (docs/method.md 14) as presets.
 */

/** Activations the MLP accepts, by HF name (`gelu` is the exact erf GELU). */
export type ViTActivation = 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'relu' | 'silu' | 'swish';

/** Everything that fixes a ViT's parameter shapes and forward pass. */
export interface ViTConfig {
  /** Token width `d_v` (HF `hidden_size`). */
  hiddenSize: number;
  /** Transformer blocks (HF `num_hidden_layers`). */
  numHiddenLayers: number;
  /** Attention heads (HF `num_attention_heads`); must divide `hiddenSize`. */
  numAttentionHeads: number;
  /** MLP hidden width = `floor(hiddenSize · mlpRatio)` (HF `mlp_ratio`). */
  mlpRatio: number;
  /** Patch side in pixels (HF `patch_size`). */
  patchSize: number;
  /** Training image side; fixes the stored position grid `imageSize / patchSize` (HF `image_size`). */
  imageSize: number;
  /** Input channels (HF `num_channels`). */
  numChannels: number;
  /** LayerNorm epsilon (HF `layer_norm_eps`, 1e-6 for DINOv2). */
  layerNormEps: number;
  /** LayerScale initial value (HF `layerscale_value`). */
  layerscaleValue: number;
  /** Biases on query/key/value (HF `qkv_bias`). */
  qkvBias: boolean;
  /** SwiGLU FFN (`weights_in`/`weights_out`, dinov2-giant) instead of fc1/GELU/fc2 (HF `use_swiglu_ffn`). */
  useSwigluFfn: boolean;
  /** MLP activation (HF `hidden_act`). */
  hiddenAct: ViTActivation;
  /** Register tokens after CLS (`dinov2-with-registers`, docs/method.md 3.5); 0 for none. */
  numRegisterTokens: number;
  /** Whether the checkpoint has `embeddings.mask_token` (HF `use_mask_token`; unused at inference). */
  useMaskToken: boolean;
  /** Antialiased bicubic position-embedding interpolation (true for `dinov2-with-registers`, docs/method.md 3.4). */
  interpolateAntialias: boolean;
  /** Std of the truncated-normal initialisation (HF `initializer_range`). */
  initializerRange: number;
}

/** The `facebook/dinov2-small` configuration (docs/method.md 3.2). */
export const DINOV2_SMALL: Readonly<ViTConfig> = Object.freeze({
  hiddenSize: 384,
  numHiddenLayers: 12,
  numAttentionHeads: 6,
  mlpRatio: 4,
  patchSize: 14,
  imageSize: 518,
  numChannels: 3,
  layerNormEps: 1e-6,
  layerscaleValue: 1,
  qkvBias: true,
  useSwigluFfn: false,
  hiddenAct: 'gelu',
  numRegisterTokens: 0,
  useMaskToken: true,
  interpolateAntialias: false,
  initializerRange: 0.02,
});

/** The shapes-world semantic encoder (docs/method.md 14): patch 4, `d_v = 64`, 4 layers, 4 heads, 32×32 input. */
export const SHAPES_VIT_TINY: Readonly<ViTConfig> = Object.freeze({
  ...DINOV2_SMALL,
  hiddenSize: 64,
  numHiddenLayers: 4,
  numAttentionHeads: 4,
  patchSize: 4,
  imageSize: 32,
});

/** Extra `config.json` key recording antialiasing that differs from what HF's model type implies. */
const ANTIALIAS_KEY = 'unihetero_interpolate_antialias';

const ACTIVATIONS: readonly ViTActivation[] = ['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu', 'silu', 'swish'];

function posInt(op: string, name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`${op}: ${name} must be a positive integer, got ${JSON.stringify(v)}`);
}

/** A complete, validated config from a partial one (missing fields from `DINOV2_SMALL`). */
export function vitConfig(partial: Partial<ViTConfig> = {}): ViTConfig {
  const c: ViTConfig = { ...DINOV2_SMALL, ...partial };
  const op = 'vitConfig';
  for (const k of ['hiddenSize', 'numHiddenLayers', 'numAttentionHeads', 'patchSize', 'imageSize', 'numChannels'] as const) posInt(op, k, c[k]);
  if (!Number.isInteger(c.numRegisterTokens) || c.numRegisterTokens < 0) throw new Error(`${op}: numRegisterTokens must be a non-negative integer, got ${c.numRegisterTokens}`);
  if (c.hiddenSize % c.numAttentionHeads !== 0) throw new Error(`${op}: hiddenSize ${c.hiddenSize} is not a multiple of numAttentionHeads ${c.numAttentionHeads}`);
  if (!(c.mlpRatio > 0) || Math.floor(c.hiddenSize * c.mlpRatio) < 1) throw new Error(`${op}: mlpRatio must give a positive MLP width, got ${c.mlpRatio}`);
  if (c.imageSize < c.patchSize) throw new Error(`${op}: imageSize ${c.imageSize} is smaller than patchSize ${c.patchSize}`);
  if (!(c.layerNormEps > 0)) throw new Error(`${op}: layerNormEps must be positive, got ${c.layerNormEps}`);
  if (!Number.isFinite(c.layerscaleValue)) throw new Error(`${op}: layerscaleValue must be finite, got ${c.layerscaleValue}`);
  if (!ACTIVATIONS.includes(c.hiddenAct)) throw new Error(`${op}: unsupported hiddenAct '${c.hiddenAct}' (supported: ${ACTIVATIONS.join(', ')})`);
  if (!(c.initializerRange >= 0)) throw new Error(`${op}: initializerRange must be >= 0, got ${c.initializerRange}`);
  return c;
}

/** Side of the stored position-embedding grid (`imageSize / patchSize`, floored as HF does). */
export function storedGridSide(c: ViTConfig): number {
  return Math.floor(c.imageSize / c.patchSize);
}

/** Hidden width of the MLP (HF: `int(hidden · ratio)`, SwiGLU rounds `2/3` of it up to a multiple of 8). */
export function mlpHiddenSize(c: ViTConfig): number {
  const h = Math.floor(c.hiddenSize * c.mlpRatio);
  return c.useSwigluFfn ? Math.floor((Math.floor((h * 2) / 3) + 7) / 8) * 8 : h;
}

/** Config fields that map one to one onto `config.json` keys, with HF's defaults, in `config.json` order. */
const HF_FIELDS: readonly (readonly [keyof ViTConfig, string, number | boolean | string])[] = [
  ['hiddenSize', 'hidden_size', 768],
  ['numHiddenLayers', 'num_hidden_layers', 12],
  ['numAttentionHeads', 'num_attention_heads', 12],
  ['mlpRatio', 'mlp_ratio', 4],
  ['patchSize', 'patch_size', 14],
  ['imageSize', 'image_size', 224],
  ['numChannels', 'num_channels', 3],
  ['layerNormEps', 'layer_norm_eps', 1e-6],
  ['layerscaleValue', 'layerscale_value', 1],
  ['qkvBias', 'qkv_bias', true],
  ['useSwigluFfn', 'use_swiglu_ffn', false],
  ['hiddenAct', 'hidden_act', 'gelu'],
  ['initializerRange', 'initializer_range', 0.02],
];

/** Read a Hugging Face DINOv2 `config.json` (object or JSON text); HF defaults fill missing fields. */
export function vitConfigFromHF(json: string | Record<string, unknown>): ViTConfig {
  const o = (typeof json === 'string' ? JSON.parse(json) : json) as Record<string, unknown>;
  const type = o.model_type ?? 'dinov2';
  if (type !== 'dinov2' && type !== 'dinov2_with_registers') throw new Error(`vitConfigFromHF: model_type '${String(type)}' is not 'dinov2' or 'dinov2_with_registers'`);
  const reg = type === 'dinov2_with_registers';
  const pick = <T>(key: string, dflt: T): T => (o[key] === undefined ? dflt : (o[key] as T));
  // patch_size / image_size may be [h, w] pairs in HF configs; only square ones are supported.
  const side = (v: unknown, what: string): unknown => {
    if (!Array.isArray(v)) return v;
    if (v.length !== 2 || v[0] !== v[1]) throw new Error(`vitConfigFromHF: only square ${what} is supported, got ${JSON.stringify(v)}`);
    return v[0];
  };
  const fields = Object.fromEntries(HF_FIELDS.map(([ours, key, dflt]) => [ours, side(pick(key, dflt), key)]));
  return vitConfig({
    ...(fields as Partial<ViTConfig>),
    numRegisterTokens: reg ? pick('num_register_tokens', 4) : 0,
    useMaskToken: reg ? true : pick('use_mask_token', true),
    interpolateAntialias: pick(ANTIALIAS_KEY, reg),
  });
}

/** The Hugging Face `config.json` object for a config (loadable by `transformers`). */
export function vitConfigToHF(c: ViTConfig): Record<string, unknown> {
  const reg = c.numRegisterTokens > 0;
  const out: Record<string, unknown> = {
    architectures: [reg ? 'Dinov2WithRegistersModel' : 'Dinov2Model'],
    model_type: reg ? 'dinov2_with_registers' : 'dinov2',
    ...Object.fromEntries(HF_FIELDS.map(([ours, key]) => [key, c[ours]])),
    hidden_dropout_prob: 0,
    attention_probs_dropout_prob: 0,
    drop_path_rate: 0,
    torch_dtype: 'float32',
  };
  if (reg) out.num_register_tokens = c.numRegisterTokens;
  else out.use_mask_token = c.useMaskToken;
  // HF ties antialiased interpolation to the registers model; record a deviation explicitly.
  if (reg !== c.interpolateAntialias) out[ANTIALIAS_KEY] = c.interpolateAntialias;
  return out;
}
