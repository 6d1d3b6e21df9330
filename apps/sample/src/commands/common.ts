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
  /** Classifier-free guidance on the semantic predictions (1 = off). */
  semanticGuidance: number;
}

/** Every option of `generateImages` the CLI exposes. */
export interface GenerateFlags extends SemanticFlags {
  /** Undefined = the checkpoint config's `flow.sampleTemperature`. */
  temperature?: number;
  guidance: number;
  guidanceSchedule: NonNullable<GenerateOptions['guidanceSchedule']>;
  /** Undefined = the checkpoint config's `flow.sampleSteps`. */
  flowSteps?: number;
  /** Undefined = the checkpoint config's `flow.sampler`. */
  flowSampler?: 'euler' | 'heun';
}

/**
 * Upper bounds of inputs that could otherwise grow without bound: images per command (files to
 * caption, captions x --count to generate, captions to round-trip), the captions file's size, the
 * characters of one caption or question, regeneration rounds, flow steps and the batch size.
 * Caption and answer lengths in tokens are bounded by the model's context (`checkContext`).
 */
export const LIMITS = {
  images: 10_000,
  captionsFileBytes: 16 * 1024 * 1024,
  textChars: 100_000,
  regenerationRounds: 64,
  flowSteps: 1000,
  batchSize: 1024,
  pngBytes: 16 * 1024 * 1024,
} as const;

/** `text` for a message: at most 60 characters (longer ones end in '...'). */
export function clip(text: string, max = 60): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max).join('')}...`;
}

/** The model's context: positions in all, and the ones its image span takes. */
export interface ContextSize {
  maxPositions: number;
  visualTokens: number;
}

/**
 * Throws when `tokens` tokens of `what` do not fit the context next to the image: `overhead`
 * positions are taken besides the image (special tokens, the text to come).
 */
export function checkContext(ctx: ContextSize, what: string, tokens: number, overhead: number, note = ''): void {
  const room = ctx.maxPositions - ctx.visualTokens - overhead;
  if (tokens > room) {
    throw new UsageError(
      `${what} has ${tokens} tokens; the model's context holds ${ctx.maxPositions} positions, ${ctx.visualTokens} of them for the image and ${overhead} for special tokens${note}, which leaves ${Math.max(0, room)} (shorten it)`,
    );
  }
}

/** Throws when `--max-tokens` is more than the context leaves for a text after the image (`<bos> <boi> image <eoi> text <eos>`). */
export function checkMaxTokens(ctx: ContextSize, maxTokens: number): void {
  const room = ctx.maxPositions - ctx.visualTokens - 4;
  if (maxTokens > room) throw new UsageError(`--max-tokens: ${maxTokens} is more than the model's context leaves for a text: ${ctx.maxPositions} positions, ${ctx.visualTokens} for the image and 4 for special tokens leave ${Math.max(0, room)}`);
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
    semanticGuidance: f.semanticGuidance,
    generator: new Generator(seed),
  };
}

/** Full `GenerateOptions` (semantics and pixels), drawing from `new Generator(seed)`. */
export function generateOptions(f: GenerateFlags, seed: number): GenerateOptions {
  return {
    ...semanticOptions(f, seed),
    ...(f.temperature !== undefined ? { temperature: f.temperature } : {}),
    guidance: f.guidance,
    guidanceSchedule: f.guidanceSchedule,
    ...(f.flowSteps !== undefined ? { flowSteps: f.flowSteps } : {}),
    ...(f.flowSampler !== undefined ? { flowSampler: f.flowSampler } : {}),
  };
}

/** Captions from the positional arguments then the file's lines; at least one, at most `LIMITS.images`, each at most `LIMITS.textChars` characters. */
export function collectCaptions(args: readonly string[], fromFile: readonly string[] | undefined, op: string): string[] {
  const all = [...args.map((a) => a.trim()), ...(fromFile ?? [])];
  const empty = all.findIndex((c) => c.length === 0);
  if (empty >= 0) throw new UsageError(`${op}: caption ${empty + 1} is empty`);
  if (all.length === 0) throw new UsageError(`${op}: no captions; pass them as arguments or with --captions-file <file>`);
  if (all.length > LIMITS.images) throw new UsageError(`${op}: ${all.length} captions; at most ${LIMITS.images} per command (split them into several runs)`);
  const long = all.findIndex((c) => c.length > LIMITS.textChars);
  if (long >= 0) throw new UsageError(`${op}: caption ${long + 1} ("${clip(all[long]!)}") is ${all[long]!.length} characters long; at most ${LIMITS.textChars}`);
  return all;
}
