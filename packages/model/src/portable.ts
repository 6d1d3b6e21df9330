/**
 * Shapes-world models from bytes rather than paths, for browsers (and anything else without a
 * file system): the encoder and the checkpoint arrive as `Uint8Array`s (e.g. from `fetch`), and a
 * checkpoint is produced as bytes (e.g. for a download). The files are the same as the apps':
 * a checkpoint written here loads with `loadShapesModel(path)` in Node and the other way round.
 */
import type { Backend } from '@unihetero/tensor';
import { parseSafetensors, serializeSafetensors } from '@unihetero/safetensors';
import { CHECKPOINT_METADATA_KEY, checkpointToSafetensors, loadCheckpoint, type Optimizer } from '@unihetero/nn';
import { NO_PREPROCESSING, ViTSemanticEncoder, type SemanticEncoder } from '@unihetero/vision';
import { createShapesModel, type ShapesModel, type ShapesModelSpec } from './shapes.js';

/** The frozen semantic encoder as weights bytes (the shipped `shapes-vit-tiny.safetensors`) or an encoder already loaded (shared, not disposed here). */
export type EncoderSource = Uint8Array | SemanticEncoder;

/** Load the shapes world's default encoder from its `.safetensors` bytes (no preprocessing: it sees `[-1, 1]` images). */
export async function loadEncoderFromBytes(bytes: Uint8Array, backend?: Backend): Promise<ViTSemanticEncoder> {
  return ViTSemanticEncoder.load(bytes, { backend, preprocessing: NO_PREPROCESSING });
}

async function encoderOf(source: EncoderSource, backend?: Backend): Promise<SemanticEncoder> {
  return source instanceof Uint8Array ? loadEncoderFromBytes(source, backend) : source;
}

/** Build a fresh shapes-world model with the encoder given as bytes or as a loaded encoder. */
export async function createShapesModelFrom(spec: ShapesModelSpec, encoder: EncoderSource, backend?: Backend): Promise<ShapesModel> {
  return createShapesModel(spec, backend, await encoderOf(encoder, backend));
}

/** The checkpoint JSON (step and `extra`) of checkpoint bytes. */
export function readCheckpointMetaFromBytes(bytes: Uint8Array): { step: number; extra: Record<string, unknown> } {
  const raw = parseSafetensors(bytes).metadata?.[CHECKPOINT_METADATA_KEY];
  if (!raw) throw new Error(`readCheckpointMetaFromBytes: not a unihetero checkpoint (${bytes.byteLength} bytes, no '${CHECKPOINT_METADATA_KEY}' metadata)`);
  const json = JSON.parse(raw) as { step?: number; extra?: Record<string, unknown> };
  return { step: json.step ?? 0, extra: json.extra ?? {} };
}

/** Rebuild the model that checkpoint bytes were trained as (from `extra.build`) and load its weights strictly. */
export async function loadShapesModelFromBytes(bytes: Uint8Array, encoder: EncoderSource, backend?: Backend): Promise<ShapesModel & { step: number; extra: Record<string, unknown> }> {
  const { extra } = readCheckpointMetaFromBytes(bytes);
  const build = extra.build as ShapesModelSpec | undefined;
  if (!build) throw new Error('loadShapesModelFromBytes: the checkpoint does not record how its model was built (extra.build); it was not written by unihetero-train or shapesCheckpointBytes');
  const built = await createShapesModelFrom(build, encoder, backend);
  try {
    const r = await loadCheckpoint(bytes, { model: built.model });
    return { ...built, step: r.step, extra };
  } catch (err) {
    built.model.dispose();
    throw err;
  }
}

/** Options of `shapesCheckpointBytes`. */
export interface CheckpointBytesOptions {
  /** Training step to record (default 0). */
  step?: number;
  /** Include this optimizer's state (default: weights only). */
  optimizer?: Optimizer<any>;
  /** More JSON for `extra` (`build` is always the model's spec). */
  extra?: Record<string, unknown>;
}

/** A checkpoint of a shapes-world model as `.safetensors` bytes, recording its build spec so `loadShapesModel` / `loadShapesModelFromBytes` rebuild it. */
export async function shapesCheckpointBytes(built: ShapesModel, options: CheckpointBytesOptions = {}): Promise<Uint8Array> {
  const { tensors, metadata } = await checkpointToSafetensors({ model: built.model, optimizer: options.optimizer, step: options.step ?? 0, extra: { ...(options.extra ?? {}), build: built.spec } });
  return serializeSafetensors(tensors, metadata);
}
