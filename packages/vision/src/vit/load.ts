/**
 * Loading and saving DINOv2-layout ViTs as Hugging Face `.safetensors` (docs/method.md 3.3): the keys are
 * exactly `Dinov2Model`'s, so `facebook/dinov2-*` files load with no conversion (keys under
 * `dinov2.`, as in `Dinov2ForImageClassification`, are found too). Loading is strict: a missing,
 * unexpected or mis-shaped tensor is an error naming it, and nothing is loaded.
 */
import type { Backend, Generator } from '@unihetero/tensor';
import { loadSafetensors, stateDictToSafetensors } from '@unihetero/nn';
import { parseSafetensors, readSafetensorsFile, writeFileAtomic, type SafetensorsFile } from '@unihetero/safetensors';
import { vitConfig, vitConfigFromHF, vitConfigToHF, type ViTConfig } from './config.js';
import { Dinov2Model } from './model.js';
import { nodeBuiltin } from '../node-builtin.js';

/** Metadata key under which our files keep the HF `config.json` of the model. */
export const VIT_CONFIG_METADATA_KEY = 'unihetero.vit_config';

/** Options of `loadDinov2`. */
export interface LoadDinov2Options {
  /** The config (wins over everything else). */
  config?: Partial<ViTConfig>;
  /** A Hugging Face `config.json` (object or JSON text). */
  hfConfig?: string | Record<string, unknown>;
  /** Path of a Hugging Face `config.json` (Node). */
  configPath?: string;
  /** Key prefix in the file (default: '' or 'dinov2.', whichever holds `embeddings.cls_token`). */
  prefix?: string;
  /** Backend of the parameters (default: the default backend). */
  backend?: Backend;
}

async function readText(path: string): Promise<string> {
  const { readFile } = nodeBuiltin<typeof import('node:fs/promises')>('node:fs/promises', 'loadDinov2');
  return readFile(path, 'utf8');
}

async function siblingConfig(weightsPath: string): Promise<string | null> {
  const { dirname, join } = nodeBuiltin<typeof import('node:path')>('node:path', 'loadDinov2');
  const { existsSync } = nodeBuiltin<typeof import('node:fs')>('node:fs', 'loadDinov2');
  const p = join(dirname(weightsPath), 'config.json');
  return existsSync(p) ? readText(p) : null;
}

/** Resolve the config: explicit, HF JSON, HF JSON file, file metadata, or `config.json` beside the weights. */
async function resolveConfig(file: SafetensorsFile, source: string | Uint8Array, o: LoadDinov2Options, where: string): Promise<ViTConfig> {
  if (o.config) return vitConfig(o.config);
  if (o.hfConfig !== undefined) return vitConfigFromHF(o.hfConfig);
  if (o.configPath !== undefined) return vitConfigFromHF(await readText(o.configPath));
  const meta = file.metadata?.[VIT_CONFIG_METADATA_KEY];
  if (meta !== undefined) return vitConfigFromHF(meta);
  if (typeof source === 'string') {
    const text = await siblingConfig(source);
    if (text !== null) return vitConfigFromHF(text);
  }
  throw new Error(`loadDinov2${where}: no config: pass options.config, hfConfig or configPath, or put the HF config.json next to the weights`);
}

function detectPrefix(file: SafetensorsFile, where: string): string {
  for (const p of ['', 'dinov2.']) if (file.has(`${p}embeddings.cls_token`)) return p;
  throw new Error(`loadDinov2${where}: no 'embeddings.cls_token' (or 'dinov2.embeddings.cls_token'); not a DINOv2 checkpoint? First keys: ${file.names().slice(0, 5).join(', ')}`);
}

/**
 * Build a `Dinov2Model` from a `.safetensors` path (Node) or bytes, loading every tensor strictly
 * (throws a `StateDictError` naming missing, unexpected or mis-shaped keys).
 */
export async function loadDinov2(source: string | Uint8Array, options: LoadDinov2Options = {}): Promise<Dinov2Model> {
  const where = typeof source === 'string' ? ` '${source}'` : '';
  const file = typeof source === 'string' ? await readSafetensorsFile(source) : parseSafetensors(source);
  const config = await resolveConfig(file, source, options, where);
  const prefix = options.prefix ?? detectPrefix(file, where);
  const model = new Dinov2Model(config, { backend: options.backend });
  try {
    // With a prefix, other sub-trees (a classifier head) are skipped; without one, strict.
    await loadSafetensors(model, file, { prefix, strict: true });
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

/** Random weights in DINOv2 layout (for tests and as a training start). */
export function randomDinov2(config: Partial<ViTConfig>, generator: Generator, backend?: Backend): Dinov2Model {
  return new Dinov2Model(config, { generator, backend });
}

/** The model as HF-layout `.safetensors` bytes, with its HF config in the metadata. */
export async function dinov2ToSafetensors(model: Dinov2Model, metadata: Record<string, string> = {}): Promise<Uint8Array> {
  return stateDictToSafetensors(model, { ...metadata, [VIT_CONFIG_METADATA_KEY]: JSON.stringify(vitConfigToHF(model.config)) });
}

/** Write the model to `path` (HF layout, atomically; Node); optionally also its `config.json` to `configPath`. */
export async function saveDinov2(model: Dinov2Model, path: string, options: { configPath?: string; metadata?: Record<string, string> } = {}): Promise<void> {
  await writeFileAtomic(path, await dinov2ToSafetensors(model, options.metadata));
  if (options.configPath) await writeFileAtomic(options.configPath, `${JSON.stringify(vitConfigToHF(model.config), null, 2)}\n`);
}
