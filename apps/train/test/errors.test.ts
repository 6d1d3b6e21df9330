/**
 * The bad inputs of the train command: each gives exit 1 and one line naming the operation, the
 * path and the remedy, never a stack trace (unless --verbose); nothing is left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../src/program.js';
import { memoryIO, removeDir, tempDir, tinySpecFile } from './helpers.js';

let dir: string;
let spec: string;
let roMount: string | null = null;
beforeAll(async () => {
  dir = await tempDir();
  spec = await tinySpecFile(dir);
});
afterAll(async () => {
  if (roMount) spawnSync('umount', ['-l', roMount]);
  await removeDir(dir);
});

async function fails(args: string[]): Promise<string> {
  const io = memoryIO();
  expect(await runCli([...args, '--backend', 'cpu', '--quiet'], io)).toBe(1);
  const err = io.err();
  expect(err.endsWith('\n') && !err.slice(0, -1).includes('\n'), err).toBe(true);
  expect(err).not.toMatch(/^\s+at /m);
  return err.slice(0, -1);
}

describe('bad inputs', () => {
  it('--out that is a file, or below a file', async () => {
    const f = join(dir, 'a-file');
    await writeFile(f, 'x');
    expect(await fails(['--config', spec, '--out', f])).toBe(`unihetero-train: --out '${f}' is a file, not a folder; choose a folder for the run`);
    expect(await fails(['--config', spec, '--out', join(f, 'run')])).toBe(`unihetero-train: --out '${join(f, 'run')}': a part of the path is a file, not a folder; choose another --out`);
  });

  it('a fresh run refuses a folder with the logs of a run that wrote no checkpoint', async () => {
    const out = join(dir, 'old');
    await mkdir(out);
    await writeFile(join(out, 'metrics.jsonl'), '{"step":1}\n{"step":2}\n');
    expect(await fails(['--config', spec, '--out', out])).toBe(
      `unihetero-train: '${out}' holds metrics.jsonl (2 lines) of a run that wrote no checkpoint; delete that run's files (or the folder) to start over there, or choose another --out`,
    );
    expect(await readdir(out)).toEqual(['metrics.jsonl']);
  });

  it('a folder in use by a live process is refused by name', async () => {
    const out = join(dir, 'busy');
    await mkdir(out);
    await writeFile(join(out, '.lock'), `${process.ppid} ${(await import('node:os')).hostname()}\n`);
    expect(await fails(['--config', spec, '--out', out])).toMatch(new RegExp(`^unihetero-train: '${out}' is in use by unihetero-train process ${process.ppid} \\(lock file .*\\.lock\\); wait for it to finish or stop it$`));
  });

  it('--verbose (or UNIHETERO_VERBOSE=1) adds the stack trace', async () => {
    const io = memoryIO();
    expect(await runCli(['--config', spec, '--out', join(dir, 'a-file'), '--verbose'], io)).toBe(1);
    expect(io.err()).toMatch(/^unihetero-train: --out .* is a file, not a folder; choose a folder for the run\nUsageError: .*\n\s+at /);
  });

  const root = process.getuid?.() === 0;
  it.skipIf(!root)('a read-only folder (a read-only tmpfs; root only) names the file system and the remedy', async () => {
    const mnt = join(dir, 'ro');
    await mkdir(mnt);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', mnt]);
    if (m.status !== 0) {
      console.log(`read-only case skipped: mount failed (${m.stderr.toString().trim()})`);
      return;
    }
    roMount = mnt;
    expect(await fails(['--config', spec, '--out', join(mnt, 'run')])).toBe(
      `unihetero-train: --out '${join(mnt, 'run')}' cannot be created: '${mnt}' is on a read-only file system (EROFS); choose a folder on a writable file system`,
    );
    expect(existsSync(join(mnt, 'run'))).toBe(false);
  });
});
