/**
 * File helpers of a run folder: atomic writes, JSONL appends, and reading a unihetero
 * checkpoint's step and extras from its header (checked: the metadata checksum must match). The
 * run-folder machinery shared by the apps (lock, stale temporary files, JSONL repair) lives in
 * `@unihetero/app-common`.
 */
import { appendFile } from 'node:fs/promises';
import { readCheckpointInfo } from '@unihetero/nn';
import { exists, writeFileAtomic } from '@unihetero/app-common';

export { exists, writeFileAtomic };

/** Append one JSON object as a line. */
export async function appendJsonl(path: string, record: unknown): Promise<void> {
  await appendFile(path, `${JSON.stringify(record)}\n`);
}

/** The JSON a unihetero checkpoint keeps in its safetensors header (step, extra). */
export interface CheckpointMeta {
  step: number;
  extra: Record<string, unknown>;
}

/**
 * Read a checkpoint's step and extras without loading its tensors; throws naming the file when the
 * header is malformed, is not a unihetero checkpoint, or fails its metadata checksum.
 */
export async function readCheckpointMeta(path: string): Promise<CheckpointMeta> {
  const info = await readCheckpointInfo(path);
  const extra = info.extra !== null && typeof info.extra === 'object' && !Array.isArray(info.extra) ? (info.extra as Record<string, unknown>) : {};
  return { step: info.step, extra };
}
