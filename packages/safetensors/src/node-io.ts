/**
 * File access for Node. `node:fs` is loaded inside each function (`nodeBuiltin`) so that the
 * package bundles and loads in a browser (where only `parseSafetensors` / `serializeSafetensors` apply).
 */
import { SafetensorsError } from './errors.js';
import { SafetensorsFile } from './file.js';
import { parseHeader, readHeaderLength, type SafetensorsHeader } from './header.js';
import { serializeSafetensors, type TensorEntry } from './serialize.js';
import { nodeBuiltin } from './node-builtin.js';

/** Read and validate a `.safetensors` file (one read of the whole file; tensors are views into it). */
export async function readSafetensorsFile(path: string): Promise<SafetensorsFile> {
  const { readFile } = nodeBuiltin<typeof import('node:fs/promises')>('node:fs/promises', 'readSafetensorsFile');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new SafetensorsError('io', `readSafetensorsFile: cannot read '${path}': ${(err as Error).message}`);
  }
  try {
    return new SafetensorsFile(bytes);
  } catch (err) {
    if (err instanceof SafetensorsError) err.message = `${err.message} (in '${path}')`;
    throw err;
  }
}

/** Read and validate only the header of a `.safetensors` file (no tensor data is read). */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const { open } = nodeBuiltin<typeof import('node:fs/promises')>('node:fs/promises', 'readSafetensorsHeader');
  const fh = await open(path, 'r').catch((err: Error) => {
    throw new SafetensorsError('io', `readSafetensorsHeader: cannot open '${path}': ${err.message}`);
  });
  try {
    const { size } = await fh.stat();
    const prefix = new Uint8Array(8);
    await fh.read(prefix, 0, Math.min(8, size), 0);
    const n = readHeaderLength(prefix, size);
    const json = new Uint8Array(n);
    await fh.read(json, 0, n, 8);
    return parseHeader(json, size - 8 - n);
  } finally {
    await fh.close();
  }
}

/**
 * Write `bytes` to `path` atomically: a temporary file in the same folder is written, fsynced
 * and renamed over `path`, so a killed process never leaves a truncated file under that name.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const fs = nodeBuiltin<typeof import('node:fs/promises')>('node:fs/promises', 'writeFileAtomic');
  const { dirname, basename, join } = nodeBuiltin<typeof import('node:path')>('node:path', 'writeFileAtomic');
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`);
  let fh: Awaited<ReturnType<typeof fs.open>> | null = null;
  try {
    fh = await fs.open(tmp, 'wx');
    await fh.writeFile(bytes);
    await fh.sync();
    await fh.close();
    fh = null;
    await fs.rename(tmp, path);
  } catch (err) {
    if (fh) await fh.close().catch(() => {});
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw new SafetensorsError('io', `writeFileAtomic: cannot write '${path}': ${(err as Error).message}`);
  }
  // Persist the rename itself (best effort: not every platform can fsync a directory).
  try {
    const d = await fs.open(dir, 'r');
    await d.sync().catch(() => {});
    await d.close();
  } catch {
    /* directories cannot be opened on some platforms */
  }
}

/** Serialise tensors and write them to `path` atomically (see `writeFileAtomic`). */
export async function writeSafetensorsFile(path: string, tensors: Record<string, TensorEntry> | Map<string, TensorEntry>, metadata?: Record<string, string> | null): Promise<void> {
  const bytes = serializeSafetensors(tensors, metadata);
  await writeFileAtomic(path, bytes);
}
