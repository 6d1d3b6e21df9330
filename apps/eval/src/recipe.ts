/**
 * What the ablation trains: one base recipe (model config and trainer settings) that every preset
 * and invert-projector variant is applied over, the two data designs, the Table 2 variants, and
 * the plan of training runs they need (exp1 is one run per seed shared by both designs).
 */
import { getPreset, getRecipe, type ModelConfigInput, type TrainerOptions } from '@unihetero/model';
import type { EvalSettings } from './metrics.js';

/** Width of the flow head's 'small' size (docs/method.md 14), the reference of presets with their own width. */
export const SMALL_FLOW_WIDTH = 128;

/** The two data designs of the ablation. */
export type DesignName = 'equal-understanding' | 'equal-samples';

/** Every design, primary first. */
export const DESIGN_NAMES: readonly DesignName[] = ['equal-understanding', 'equal-samples'];

/** How a design turns image-text pairs into examples (`mix.pairing` of the model config) and how the report names it. */
export const DESIGNS: Readonly<Record<DesignName, { pairing: 'both' | 'split'; title: string; description: string }>> = {
  'equal-understanding': {
    pairing: 'both',
    title: 'Equal understanding data',
    description:
      'every preset sees the same understanding examples (each pair is always an understanding example, chosen from the pair and the seed alone); the presets that train generation get a generation example of the same pair in addition (the design of the controlled synthetic study of unified VLMs by Zhang et al.)',
  },
  'equal-samples': {
    pairing: 'split',
    title: 'Equal samples',
    description:
      "every preset sees the same number of image-text pairs; each pair is an understanding or a generation example by the preset's understanding fraction, so exp1 (all understanding) gets twice the understanding examples of exp2-exp4 (half)",
  },
};

/** The paper's Table 2 invert-projector variants, trained as exp2 with another projector. */
export const VARIANT_NAMES: readonly string[] = ['mlp-cos', 'norm-3-mlp-cos', 'ema-mlp-llm-cos', 'mlp-mse'];

/** The preset whose recipe the variants share (the variant with its own projector is that preset's run). */
export const VARIANT_PRESET = 'exp2';

/** The design the variants are trained under. */
export const VARIANT_DESIGN: DesignName = 'equal-understanding';

/** Trainer settings a recipe may set besides budget, batch and learning rate (the Trainer's defaults otherwise). */
export type TrainerExtras = Partial<Pick<TrainerOptions, 'minLr' | 'warmupSteps' | 'weightDecay' | 'betas' | 'gradClip'>>;

/** A whole training and evaluation recipe of the ablation. */
export interface AblationRecipe {
  /** Base model config; each preset (loss, routing, projector, flow head, mix) and design is applied over it. */
  config: Partial<ModelConfigInput>;
  /** Sample budgets with a checkpoint each (multiples of the batch size); one run trains to the largest. */
  scales: number[];
  seeds: number[];
  batchSize: number;
  /** Peak learning rate. */
  lr: number;
  /** Other trainer settings. */
  trainer: TrainerExtras;
  /** Flow warm-up steps of presets that warm up (exp4; null: each preset's own). */
  flowWarmupSteps: number | null;
  eval: EvalSettings;
}

/** The model package's `standard` recipe: the size and generation recipe at which generation works. */
const STANDARD = getRecipe('standard');

/**
 * The ablation's model config: the `standard` recipe's as it was when docs/ablation/REPORT.md was
 * measured, that is without the canonical understanding captions the `standard` recipe took up
 * afterwards (`CAPTIONER_RECIPE`). Keeping it lets the report's command find its records;
 * `unihetero-eval ablation --understanding-captions canonical` adds the captioner's part.
 */
export const ABLATION_CONFIG: Partial<ModelConfigInput> = (() => {
  const { mix, ...rest } = STANDARD.config;
  const { understandingCaptions: _u, ...mixRest } = mix ?? {};
  return Object.keys(mixRest).length ? { ...rest, mix: mixRest } : rest;
})();

/**
 * The recipe of a full ablation (without `--quick`): the ONE place to set the model and training
 * recipe. `config` is a `ModelConfigInput` partial (backbone size, flow head, mask rates, mix,
 * ...): the `standard` recipe's (the generation recipe at d=64, 2 layers), its batch and learning
 * rate, with checkpoints at 16k, 32k and 64k samples (generation starts working between 16k and
 * 32k at this size; docs/generation.md).
 */
export const ABLATION_RECIPE: AblationRecipe = {
  config: ABLATION_CONFIG,
  scales: [16000, 32000, 64000],
  seeds: [0, 1, 2],
  batchSize: STANDARD.batchSize,
  lr: STANDARD.lr,
  trainer: {},
  flowWarmupSteps: null,
  eval: { count: 256, captionCount: 64, generationCount: 64, roundTripCount: 32, batchSize: 32, generationSteps: STANDARD.generationSteps, flowSteps: 20, seed: 0, semanticsCount: 64, probeImages: STANDARD.probeImages },
};

/** The model size of `--quick` (and of the size flags). */
export interface AblationModelSize {
  hiddenSize: number;
  layers: number;
  heads: number;
  /** Flow head width of presets that do not enlarge it; a preset with its own width keeps its ratio to 'small' (128). */
  flowWidth: number;
  flowDepth: number;
}

/** The size `--quick` puts over the recipe's config. */
export const QUICK_SIZE: AblationModelSize = { hiddenSize: 64, layers: 2, heads: 2, flowWidth: 64, flowDepth: 2 };

/** `config` with a backbone and flow head size put over it (fields left out keep the config's). */
export function withSize(config: Partial<ModelConfigInput>, size: Partial<AblationModelSize>): Partial<ModelConfigInput> {
  const backbone = { ...(config.backbone ?? {}) };
  if (size.hiddenSize !== undefined) backbone.hiddenSize = size.hiddenSize;
  if (size.layers !== undefined) backbone.numHiddenLayers = size.layers;
  if (size.heads !== undefined) backbone.numAttentionHeads = size.heads;
  const flow = { ...(config.flow ?? {}) };
  if (size.flowWidth !== undefined) flow.width = size.flowWidth;
  if (size.flowDepth !== undefined) flow.depth = size.flowDepth;
  const out: Partial<ModelConfigInput> = { ...config };
  if (Object.keys(backbone).length) out.backbone = backbone;
  if (Object.keys(flow).length) out.flow = flow;
  return out;
}

/**
 * `--quick`: the full recipe at a small size, for checking the pipeline end to end (a d=64,
 * 2-layer backbone with a 64-wide, 2-deep flow head, 768/1536/2304 samples in batches of 16, one
 * seed, 10 flow warm-up steps for exp4, 96 questions per split, 8 images and round trips with 4 MAR
 * steps).
 */
export const QUICK_RECIPE: AblationRecipe = {
  ...ABLATION_RECIPE,
  config: withSize(ABLATION_RECIPE.config, QUICK_SIZE),
  scales: [768, 1536, 2304],
  seeds: [0],
  flowWarmupSteps: 10,
  eval: { count: 96, captionCount: 8, generationCount: 8, roundTripCount: 8, batchSize: 24, generationSteps: 4, flowSteps: 8, seed: 0, semanticsCount: 0, probeImages: 128 },
};

/** Whether a preset's examples are the same in both designs (no generation loss, every pair an understanding example): one run serves both. */
export function sharedAcrossDesigns(presetName: string): boolean {
  const p = getPreset(presetName);
  return p.alpha === 0 && p.beta === 0 && p.understandingFraction === 1;
}

/** The config of one run: the preset (and invert-projector variant) and the design's pairing applied over the base config. */
export function runConfig(base: Partial<ModelConfigInput>, presetName: string, pairing: 'both' | 'split', invertProjector?: string): Partial<ModelConfigInput> {
  const p = getPreset(presetName);
  const baseFlow = base.flow ?? {};
  const flow: NonNullable<ModelConfigInput['flow']> = { ...baseFlow, size: p.flowSize };
  if (p.flowWidth) flow.width = Math.max(1, Math.round((p.flowWidth * (baseFlow.width ?? SMALL_FLOW_WIDTH)) / SMALL_FLOW_WIDTH));
  if (p.flowDepth) flow.depth = p.flowDepth;
  return {
    ...base,
    loss: { ...(base.loss ?? {}), alpha: p.alpha, beta: p.beta, detachFlowCondition: p.detachFlowCondition },
    invertProjector: { ...(base.invertProjector ?? {}), name: invertProjector ?? p.invertProjector },
    flow,
    mix: { ...(base.mix ?? {}), pairing, understandingFraction: p.understandingFraction },
  };
}

/** One training run per seed: where it lives, what it trains, and which tables use it. */
export interface RunPlan {
  /** Folder under the output folder: `shared/exp1`, `equal-understanding/exp2`, `equal-understanding/exp2-mlp-cos`, `equal-samples/exp3`. */
  id: string;
  preset: string;
  invertProjector: string;
  pairing: 'both' | 'split';
  /** The designs whose tables show this run. */
  designs: DesignName[];
  /** The Table 2 variants this run is (at most one). */
  variants: string[];
  /** The model config (before the vocabulary size is filled in). */
  config: Partial<ModelConfigInput>;
}

/** The runs that the designs, presets and variants need, each once (exp1 shared by both designs; the exp2 variant with exp2's own projector is exp2). */
export function planRuns(base: Partial<ModelConfigInput>, designs: readonly DesignName[], presets: readonly string[], variants: readonly string[]): RunPlan[] {
  const plans = new Map<string, RunPlan>();
  const add = (id: string, preset: string, pairing: 'both' | 'split', projector: string | undefined, design: DesignName | null, variant: string | null) => {
    let plan = plans.get(id);
    if (!plan) {
      const config = runConfig(base, preset, pairing, projector);
      plan = { id, preset, invertProjector: config.invertProjector!.name!, pairing, designs: [], variants: [], config };
      plans.set(id, plan);
    }
    if (design && !plan.designs.includes(design)) plan.designs.push(design);
    if (variant && !plan.variants.includes(variant)) plan.variants.push(variant);
  };
  for (const d of designs) {
    for (const p of presets) {
      if (sharedAcrossDesigns(p)) add(`shared/${p}`, p, 'both', undefined, d, null);
      else add(`${d}/${p}`, p, DESIGNS[d].pairing, undefined, d, null);
    }
  }
  const own = getPreset(VARIANT_PRESET).invertProjector;
  for (const v of variants) {
    const id = v === own ? `${VARIANT_DESIGN}/${VARIANT_PRESET}` : `${VARIANT_DESIGN}/${VARIANT_PRESET}-${v}`;
    add(id, VARIANT_PRESET, DESIGNS[VARIANT_DESIGN].pairing, v === own ? undefined : v, null, v);
  }
  return [...plans.values()];
}
