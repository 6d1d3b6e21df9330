/**
 * Invert-projectors by name, so a config can say `"invertProjector": "ema-mlp-llm-cos"` and a
 * contributor can add a variant in one file with `registerInvertProjector(name, factory)`.
 */
import { InvertProjector, type InvertProjectorConfig } from './invert-projector.js';
import { emaMlpLlmCos } from './variants/ema-mlp-llm-cos.js';
import { mlpCos } from './variants/mlp-cos.js';
import { mlpMse } from './variants/mlp-mse.js';
import { norm3MlpCos } from './variants/norm-3-mlp-cos.js';

/** Builds an invert-projector from the shared config. */
export type InvertProjectorFactory = (config: InvertProjectorConfig) => InvertProjector;

/** Options of `registerInvertProjector`. */
export interface RegisterOptions {
  /** Replace an existing registration of the same name (default false: an error). */
  replace?: boolean;
}

/** The built-in variants of docs/method.md 6.3 (Table 2, section 12.3). */
export const BUILTIN_INVERT_PROJECTORS: readonly string[] = Object.freeze(['mlp-cos', 'mlp-mse', 'norm-3-mlp-cos', 'ema-mlp-llm-cos']);

/** The default variant of the paper's presets (docs/method.md 9.3). */
export const DEFAULT_INVERT_PROJECTOR = 'ema-mlp-llm-cos';

const factories = new Map<string, InvertProjectorFactory>([
  ['mlp-cos', mlpCos],
  ['mlp-mse', mlpMse],
  ['norm-3-mlp-cos', norm3MlpCos],
  ['ema-mlp-llm-cos', emaMlpLlmCos],
]);

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Add a variant under `name` (letters, digits, `.`, `_`, `-`); an existing name is an error unless `replace`. */
export function registerInvertProjector(name: string, factory: InvertProjectorFactory, options: RegisterOptions = {}): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new Error(`registerInvertProjector: name must start with a letter or digit and use only letters, digits, '.', '_', '-', got ${JSON.stringify(name)}`);
  }
  if (typeof factory !== 'function') throw new Error(`registerInvertProjector: factory for '${name}' must be a function, got ${typeof factory}`);
  if (factories.has(name) && !options.replace) {
    throw new Error(`registerInvertProjector: '${name}' is already registered (pass { replace: true } to override it)`);
  }
  factories.set(name, factory);
}

/** Remove a registered variant (built-ins cannot be removed); returns whether it was registered. */
export function unregisterInvertProjector(name: string): boolean {
  if (BUILTIN_INVERT_PROJECTORS.includes(name)) throw new Error(`unregisterInvertProjector: '${name}' is built in and cannot be removed`);
  return factories.delete(name);
}

/** Whether `name` is registered. */
export function hasInvertProjector(name: string): boolean {
  return factories.has(name);
}

/** The registered names, sorted. */
export function invertProjectorNames(): string[] {
  return [...factories.keys()].sort();
}

/** Build the variant registered as `name`; an unknown name is an error listing the known ones. */
export function createInvertProjector(name: string, config: InvertProjectorConfig): InvertProjector {
  const factory = typeof name === 'string' ? factories.get(name) : undefined;
  if (!factory) {
    throw new Error(`createInvertProjector: unknown invert-projector ${JSON.stringify(name)}; known: ${invertProjectorNames().join(', ')}`);
  }
  const made = factory(config);
  if (!(made instanceof InvertProjector)) {
    throw new Error(`createInvertProjector: the factory of '${name}' returned ${made === null ? 'null' : (made as object)?.constructor?.name ?? typeof made}, not an InvertProjector`);
  }
  return made;
}
