/**
 * The embedded default, assembled: a UniHetero model for the shapes world with the word-level
 * tokenizer and the shipped frozen ViT encoder, from a preset and config overrides; and loading a
 * trained run back from its checkpoint (the checkpoint records how the model was built, and, for a
 * model trained on other data, its tokenizer).
 */
import { Generator, type Backend } from '@unihetero/tensor';
import { readSafetensorsHeader } from '@unihetero/safetensors';
import { CHECKPOINT_METADATA_KEY, loadCheckpoint, readCheckpointInfo } from '@unihetero/nn';
import { ShapesWorld, tokenizerFromSpec, wordTokenizer, type TokenizerSpec, type WorldConfig } from '@unihetero/data';
import { loadDefaultSemanticEncoder, type SemanticEncoder } from '@unihetero/vision';
import { UniHetero } from './model.js';
import { applyPreset, getPreset, type Preset } from './presets.js';
import type { ModelConfigInput } from './config.js';
import type { TextTokenizer } from './source.js';

/** How a shapes-world model is built (stored in every checkpoint as `extra.build`). */
export interface ShapesModelSpec {
  /** Preset name (default 'exp2'). */
  preset?: string;
  /** Config overrides applied after the preset (the vocabulary size is filled in). */
  config?: Partial<ModelConfigInput>;
  /** World options (default: seed 0, 32x32). */
  world?: WorldConfig;
  /** Seed of the parameter initialisation (default 0). */
  seed?: number;
}

/** A built shapes-world model and what it was built from. */
export interface ShapesModel {
  model: UniHetero;
  world: ShapesWorld;
  preset: Preset;
  spec: Required<ShapesModelSpec>;
}

/** Build a fresh model for the shapes world on `backend` (with `semanticEncoder`, else the shipped default, read from disk in Node). */
export async function createShapesModel(spec: ShapesModelSpec = {}, backend?: Backend, semanticEncoder?: SemanticEncoder): Promise<ShapesModel> {
  const full: Required<ShapesModelSpec> = { preset: spec.preset ?? 'exp2', config: spec.config ?? {}, world: spec.world ?? {}, seed: spec.seed ?? 0 };
  const preset = getPreset(full.preset);
  const world = new ShapesWorld(full.world);
  if (world.config.imageSize !== 32) throw new Error(`createShapesModel: the shipped encoder sees 32x32 images, the world renders ${world.config.imageSize}x${world.config.imageSize}`);
  const { model } = await createModel(wordTokenizer(world), { preset: full.preset, config: full.config, seed: full.seed }, { backend, semanticEncoder });
  return { model, world, preset, spec: full };
}

/** How a model for any sample source is built: preset, config overrides and seed (the tokenizer is given). */
export interface ModelSpec {
  /** Preset name (default 'exp2'). */
  preset?: string;
  /** Config overrides applied after the preset (the vocabulary size is the tokenizer's). */
  config?: Partial<ModelConfigInput>;
  /** Seed of the parameter initialisation (default 0). */
  seed?: number;
}

/**
 * Build a fresh model for any tokenizer (e.g. a folder source's) from a preset and config
 * overrides, with `options.semanticEncoder`, else the shipped default encoder (32x32 images, read
 * from disk in Node). `createShapesModel` is this with the shapes world's word tokenizer.
 */
export async function createModel(tokenizer: TextTokenizer, spec: ModelSpec = {}, options: { backend?: Backend; semanticEncoder?: SemanticEncoder; imageSize?: readonly [number, number] } = {}): Promise<{ model: UniHetero; preset: Preset }> {
  const preset = getPreset(spec.preset ?? 'exp2');
  const overrides = spec.config ?? {};
  const encoder = options.semanticEncoder ?? (await loadDefaultSemanticEncoder({ backend: options.backend }));
  const config = { ...applyPreset({ vocabSize: tokenizer.vocabSize, ...overrides } as ModelConfigInput, preset), ...pickOverrides(overrides) };
  const model = new UniHetero(config, { tokenizer, semanticEncoder: encoder, generator: new Generator(spec.seed ?? 0), backend: options.backend, ...(options.imageSize ? { imageSize: options.imageSize } : {}) });
  return { model, preset };
}

/** Overrides that must win over the preset (an explicit `loss`, `flow`, `mix` or projector in the config). */
function pickOverrides(c: Partial<ModelConfigInput>): Partial<ModelConfigInput> {
  const out: Partial<ModelConfigInput> = {};
  for (const k of ['loss', 'flow', 'mix', 'invertProjector'] as const) if (c[k] !== undefined) (out as Record<string, unknown>)[k] = c[k];
  return out;
}

/** The build spec stored in a checkpoint written by the apps (`extra.build`). */
export async function readCheckpointSpec(path: string): Promise<ShapesModelSpec> {
  const header = await readSafetensorsHeader(path);
  const raw = header.metadata?.[CHECKPOINT_METADATA_KEY];
  if (!raw) throw new Error(`readCheckpointSpec: '${path}' is not a unihetero checkpoint (no '${CHECKPOINT_METADATA_KEY}' metadata)`);
  const json = JSON.parse(raw) as { extra?: { build?: ShapesModelSpec } };
  const build = json.extra?.build as (ShapesModelSpec & { data?: string }) | undefined;
  if (!build) throw new Error(`readCheckpointSpec: '${path}' does not record how its model was built (extra.build); it was not written by unihetero-train`);
  if (build.data !== undefined) throw new Error(`readCheckpointSpec: '${path}' was trained on the folder '${build.data}' (unihetero-train --data), not on the shapes world; load it with loadModel`);
  return build;
}

/** Rebuild the model a checkpoint was trained as and load its weights (strict). */
export async function loadShapesModel(path: string, backend?: Backend): Promise<ShapesModel & { step: number }> {
  const spec = await readCheckpointSpec(path);
  const built = await createShapesModel(spec, backend);
  const r = await loadCheckpoint(path, { model: built.model });
  return { ...built, step: r.step };
}

/**
 * How a checkpoint's model was built (`extra.build`): a shapes-world spec; for a model trained on
 * other data (`unihetero-train --data DIR`) also the data folder and the tokenizer's description.
 */
export interface CheckpointBuild extends ShapesModelSpec {
  /** The folder of PNG + caption pairs the model was trained on (absent: the shapes world). */
  data?: string;
  /** The tokenizer (`describeTokenizer` of `@unihetero/data`); absent: the shapes world's word tokenizer of `world`. */
  tokenizer?: TokenizerSpec;
}

/** A model rebuilt from a checkpoint: a shapes-world model (`world` set), or one on the checkpoint's saved tokenizer (`world` null, `data` its folder). */
export interface LoadedModel {
  model: UniHetero;
  preset: Preset;
  /** The shapes world the model was trained on; null for a model trained on other data. */
  world: ShapesWorld | null;
  /** The data folder the model was trained on (`extra.build.data`); null for the shapes world. */
  data: string | null;
  /** The checkpoint's `extra.build`. */
  build: CheckpointBuild;
  /** The training step of the checkpoint. */
  step: number;
  /** The checkpoint's `extra`. */
  extra: Record<string, unknown>;
}

/**
 * Rebuild the model any checkpoint of the apps was trained as and load its weights (strict): with
 * the tokenizer saved in `extra.build.tokenizer` when there is one, else on the shapes world of
 * `extra.build.world` (every checkpoint written before tokenizers were saved). Throws naming the
 * file when it does not record its build, or was trained on a folder without saving its tokenizer.
 */
export async function loadModel(path: string, backend?: Backend): Promise<LoadedModel> {
  const info = await readCheckpointInfo(path);
  const extra = info.extra !== null && typeof info.extra === 'object' && !Array.isArray(info.extra) ? (info.extra as Record<string, unknown>) : {};
  const build = extra.build as CheckpointBuild | undefined;
  if (build === null || typeof build !== 'object' || Array.isArray(build)) throw new Error(`loadModel: '${path}' does not record how its model was built (extra.build); it was not written by unihetero-train`);
  let built: { model: UniHetero; preset: Preset; world: ShapesWorld | null };
  if (build.tokenizer !== undefined) {
    const tokenizer = tokenizerFromSpec(build.tokenizer, `loadModel: '${path}': extra.build.tokenizer`);
    built = { ...(await createModel(tokenizer, { preset: build.preset, config: build.config, seed: build.seed }, { backend })), world: null };
  } else if (build.data !== undefined) {
    throw new Error(`loadModel: '${path}' was trained on the folder '${build.data}' (unihetero-train --data) by a version that did not save its tokenizer; train it again to get a checkpoint that records its vocabulary`);
  } else {
    built = await createShapesModel(build, backend);
  }
  try {
    const r = await loadCheckpoint(path, { model: built.model });
    return { model: built.model, preset: built.preset, world: built.world, data: build.data ?? null, build, step: r.step, extra };
  } catch (e) {
    built.model.dispose();
    throw e;
  }
}
