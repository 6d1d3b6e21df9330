/**
 * The run specification: what to build (preset, model config overrides, world or data folder, seed), how to train
 * (the `Trainer` options), how often to evaluate and checkpoint. Read from a JSON file
 * (`--config`), completed by command-line options and defaults, validated with every problem
 * named by its key. The resolved spec is written to `<out>/config.json` and is itself a valid
 * `--config` file. The model config is validated by `@unihetero/model` (`ConfigError`), the world
 * by `@unihetero/data`.
 */
import { getPreset, type ModelConfigInput, type TrainerOptions } from '@unihetero/model';
import { resolveWorldConfig, type WorldConfig } from '@unihetero/data';

/** Training options of the spec (the `Trainer`'s, all resolved except the optional schedule knobs). */
export interface TrainerSpec {
  samples: number;
  batchSize: number;
  lr: number;
  seed: number;
  flowWarmupSteps: number;
  minLr?: number;
  warmupSteps?: number;
  weightDecay?: number;
  betas?: [number, number];
  gradClip?: number;
  split?: 'train' | 'encoder' | 'validation';
  pool?: number;
  start?: number;
  /** Learning-rate schedule: 'cosine' (default) or 'wsd' (warmup, stable, decay). */
  schedule?: 'cosine' | 'wsd';
  /** Learning-rate multipliers by parameter name prefix, e.g. `{ "flow_head": 2 }` (the Trainer checks the prefixes). */
  lrScale?: Record<string, number>;
  /** Parts clipped on their own, as lists of parameter name prefixes, e.g. `[["flow_head", "flow_position_embedding"]]` (the Trainer checks the prefixes). */
  gradClipGroups?: string[][];
}

/** Periodic evaluation (appended to `<out>/eval.jsonl`). */
export interface EvalSpec {
  /** Evaluate every N steps and at the end (0 = never). */
  every: number;
  /** Multiple-choice questions of the understanding evaluation (test split). */
  count: number;
  /** Rows per evaluation forward. */
  batchSize: number;
  /** Also evaluate generation every this many evaluations and at the end (0 = never). */
  generationEvery: number;
  /** Images generated (and judged) per generation evaluation. */
  generationCount: number;
  /** MAR steps of those generations. */
  generationSteps: number;
}

/** A complete run specification. */
export interface RunSpec {
  preset: string;
  /** A folder of `NAME.png` + `NAME.txt` pairs to train on instead of the shapes world (`--data`). */
  data?: string;
  config: Partial<ModelConfigInput>;
  world: WorldConfig;
  seed: number;
  trainer: TrainerSpec;
  eval: EvalSpec;
  /** Write `<out>/checkpoint.safetensors` every N steps (0 = only at the end and on Ctrl-C). */
  checkpointEvery: number;
}

/** What a `--config` file may contain (every key optional). */
export interface FileSpec {
  preset?: string;
  data?: string;
  config?: Partial<ModelConfigInput>;
  world?: WorldConfig;
  seed?: number;
  trainer?: Partial<TrainerSpec>;
  eval?: Partial<EvalSpec>;
  checkpointEvery?: number;
}

/** Values given on the command line (they win over the file). */
export interface CliOverrides {
  preset?: string;
  data?: string;
  samples?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  evalEvery?: number;
  evalCount?: number;
  ckptEvery?: number;
}

/** A spec that failed validation; `issues` lists every problem as `key: message` (the message is one line). */
export class SpecError extends Error {
  readonly issues: string[];
  constructor(where: string, issues: string[]) {
    super(`${where}: ${issues.join('; ')}`);
    this.name = 'SpecError';
    this.issues = issues;
  }
}

/**
 * Upper bounds of the counts a spec or the command line may ask for (inputs that could grow
 * without bound): a billion samples, 4096 samples per step, 100,000 questions or images per
 * evaluation, 4096 MAR steps.
 */
export const LIMITS = { samples: 1_000_000_000, batchSize: 4096, evalCount: 100_000, generationSteps: 4096 } as const;

/** Defaults of the train command. */
export const DEFAULTS = { preset: 'exp2', samples: 20000, batchSize: 16, lr: 2e-3, seed: 0, evalCount: 64, evalBatchSize: 16, generationEvery: 4, generationCount: 8, generationSteps: 16 } as const;

type Check = (v: unknown) => string | null;
const show = (v: unknown) => JSON.stringify(v) ?? String(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const posInt: Check = (v) => (isInt(v) && v > 0 ? null : `expected a positive integer, got ${show(v)}`);
const posIntUpTo =
  (max: number): Check =>
  (v) =>
    isInt(v) && v > 0 && v <= max ? null : `expected an integer in [1, ${max}], got ${show(v)}`;
const nonNegIntUpTo =
  (max: number): Check =>
  (v) =>
    isInt(v) && v >= 0 && v <= max ? null : `expected an integer in [0, ${max}], got ${show(v)}`;
const nonNegInt: Check = (v) => (isInt(v) && v >= 0 ? null : `expected a non-negative integer, got ${show(v)}`);
const posNum: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? null : `expected a positive number, got ${show(v)}`);
const nonNegNum: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? null : `expected a non-negative number, got ${show(v)}`);
const str: Check = (v) => (typeof v === 'string' && v.length > 0 ? null : `expected a non-empty string, got ${show(v)}`);
const obj: Check = (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? null : `expected an object, got ${show(v)}`);
const oneOf =
  (...xs: string[]): Check =>
  (v) =>
    typeof v === 'string' && xs.includes(v) ? null : `expected one of ${xs.map((x) => `'${x}'`).join(', ')}, got ${show(v)}`;
const betas: Check = (v) =>
  Array.isArray(v) && v.length === 2 && v.every((b) => typeof b === 'number' && b >= 0 && b < 1) ? null : `expected two numbers in [0, 1), got ${show(v)}`;

const lrScale: Check = (v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v as object).every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0)
    ? null
    : `expected an object of positive numbers by parameter name prefix, got ${show(v)}`;

const gradClipGroups: Check = (v) =>
  Array.isArray(v) && v.every((g) => Array.isArray(g) && g.length > 0 && g.every((q) => typeof q === 'string' && q.length > 0))
    ? null
    : `expected a list of non-empty lists of parameter name prefixes, got ${show(v)}`;

const TRAINER_KEYS: Record<keyof TrainerSpec, Check> = {
  samples: posIntUpTo(LIMITS.samples),
  batchSize: posIntUpTo(LIMITS.batchSize),
  lr: posNum,
  seed: nonNegInt,
  flowWarmupSteps: nonNegInt,
  minLr: nonNegNum,
  warmupSteps: nonNegInt,
  weightDecay: nonNegNum,
  betas,
  gradClip: nonNegNum,
  split: oneOf('train', 'encoder', 'validation'),
  pool: nonNegInt,
  start: nonNegInt,
  schedule: oneOf('cosine', 'wsd'),
  lrScale,
  gradClipGroups,
};

const EVAL_KEYS: Record<keyof EvalSpec, Check> = {
  every: nonNegInt,
  count: posIntUpTo(LIMITS.evalCount),
  batchSize: posIntUpTo(LIMITS.batchSize),
  generationEvery: nonNegInt,
  generationCount: nonNegIntUpTo(LIMITS.evalCount),
  generationSteps: posIntUpTo(LIMITS.generationSteps),
};

/** Every key of `WorldConfig` (the compiler checks the list is complete and exact). */
const WORLD_KEYS = {
  seed: true,
  imageSize: true,
  shapes: true,
  palette: true,
  background: true,
  texture: true,
  textureAmplitude: true,
  minObjects: true,
  maxObjects: true,
  antialias: true,
  colourJitter: true,
  heldOut: true,
  splits: true,
} as const satisfies Record<keyof WorldConfig, true>;
const SPLIT_KEYS = ['train', 'validation', 'test', 'encoder'];

/** `world` problems: unknown keys, values `@unihetero/data` rejects, and image sizes the shipped encoder cannot see. */
function checkWorld(world: Record<string, unknown>, issues: string[]): void {
  let unknown = false;
  for (const k of Object.keys(world)) {
    if (!(k in WORLD_KEYS)) {
      issues.push(`world.${k}: unknown key (known: ${Object.keys(WORLD_KEYS).join(', ')})`);
      unknown = true;
    }
  }
  const splits = world.splits;
  if (splits !== undefined && !obj(splits)) {
    for (const k of Object.keys(splits as object)) {
      if (!SPLIT_KEYS.includes(k)) {
        issues.push(`world.splits.${k}: unknown key (known: ${SPLIT_KEYS.join(', ')})`);
        unknown = true;
      }
    }
  }
  if (unknown) return;
  try {
    const r = resolveWorldConfig(world as WorldConfig);
    if (r.imageSize !== 32) issues.push(`world.imageSize: the shipped semantic encoder sees 32x32 images, got ${r.imageSize}`);
  } catch (e) {
    issues.push(`world: ${(e as Error).message}`);
  }
}

const TOP_KEYS: Record<keyof FileSpec, Check> = {
  preset: str,
  data: str,
  config: obj,
  world: obj,
  seed: nonNegInt,
  trainer: obj,
  eval: obj,
  checkpointEvery: nonNegInt,
};

/** Check `value` against `keys`, pushing `prefix.key: message` issues (unknown keys included). */
function checkKeys(value: Record<string, unknown>, keys: Record<string, Check>, prefix: string, issues: string[]): void {
  for (const [k, v] of Object.entries(value)) {
    const check = keys[k];
    if (!check) {
      issues.push(`${prefix}${k}: unknown key (known: ${Object.keys(keys).join(', ')})`);
      continue;
    }
    const problem = check(v);
    if (problem) issues.push(`${prefix}${k}: ${problem}`);
  }
}

/** Validate a parsed `--config` file; throws `SpecError` naming every bad or unknown key. */
export function validateFileSpec(value: unknown, where = 'config file'): FileSpec {
  const issues: string[] = [];
  const top = obj(value);
  if (top) throw new SpecError(where, [`(root): ${top}`]);
  const v = value as Record<string, unknown>;
  checkKeys(v, TOP_KEYS, '', issues);
  if (v.trainer && !obj(v.trainer)) checkKeys(v.trainer as Record<string, unknown>, TRAINER_KEYS, 'trainer.', issues);
  if (v.eval && !obj(v.eval)) checkKeys(v.eval as Record<string, unknown>, EVAL_KEYS, 'eval.', issues);
  if (v.world && !obj(v.world)) checkWorld(v.world as Record<string, unknown>, issues);
  if (typeof v.data === 'string' && v.world && !obj(v.world) && Object.keys(v.world).length > 0) issues.push('world: a run with data trains on the folder, not the shapes world; drop world');
  if (typeof v.data === 'string' && v.trainer && !obj(v.trainer) && (v.trainer as Record<string, unknown>).split !== undefined) issues.push("trainer.split: a run with data trains on the folder's train split; drop trainer.split");
  if (typeof v.preset === 'string' && v.preset) {
    try {
      getPreset(v.preset);
    } catch (e) {
      issues.push(`preset: ${(e as Error).message}`);
    }
  }
  if (issues.length) throw new SpecError(where, issues);
  return v as FileSpec;
}

/** The file spec completed by the command line and the defaults (the command line wins). */
export function resolveRunSpec(file: FileSpec = {}, cli: CliOverrides = {}): RunSpec {
  const preset = cli.preset ?? file.preset ?? DEFAULTS.preset;
  let p: ReturnType<typeof getPreset>;
  try {
    p = getPreset(preset);
  } catch (e) {
    throw new SpecError('run spec', [`preset: ${(e as Error).message}`]);
  }
  const seed = cli.seed ?? file.seed ?? DEFAULTS.seed;
  const ft = file.trainer ?? {};
  const trainer: TrainerSpec = {
    ...ft,
    samples: cli.samples ?? ft.samples ?? DEFAULTS.samples,
    batchSize: cli.batchSize ?? ft.batchSize ?? DEFAULTS.batchSize,
    lr: cli.lr ?? ft.lr ?? DEFAULTS.lr,
    // --seed seeds both the initialisation and the run's random stream.
    seed: cli.seed ?? ft.seed ?? seed,
    flowWarmupSteps: ft.flowWarmupSteps ?? p.flowWarmupSteps,
  };
  const totalSteps = Math.ceil(trainer.samples / trainer.batchSize);
  const fe = file.eval ?? {};
  const evalSpec: EvalSpec = {
    every: cli.evalEvery ?? fe.every ?? Math.max(1, Math.ceil(totalSteps / 10)),
    count: cli.evalCount ?? fe.count ?? DEFAULTS.evalCount,
    batchSize: fe.batchSize ?? DEFAULTS.evalBatchSize,
    generationEvery: fe.generationEvery ?? DEFAULTS.generationEvery,
    generationCount: fe.generationCount ?? DEFAULTS.generationCount,
    generationSteps: fe.generationSteps ?? DEFAULTS.generationSteps,
  };
  const checkpointEvery = cli.ckptEvery ?? file.checkpointEvery ?? Math.max(1, Math.ceil(totalSteps / 20));
  const data = cli.data ?? file.data;
  const spec: RunSpec = { preset, ...(data !== undefined ? { data } : {}), config: file.config ?? {}, world: file.world ?? {}, seed, trainer, eval: evalSpec, checkpointEvery };
  validateFileSpec(spec, 'resolved run spec');
  return spec;
}

/** The `Trainer` options of a spec. */
export function trainerOptions(spec: RunSpec): TrainerOptions {
  return { ...spec.trainer };
}

/** Total optimizer steps of a spec. */
export function totalSteps(spec: RunSpec): number {
  return Math.ceil(spec.trainer.samples / spec.trainer.batchSize);
}

/** Parse the text of a `--config` file (JSON) and validate it. */
export function parseFileSpec(text: string, path: string): FileSpec {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SpecError(`config file '${path}'`, [`(root): not valid JSON (${(e as Error).message})`]);
  }
  return validateFileSpec(value, `config file '${path}'`);
}
