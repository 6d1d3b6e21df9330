/**
 * The paper's ablation presets as plain data (docs/method.md 9.3, Table 1): what each run changes in
 * the loss, the gradient routing, the invert-projector and the flow head. Users register their
 * own with `registerPreset`.
 */
import type { ModelConfig, ModelConfigInput } from './config.js';

/** One training recipe. */
export interface Preset {
  /** Registry name. */
  name: string;
  /** What it tests. */
  description: string;
  /** ploss weight. */
  alpha: number;
  /** diffuloss weight. */
  beta: number;
  /** Stop the diffuloss gradient at the LLM (exp2). */
  detachFlowCondition: boolean;
  /** Invert-projector variant. */
  invertProjector: string;
  /** Flow head size name. */
  flowSize: ModelConfig['flow']['size'];
  /** Explicit flow head width/depth (override the size). */
  flowWidth?: number;
  flowDepth?: number;
  /** Steps of training the flow head alone before joint training (exp4 "+warmup"). */
  flowWarmupSteps: number;
  /**
   * Fraction of image-first (understanding) samples. exp1 has no generation loss at all, so all
   * of its samples are understanding samples: every preset sees the same image-text pairs.
   */
  understandingFraction: number;
}

const BUILTIN: Preset[] = [
  {
    name: 'exp1',
    description: 'baseline: text loss only (understanding)',
    alpha: 0,
    beta: 0,
    detachFlowCondition: false,
    invertProjector: 'ema-mlp-llm-cos',
    flowSize: 'small',
    flowWarmupSteps: 0,
    understandingFraction: 1,
  },
  {
    name: 'exp2',
    description: '+ploss: semantic generation; diffuloss kept with its gradient stopped at the LLM',
    alpha: 10,
    beta: 10,
    detachFlowCondition: true,
    invertProjector: 'ema-mlp-llm-cos',
    flowSize: 'small',
    flowWarmupSteps: 0,
    understandingFraction: 0.5,
  },
  {
    name: 'exp3',
    description: '+diffuloss: the pixel loss reaches the LLM',
    alpha: 10,
    beta: 10,
    detachFlowCondition: false,
    invertProjector: 'ema-mlp-llm-cos',
    flowSize: 'small',
    flowWarmupSteps: 0,
    understandingFraction: 0.5,
  },
  {
    name: 'exp4',
    description: '+warmup: a 2x wider flow head trained alone first, then joint training as exp3',
    alpha: 10,
    beta: 10,
    detachFlowCondition: false,
    invertProjector: 'ema-mlp-llm-cos',
    flowSize: 'small',
    flowWidth: 256,
    flowWarmupSteps: 50,
    understandingFraction: 0.5,
  },
];

const registry = new Map<string, Preset>(BUILTIN.map((p) => [p.name, p]));

/** The built-in preset names, in the paper's order. */
export const PRESET_NAMES = BUILTIN.map((p) => p.name);

/** Register (or with `replace`, redefine) a preset. */
export function registerPreset(preset: Preset, options: { replace?: boolean } = {}): void {
  if (!preset || typeof preset.name !== 'string' || !preset.name) throw new Error('registerPreset: a preset needs a name');
  if (registry.has(preset.name) && !options.replace) throw new Error(`registerPreset: '${preset.name}' already exists (pass { replace: true } to redefine it)`);
  for (const k of ['alpha', 'beta', 'flowWarmupSteps', 'understandingFraction'] as const) {
    if (typeof preset[k] !== 'number' || !(preset[k] >= 0)) throw new Error(`registerPreset '${preset.name}': ${k} must be a number >= 0, got ${String(preset[k])}`);
  }
  if (preset.understandingFraction > 1) throw new Error(`registerPreset '${preset.name}': understandingFraction must be <= 1, got ${preset.understandingFraction}`);
  registry.set(preset.name, { ...preset });
}

/** A preset by name; unknown names list the known ones. */
export function getPreset(name: string): Preset {
  const p = registry.get(name);
  if (!p) throw new Error(`getPreset: unknown preset '${name}' (known: ${[...registry.keys()].join(', ')})`);
  return { ...p };
}

/** Every registered preset name. */
export function presetNames(): string[] {
  return [...registry.keys()];
}

/** `config` with the preset's loss, routing, projector, flow head and mix applied. */
export function applyPreset(config: ModelConfigInput, preset: Preset | string): ModelConfigInput {
  const p = typeof preset === 'string' ? getPreset(preset) : preset;
  return {
    ...config,
    loss: { ...(config.loss ?? {}), alpha: p.alpha, beta: p.beta, detachFlowCondition: p.detachFlowCondition },
    invertProjector: { ...(config.invertProjector ?? {}), name: p.invertProjector },
    flow: { ...(config.flow ?? {}), size: p.flowSize, ...(p.flowWidth ? { width: p.flowWidth } : {}), ...(p.flowDepth ? { depth: p.flowDepth } : {}) },
    mix: { ...(config.mix ?? {}), understandingFraction: p.understandingFraction },
  };
}
