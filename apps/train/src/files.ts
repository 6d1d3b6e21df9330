/**
 * File helpers of a run folder: atomic writes, JSONL append and truncation to a step (so a resumed
 * run's metrics match exactly one run), and reading a unihetero checkpoint's JSON metadata.
 */
import { appendFile, mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CHECKPOINT_METADATA_KEY } from '@unihetero/nn';

/** Write `data` to `path` via a temporary file and a rename (readers never see a partial file). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** Whether `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Append one JSON object as a line. */
export async function appendJsonl(path: string, record: unknown): Promise<void> {
  await appendFile(path, `${JSON.stringify(record)}\n`);
}

/**
 * Keep only the records of `path` with `step <= lastStep` (an interrupted run may have logged steps
 * after its last checkpoint; a torn last line is dropped too). Returns the kept records; a missing
 * file becomes an empty one.
 */
export async function truncateJsonlToStep(path: string, lastStep: number): Promise<Record<string, unknown>[]> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch {
    text = '';
  }
  const kept: Record<string, unknown>[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      // Only the last line can be torn (a kill during an append); anything else is corruption.
      if (lines.slice(i + 1).some((l) => l.trim() !== '')) throw new Error(`${path}: line ${i + 1} is not valid JSON; the file is corrupt`);
      break;
    }
    if (typeof rec.step !== 'number') throw new Error(`${path}: line ${i + 1} has no numeric 'step'`);
    if (rec.step <= lastStep) kept.push(rec);
  }
  await writeFileAtomic(path, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  return kept;
}

/** The JSON a unihetero checkpoint keeps in its safetensors header (step, extra). */
export interface CheckpointMeta {
  step: number;
  extra: Record<string, unknown>;
}

/** Read a checkpoint's metadata without loading its tensors (the 8-byte header length, then the JSON header). */
export async function readCheckpointMeta(path: string): Promise<CheckpointMeta> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(8);
    await fh.read(head, 0, 8, 0);
    const n = Number(head.readBigUInt64LE(0));
    if (size < 8 || n <= 0 || 8 + n > size) throw new Error(`${path}: not a safetensors file (header length ${n}, file size ${size})`);
    const buf = Buffer.alloc(n);
    await fh.read(buf, 0, n, 8);
    const header = JSON.parse(buf.toString('utf8')) as { __metadata__?: Record<string, string> };
    const raw = header.__metadata__?.[CHECKPOINT_METADATA_KEY];
    if (!raw) throw new Error(`${path}: not a unihetero checkpoint (no '${CHECKPOINT_METADATA_KEY}' metadata)`);
    const json = JSON.parse(raw) as { step?: number; extra?: Record<string, unknown> };
    return { step: json.step ?? 0, extra: json.extra ?? {} };
  } finally {
    await fh.close();
  }
}
