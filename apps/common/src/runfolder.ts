/**
 * Run folders that survive anything: a lock so that two processes never write one folder, removal
 * of the temporary files an interrupted atomic write leaves behind, atomic file writes, and JSONL
 * logs (derived files) repaired to a step instead of refusing a resume.
 */
import { access, constants, mkdir, readFile, readdir, rm, stat, writeFile, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ATOMIC_TEMP_PATTERN, writeFileAtomic } from '@unihetero/safetensors';
import { UsageError } from './errors.js';

export { writeFileAtomic, ATOMIC_TEMP_PATTERN };

/** The lock file inside a run folder. */
export const LOCK_FILE = '.lock';

/** Temporary files of the apps' older writer (`<name>.tmp-<pid>`), removed like `ATOMIC_TEMP_PATTERN`'s. */
const LEGACY_TEMP_PATTERN = /^.+\.tmp-\d+$/;

/** Whether `name` is a temporary file of an interrupted atomic write of ours. */
export function isStaleTempName(name: string): boolean {
  return ATOMIC_TEMP_PATTERN.test(name) || LEGACY_TEMP_PATTERN.test(name);
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

/**
 * Create the folder `path` (and its parents). A failure names the folder (`what`, e.g. `--out
 * 'runs/x'`), the ancestor that is in the way and the remedy: a read-only file system or a folder
 * without write permission is reported as such (a recursive mkdir would only say ENOENT).
 */
export async function makeFolder(path: string, what: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
  } catch (e) {
    let ancestor = dirname(path);
    while (!(await exists(ancestor)) && dirname(ancestor) !== ancestor) ancestor = dirname(ancestor);
    try {
      await access(ancestor, constants.W_OK);
    } catch (denied) {
      const code = (denied as NodeJS.ErrnoException).code;
      if (code === 'EROFS') throw new UsageError(`${what} cannot be created: '${ancestor}' is on a read-only file system (EROFS); choose a folder on a writable file system`, { cause: e });
      if (code === 'EACCES' || code === 'EPERM') throw new UsageError(`${what} cannot be created: '${ancestor}' is not writable (${code}); choose a folder you can write to, or fix its permissions`, { cause: e });
    }
    throw e;
  }
}

/** Whether process `pid` is alive on this machine. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A held run-folder lock; `release()` removes it (idempotent). */
export interface RunLock {
  path: string;
  release(): Promise<void>;
}

/**
 * Take `<dir>/.lock` for this process: a lock of a live process on this host is an error naming
 * it; a lock left by a dead (killed) process is taken over. The folder must exist.
 */
export async function acquireRunLock(dir: string, program: string): Promise<RunLock> {
  const path = join(dir, LOCK_FILE);
  const me = `${process.pid} ${hostname()}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx');
      try {
        await fh.writeFile(me);
      } finally {
        await fh.close();
      }
      let released = false;
      return {
        path,
        release: async () => {
          if (released) return;
          released = true;
          const now = await readFile(path, 'utf8').catch(() => '');
          if (now === me) await rm(path, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const text = await readFile(path, 'utf8').catch(() => '');
    const [pidText, host] = text.trim().split(/\s+/);
    const pid = Number(pidText);
    const sameHost = host === undefined || host === hostname();
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && (!sameHost || alive(pid))) {
      throw new UsageError(
        `'${dir}' is in use by ${program} process ${pid}${sameHost ? '' : ` on ${host}`} (lock file ${path}); wait for it to finish or stop it${sameHost ? '' : ', or delete the lock file if that process is gone'}`,
      );
    }
    // A lock of a process that no longer exists (or an unreadable one): take it over.
    await rm(path, { force: true });
  }
  throw new UsageError(`cannot take the lock ${path}: another process keeps creating it; run one command per folder`);
}

/**
 * Remove the temporary files interrupted atomic writes left in `dir` (ours only: names matching
 * `ATOMIC_TEMP_PATTERN` or `<name>.tmp-<pid>`; everything else is left alone). Call it while
 * holding the folder's lock. Returns the names removed.
 */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!isStaleTempName(name)) continue;
    const p = join(dir, name);
    try {
      if (!(await stat(p)).isFile()) continue;
      await rm(p, { force: true });
      removed.push(name);
    } catch {
      /* vanished meanwhile */
    }
  }
  return removed.sort();
}

/** What `repairJsonl` found. */
export interface JsonlRepair {
  /** The records kept (`step <= lastStep`, in file order). */
  records: Record<string, unknown>[];
  /** Lines dropped because they were not JSON objects with a numeric `step` (a torn or damaged line). */
  damaged: number;
  /** Records dropped because they come after `lastStep` (logged after the checkpoint). */
  after: number;
  /** Whether the file was missing. */
  missing: boolean;
}

/**
 * Keep the records of the JSONL log at `path` with `step <= lastStep` and rewrite it atomically
 * (a missing file becomes an empty one). A log is derived data: a torn last line, a damaged line
 * or a deleted file is repaired and reported, never a reason to fail.
 */
export async function repairJsonl(path: string, lastStep: number): Promise<JsonlRepair> {
  let text = '';
  let missing = false;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    missing = true;
  }
  const records: Record<string, unknown>[] = [];
  let damaged = 0;
  let after = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      damaged++;
      continue;
    }
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec) || typeof (rec as { step?: unknown }).step !== 'number') {
      damaged++;
      continue;
    }
    const r = rec as Record<string, unknown>;
    if ((r.step as number) <= lastStep) records.push(r);
    else after++;
  }
  const out = records.map((r) => `${JSON.stringify(r)}\n`).join('');
  if (missing || damaged > 0 || after > 0 || out !== text) await writeFileAtomic(path, out);
  return { records, damaged, after, missing };
}

/** Create or empty `path` (a fresh log). */
export async function emptyFile(path: string): Promise<void> {
  await writeFile(path, '');
}
