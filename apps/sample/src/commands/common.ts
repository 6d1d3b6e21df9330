/** What every subcommand takes, and the generation options shared by `generate` and `roundtrip`. */
import { Generator } from '@unihetero/tensor';
import type { GenerateOptions } from '@unihetero/model';
import type { BackendKind } from '@unihetero/webgpu';
import { UsageError } from '../io.js';

/** `--checkpoint`, `--backend`, `--seed`. */
export interface CommonOptions {
  /** A checkpoint written by unihetero-train (it records how the model was built). */
  checkpoint: string;
  /** Backend kind; undefined = `$UNIHETERO_BACKEND` or 'auto'. */
  backend?: BackendKind;
  /** Seed of every random stream of the command (default 0). */
  seed: number;
}

/** The MAR loop's options that shape the semantic tokens (all `generate` options except the pixel decoder's). */
export interface SemanticFlags {
  steps: number;
  regenerationRounds: number;
  regenerationFraction: number;
  regenerationPolicy: NonNullable<GenerateOptions['regenerationPolicy']>;
  order: NonNullable<GenerateOptions['order']>;
}

/** Every option of `generateImages` the CLI exposes. */
export interface GenerateFlags extends SemanticFlags {
  temperature: number;
  guidance: number;
  guidanceSchedule: NonNullable<GenerateOptions['guidanceSchedule']>;
  /** Undefined = the checkpoint config's `flow.sampleSteps`. */
  flowSteps?: number;
  /** Undefined = the checkpoint config's `flow.sampler`. */
  flowSampler?: 'euler' | 'heun';
}

/** Throws when `--steps` exceeds the model's visual tokens (checked once the model is known). */
export function checkSteps(steps: number, numVisualTokens: number): void {
  if (steps > numVisualTokens) throw new UsageError(`--steps: ${steps} is more than the model's ${numVisualTokens} visual tokens (each step reveals at least one)`);
}

/** `GenerateOptions` for the semantic part of the loop, drawing from `new Generator(seed)`. */
export function semanticOptions(f: SemanticFlags, seed: number): GenerateOptions {
  return {
    steps: f.steps,
    regenerationRounds: f.regenerationRounds,
    regenerationFraction: f.regenerationFraction,
    regenerationPolicy: f.regenerationPolicy,
    order: f.order,
    generator: new Generator(seed),
  };
}

/** Full `GenerateOptions` (semantics and pixels), drawing from `new Generator(seed)`. */
export function generateOptions(f: GenerateFlags, seed: number): GenerateOptions {
  return {
    ...semanticOptions(f, seed),
    temperature: f.temperature,
    guidance: f.guidance,
    guidanceSchedule: f.guidanceSchedule,
    ...(f.flowSteps !== undefined ? { flowSteps: f.flowSteps } : {}),
    ...(f.flowSampler !== undefined ? { flowSampler: f.flowSampler } : {}),
  };
}

/** Captions from the positional arguments then the file's lines; at least one. */
export function collectCaptions(args: readonly string[], fromFile: readonly string[] | undefined, op: string): string[] {
  const all = [...args.map((a) => a.trim()), ...(fromFile ?? [])];
  const empty = all.findIndex((c) => c.length === 0);
  if (empty >= 0) throw new UsageError(`${op}: caption ${empty + 1} is empty`);
  if (all.length === 0) throw new UsageError(`${op}: no captions; pass them as arguments or with --captions-file <file>`);
  return all;
}
