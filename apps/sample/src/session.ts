/**
 * Opening a trained model: check the checkpoint path, start the requested backend, rebuild the
 * model from the checkpoint's build spec (`loadModel`: on the shapes world, or, for a checkpoint of
 * `unihetero-train --data DIR`, on the caption vocabulary it saved), and release the backend at the end.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Backend } from '@unihetero/tensor';
import { createBackend, type BackendKind } from '@unihetero/webgpu';
import { loadModel, type LoadedModel } from '@unihetero/model';
import { CheckpointIntegrityError, previousCheckpointPath, verifyCheckpoint } from '@unihetero/nn';
import { describeError } from '@unihetero/app-common';
import { UsageError, messageOf, type SampleIO } from './io.js';
import type { ContextSize } from './commands/common.js';

/** A loaded model on its backend: `world` is null for a checkpoint trained on a data folder (`data`). */
export interface Session extends LoadedModel {
  backend: Backend;
  /** The checkpoint file that was loaded. */
  path: string;
}

/** Backend names accepted by `--backend`. */
export const BACKENDS = ['auto', 'cpu', 'webgpu'] as const;

/** The checkpoint file unihetero-train writes inside its run folder. */
export const RUN_CHECKPOINT = 'checkpoint.safetensors';

/**
 * The checkpoint file `path` names: the file itself, or `<path>/checkpoint.safetensors` for a
 * run folder of unihetero-train. Throws a `UsageError` naming the path otherwise (a folder without
 * that file gets its .safetensors files listed).
 */
export async function resolveCheckpointPath(path: string): Promise<string> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new UsageError(`checkpoint '${path}' does not exist (write one with unihetero-train)`);
  }
  if (info.isDirectory()) {
    const files = await readdir(path);
    if (files.includes(RUN_CHECKPOINT)) return resolveCheckpointPath(join(path, RUN_CHECKPOINT));
    const found = files.filter((f) => f.endsWith('.safetensors')).sort();
    throw new UsageError(`checkpoint '${path}' is a folder without ${RUN_CHECKPOINT}; pass a checkpoint file${found.length ? ` (it holds: ${found.join(', ')})` : ' (it holds no .safetensors files)'}`);
  }
  if (!info.isFile()) throw new UsageError(`checkpoint '${path}' is not a regular file`);
  return path;
}

/**
 * The checkpoint to load for `given` (a file or a run folder): the file itself; for a run folder its
 * checkpoint.safetensors, or (with a warning) checkpoint.prev.safetensors when that is damaged.
 * A damaged checkpoint is a `UsageError` naming the file, what is damaged and what to do.
 */
async function intactCheckpoint(given: string, io: SampleIO): Promise<string> {
  const path = await resolveCheckpointPath(given);
  try {
    await verifyCheckpoint(path);
    return path;
  } catch (e) {
    if (!(e instanceof CheckpointIntegrityError || (e as Error | null)?.name === 'SafetensorsError')) throw e;
    const previous = previousCheckpointPath(path);
    const prevOk = await verifyCheckpoint(previous).then(
      (info) => info.step,
      () => null,
    );
    const why = describeError(e);
    if (prevOk !== null && path !== given) {
      io.err(`checkpoint '${path}' cannot be used (${why}); using the previous checkpoint '${previous}' (step ${prevOk}) of the run folder instead`);
      return previous;
    }
    throw new UsageError(
      `checkpoint '${path}' cannot be used: ${why}; ${prevOk !== null ? `the previous checkpoint '${previous}' (step ${prevOk}) is intact: pass it with --checkpoint` : 'resume its training run (unihetero-train --resume) or train a new one'}`,
      { cause: e },
    );
  }
}

/** Load the checkpoint at `path` (a file or a run folder) on a backend of `kind` (undefined: `$UNIHETERO_BACKEND` or auto); the caller must `closeSession`. */
export async function openSession(path: string, kind: BackendKind | undefined, io: SampleIO): Promise<Session> {
  path = await intactCheckpoint(path, io);
  const backend = await createBackend(kind);
  try {
    let loaded;
    try {
      loaded = await loadModel(path, backend);
    } catch (e) {
      const m = messageOf(e);
      throw m.includes(path) ? e : new Error(`checkpoint '${path}': ${m}`);
    }
    const on = loaded.data === null ? '' : `, trained on --data '${loaded.data}' with a ${loaded.model.tokenizer.vocabSize}-token vocabulary`;
    io.err(`loaded '${path}' (preset ${loaded.preset.name}, step ${loaded.step}${on}) on the ${backend.name} backend`);
    return { ...loaded, backend, path };
  } catch (e) {
    backend.destroy();
    throw e;
  }
}

/** The side of the model's (square) input images. */
export function imageSide(s: Session): number {
  const [h, w] = s.model.imageSize;
  if (h !== w) throw new Error(`checkpoint '${s.path}': the model sees ${h}x${w} (height x width) images; only square images are read`);
  return h;
}

/** What encodes the session's texts, for messages: the world's tokenizer, or the vocabulary saved from a data folder's captions. */
export function vocabularyOf(s: Session): string {
  return s.data === null ? "the world's tokenizer" : `the checkpoint's vocabulary (the ${s.model.tokenizer.vocabSize - 6} words and marks of the captions in '${s.data}')`;
}

/** The model's context size (positions) and the positions its image span takes. */
export function contextOf(s: Session): ContextSize {
  return { maxPositions: s.model.config.backbone.maxPositionEmbeddings, visualTokens: s.model.numVisualTokens };
}

/** Free the model's tensors (parameters, buffers, the frozen encoder) and release the backend (lets the process exit). */
export function closeSession(s: Session): void {
  s.model.dispose();
  const enc = s.model.semanticEncoder as { dispose?: () => void };
  enc.dispose?.();
  s.backend.destroy();
}
