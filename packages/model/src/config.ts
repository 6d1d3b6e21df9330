/**
 * The typed, validated configuration of a UniHetero model (docs/method.md 9, 13, 14). Every part is
 * swappable by name or size; `resolveModelConfig` fills defaults and reports every problem with
 * its path (`backbone.hiddenSize: expected a positive integer, got 0`).
 */
import { z } from 'zod';
import { defineConfig, type TransformerConfig } from '@unihetero/transformer';

const posInt = z.number().int().positive();
const nonNeg = z.number().nonnegative();

/** The backbone's configuration: `@unihetero/transformer`'s `TransformerConfig` without `vocabSize` (the model's own). */
export type BackboneConfig = Omit<TransformerConfig, 'vocabSize'>;
/** What users write for the backbone: any subset of the transformer's fields (its `TransformerConfigInput`, `vocabSize` excepted). */
export type BackboneConfigInput = Partial<BackboneConfig>;

/**
 * Where the model's backbone defaults differ from the transformer's (`defineConfig`): the sizes,
 * which the transformer requires, and the cache length (512 positions: 2 + 64 visual tokens and
 * the longest captions fit many times over). Every other field is the transformer's default.
 */
export const BACKBONE_DEFAULTS: Readonly<Pick<BackboneConfig, 'hiddenSize' | 'numHiddenLayers' | 'numAttentionHeads' | 'maxPositionEmbeddings'>> = Object.freeze({
  hiddenSize: 128,
  numHiddenLayers: 4,
  numAttentionHeads: 4,
  maxPositionEmbeddings: 512,
});

const BACKBONE_FIELD = /^defineConfig: (?:unknown field '(\w+)'|(\w+) )/;

/**
 * The backbone: a Llama-style decoder (docs/method.md 1, 14), configured by the transformer's own
 * config (nested, not restated): the model fills `BACKBONE_DEFAULTS`, then `defineConfig` of
 * `@unihetero/transformer` fills and validates the rest; a problem is reported at its path
 * (`backbone.hiddenSize: ...`). The vocabulary size is the model's top-level `vocabSize`.
 */
export const BackboneSchema = z
  .custom<BackboneConfigInput>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), { message: 'expected an object of transformer config fields' })
  .transform((input, ctx): BackboneConfig => {
    if ('vocabSize' in input) {
      ctx.addIssue({ code: 'custom', path: ['vocabSize'], message: "set the model's top-level vocabSize, not the backbone's" });
      return z.NEVER;
    }
    try {
      const { vocabSize: _unused, ...backbone } = defineConfig({ vocabSize: 1, ...BACKBONE_DEFAULTS, ...input });
      return backbone;
    } catch (e) {
      const message = (e as Error).message;
      const m = BACKBONE_FIELD.exec(message);
      const field = m?.[1] ?? m?.[2];
      const text = message.replace(/^defineConfig: /, '').replace(/, got [^,]*$/, '');
      const shown = m?.[2] ? text.slice(field!.length + 1) : text.replace(/^unknown field '\w+'/, 'unknown field').replace('vocabSize, ', '');
      ctx.addIssue({ code: 'custom', path: field ? [field] : [], message: shown });
      return z.NEVER;
    }
  });

/** The flow-matching pixel head (docs/method.md 8). */
export const FlowSchema = z
  .object({
    /** Named size (`small` w=128 D=3, `base`, `mar-base`, ...) or explicit width/depth below. */
    size: z.enum(['small', 'base', 'mar-base', 'mar-large', 'mar-huge']).default('small'),
    width: posInt.optional(),
    depth: posInt.optional(),
    mlpRatio: z.number().positive().optional(),
    /** Each masked token repeated with fresh noise (docs/method.md 8.2). */
    batchMul: posInt.default(4),
    time: z.enum(['logit-normal', 'uniform']).default('logit-normal'),
    /** Sampler steps at inference (docs/method.md 14: 20). */
    sampleSteps: posInt.default(20),
    /**
     * Scale of the sampler's initial noise at inference (default 1, MAR's). Below 1 the head draws
     * nearer the mode of each patch's distribution: sharper shapes from a head trained briefly
     * (docs/generation.md, "The demo's invert-projector and sampling temperature"); 0 integrates
     * from zero noise.
     */
    sampleTemperature: nonNeg.default(1),
    sampler: z.enum(['euler', 'heun']).default('euler'),
    /**
     * A learned embedding per visual position added to the head's condition `z` (MAR's
     * `diffusion_pos_embed_learned`): tells the per-token head which part of the image it paints.
     */
    positionEmbedding: z.boolean().default(false),
    /**
     * Which span positions of generation rows train the head: 'masked' (the paper: the masked
     * positions only) or 'span' (every position, masked and visible, so that the head can also decode
     * from a fully committed span: the decoder rung and `decode: 'final'`).
     */
    trainOn: z.enum(['masked', 'span']).default('masked'),
    /**
     * Add the position's semantic token, as an LLM input embedding, to the head's condition: in
     * training the true token's `P(f_i)` (no gradient), at generation the committed prediction fed
     * back at that position. The head then decodes semantic tokens into pixels directly, not only
     * through the hidden state.
     */
    conditionOnToken: z.boolean().default(false),
    /**
     * Which token `conditionOnToken` gives the head in training at the *masked* positions of a
     * generation row: 'target' (the true `P(f_i)`) or 'prediction' (the model's own prediction at
     * that position, fed back as generation feeds it back, without gradient). Generation decodes
     * predicted tokens only, so 'prediction' trains the head on the tokens it will decode; visible
     * positions keep the true token either way. At the demo's scale 'prediction' made the decoder
     * much worse (docs/generation.md): the head learns to distrust its token.
     */
    tokenSource: z.enum(['target', 'prediction']).default('target'),
    /**
     * When generation samples pixels: 'reveal' (MAR: each token from the state that revealed it) or
     * 'final' (every token from one extra pass over the fully committed span; needs `trainOn: 'span'`).
     */
    decode: z.enum(['reveal', 'final']).default('reveal'),
  })
  .strict();

/** Loss weights and gradient routing (docs/method.md 9.1-9.2). */
export const LossSchema = z
  .object({
    alpha: nonNeg.default(10),
    beta: nonNeg.default(10),
    /** Stop the diffuloss gradient at the LLM hidden state (the paper's exp2). */
    detachFlowCondition: z.boolean().default(false),
    /** Text loss on the caption of generation samples (docs/method.md 2.1, default off). */
    textLossOnPrompt: z.boolean().default(false),
  })
  .strict();

/** Training-time data composition. */
export const DataMixSchema = z
  .object({
    /**
     * How image-text pairs become examples: 'split' (each pair is either an understanding or a
     * generation example, by `understandingFraction`: equal samples across presets) or 'both'
     * (each pair is always an understanding example, chosen from the pair alone so it is the same
     * for every preset, and, when the model trains generation, also a generation example: equal
     * understanding data, generation in addition).
     */
    pairing: z.enum(['split', 'both']).default('split'),
    /** Fraction of samples placed image-first (understanding) with `pairing: 'split'`; the rest are generation samples. */
    understandingFraction: z.number().min(0).max(1).default(0.5),
    /** Of the understanding samples, the fraction that are question-answer (the rest captions). */
    questionFraction: z.number().min(0).max(1).default(0.5),
    /** Caption dropout of generation samples, for classifier-free guidance (docs/method.md 10.4). */
    captionDropout: z.number().min(0).max(1).default(0.1),
    /** Training captions: 'random' paraphrases (default) or the 'canonical' form. */
    captionStyle: z.enum(['random', 'canonical']).default('random'),
    /**
     * The captions that understanding examples learn to write: 'same' (as `captionStyle`) or
     * 'canonical' (objects in row-major order, canonical words), while generation prompts keep
     * `captionStyle`. With random object order a small captioner must read each named object's
     * position back from its tokens and binds cells to the wrong objects (docs/generation.md); in
     * row-major order the next object is the next occupied cell.
     */
    understandingCaptions: z.enum(['same', 'canonical']).default('same'),
  })
  .strict();

/** The whole model. */
export const ModelConfigSchema = z
  .object({
    /** Text vocabulary size (the tokenizer's). */
    vocabSize: posInt,
    /** Visual tokens per image `N` (the encoders' grid, docs/method.md 14: 8x8 = 64). */
    numVisualTokens: posInt.default(64),
    /** Semantic feature width `d_v` (docs/method.md 14: 64). */
    semanticDim: posInt.default(64),
    /** Pixel latent channels per token `C` (patchify 4x4x3 = 48). */
    pixelDim: posInt.default(48),
    /** The backbone: the transformer's config (see `BackboneSchema`). */
    backbone: BackboneSchema.prefault({}),
    inputProjector: z.object({ type: z.string().regex(/^(linear|mlp\dx_gelu)$/, 'expected "linear" or "mlp<N>x_gelu"').default('mlp2x_gelu') }).strict().default({ type: 'mlp2x_gelu' }),
    invertProjector: z
      .object({
        name: z.string().min(1).default('ema-mlp-llm-cos'),
        /**
         * EMA momentum of `ema-mlp-llm-cos`. docs/method.md 6.4 proposes 0.999 per step for runs of 1e5
         * steps; at the shapes world's 1e2-1e3 steps that leaves `P_ema` near its initialisation
         * (after 150 steps it has moved 14% of the way), so the embeddings fed back at generation
         * do not match the inputs the backbone trained on. We default to 0.99 (time constant 100 steps).
         */
        momentum: z.number().min(0).max(1).default(0.99),
        hiddenDim: posInt.optional(),
        /**
         * How a prediction is scaled before it is fed back at generation: 'as-is' (the paper), or
         * 'target-mean' (rescaled to the running mean norm of the training targets). A cosine loss
         * leaves the prediction's norm free; at our scale the fed-back embeddings came out about
         * twice as long as the inputs the backbone trained on.
         */
        feedbackNorm: z.enum(['as-is', 'target-mean']).default('as-is'),
      })
      .strict()
      .default({ name: 'ema-mlp-llm-cos', momentum: 0.99, feedbackNorm: 'as-is' }),
    flow: FlowSchema.default(FlowSchema.parse({})),
    loss: LossSchema.default(LossSchema.parse({})),
    mix: DataMixSchema.default(DataMixSchema.parse({})),
    /**
     * Position embedding of the image span's inputs: 'none' (1-D RoPE only, the Llama default) or
     * 'learned' (one learned vector per visual position added to every span input, visible or
     * masked, as MAR's encoder does): without it a fully masked span gives every position the same
     * input and only RoPE tells the positions apart. 'learned-2d': a learned row vector plus a
     * learned column vector of the token grid instead (the grid's structure is given).
     */
    visualPositions: z.enum(['none', 'learned', 'learned-2d']).default('none'),
    /** Training mask-rate sampler, as `@unihetero/masking`'s registry config (docs/method.md 5.3). */
    maskRate: z.union([z.string(), z.object({ kind: z.string() }).passthrough()]).default('gaussian'),
  })
  .strict();

/** A fully resolved model configuration. */
export type ModelConfig = z.infer<typeof ModelConfigSchema>;
/** What users write: any subset of the config (the vocabulary size is required). */
export type ModelConfigInput = z.input<typeof ModelConfigSchema>;

/** Thrown for an invalid configuration; `issues` lists every problem with its path. */
export class ConfigError extends Error {
  /** `path: message` per problem. */
  readonly issues: string[];
  constructor(where: string, issues: string[]) {
    super(`${where}: invalid configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Format zod issues as `path: message (got value)`. */
export function formatIssues(error: z.ZodError, input: unknown): string[] {
  return error.issues.map((i) => {
    const path = i.path.length ? i.path.join('.') : '(root)';
    let got: unknown = input;
    for (const k of i.path) got = got && typeof got === 'object' ? (got as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined;
    const shown = i.code === 'unrecognized_keys' ? '' : ` (got ${JSON.stringify(got) ?? 'undefined'})`;
    return `${path}: ${i.message}${shown}`;
  });
}

/** Validate and complete a model configuration; throws `ConfigError` listing every issue. */
export function resolveModelConfig(input: ModelConfigInput): ModelConfig {
  const r = ModelConfigSchema.safeParse(input);
  if (!r.success) throw new ConfigError('UniHetero config', formatIssues(r.error, input));
  return r.data;
}
