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
    throw new SafetensorsError('io', `readSafetensorsFile: cannot read '${path}': ${(err as Error).message}`, { cause: err });
  }
  try {
    return new SafetensorsFile(bytes);
  } catch (err) {
    throw inFile(err, path);
  }
}

/** Name the file in a parse error (a damaged header must never surface without the file's name). */
function inFile(err: unknown, path: string): unknown {
  if (err instanceof SafetensorsError) {
    err.message = `${err.message} (in '${path}')`;
    return err;
  }
  return new SafetensorsError('io', `safetensors: cannot parse '${path}': ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

/** Read and validate only the header of a `.safetensors` file (no tensor data is read). */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const { open } = nodeBuiltin<typeof import('node:fs/promises')>('node:fs/promises', 'readSafetensorsHeader');
  const fh = await open(path, 'r').catch((err: Error) => {
    throw new SafetensorsError('io', `readSafetensorsHeader: cannot open '${path}': ${err.message}`, { cause: err });
  });
  try {
    const { size } = await fh.stat();
    const prefix = new Uint8Array(8);
    await fh.read(prefix, 0, Math.min(8, size), 0);
    try {
      const n = readHeaderLength(prefix, size);
      const json = new Uint8Array(n);
      await fh.read(json, 0, n, 8);
      return parseHeader(json, size - 8 - n);
    } catch (err) {
      throw inFile(err, path);
    }
  } finally {
    await fh.close();
  }
}

/**
 * The name pattern of the temporary files `writeFileAtomic` creates beside their target:
 * `.<name>.<pid>.<random>.tmp` (group 1 the target's name, group 2 the writer's process id). A
 * process killed during a write leaves one behind; owners of a folder may remove them at start.
 */
export const ATOMIC_TEMP_PATTERN = /^\.(.+)\.(\d+)\.([0-9a-z]+)\.tmp$/;

/** Options of `writeFileAtomic`. */
export interface AtomicWriteOptions {
  /**
   * Keep the file being replaced under this path (in the same folder): just before the new file
   * is renamed into place, the old one is hard-linked (copied where links are unsupported) and
   * renamed to `previous`. Every step is atomic, so at any moment `path` and `previous` each hold
   * a complete file. Nothing happens when `path` does not exist yet.
   */
  previous?: string;
}

/**
 * Write `bytes` to `path` atomically: a temporary file in the same folder (named by
 * `ATOMIC_TEMP_PATTERN`) is written, fsynced and renamed over `path`, so a killed process never
 * leaves a truncated file under that name. Errors name the path and keep the system error as
 * `cause` (its `code`, e.g. `ENOSPC`, tells callers what went wrong).
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string, options: AtomicWriteOptions = {}): Promise<void> {
  const fs = nodeBuiltin<typeof import('node:fs/promises')>('node:fs/promises', 'writeFileAtomic');
  const { dirname, basename, join } = nodeBuiltin<typeof import('node:path')>('node:path', 'writeFileAtomic');
  const dir = dirname(path);
  const tempFor = (target: string) => join(dir, `.${basename(target)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`);
  const tmp = tempFor(path);
  let fh: Awaited<ReturnType<typeof fs.open>> | null = null;
  let keep: string | null = null;
  try {
    fh = await fs.open(tmp, 'wx');
    await fh.writeFile(bytes);
    await fh.sync();
    await fh.close();
    fh = null;
    if (options.previous) {
      keep = tempFor(options.previous);
      let have = true;
      try {
        await fs.link(path, keep);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') have = false;
        else if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EXDEV' || code === 'EMLINK' || code === 'ENOSYS') await fs.copyFile(path, keep);
        else throw err;
      }
      if (have) {
        await fs.rename(keep, options.previous);
        // rename() between two links of one file does nothing (POSIX): a kill between the two renames leaves
        // `previous` and `path` as links of one file, and then the temporary link must go by hand.
        await fs.rm(keep, { force: true });
      }
      keep = null;
    }
    await fs.rename(tmp, path);
  } catch (err) {
    if (fh) await fh.close().catch(() => {});
    await fs.rm(tmp, { force: true }).catch(() => {});
    if (keep) await fs.rm(keep, { force: true }).catch(() => {});
    throw new SafetensorsError('io', `writeFileAtomic: cannot write '${path}': ${(err as Error).message}`, { cause: err });
  }
  // Persist the renames themselves (best effort: not every platform can fsync a directory).
  try {
    const d = await fs.open(dir, 'r');
    await d.sync().catch(() => {});
    await d.close();
  } catch {
    /* directories cannot be opened on some platforms */
  }
}

/** Serialise tensors and write them to `path` atomically (see `writeFileAtomic`; `options.previous` keeps the replaced file). */
export async function writeSafetensorsFile(
  path: string,
  tensors: Record<string, TensorEntry> | Map<string, TensorEntry>,
  metadata?: Record<string, string> | null,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const bytes = serializeSafetensors(tensors, metadata);
  await writeFileAtomic(path, bytes, options);
}
