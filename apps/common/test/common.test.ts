import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Command } from 'commander';
import { SafetensorsError } from '@unihetero/safetensors';
import {
  LOCK_FILE,
  UsageError,
  acquireRunLock,
  checked,
  describeError,
  formatDuration,
  formatError,
  interruptHandler,
  isStaleTempName,
  isVerbose,
  machineLine,
  parseInteger,
  parseNumber,
  removeStaleTempFiles,
  repairJsonl,
  runProgram,
  stopExitCode,
} from '../src/index.js';

const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'unihetero-common-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('strict parsing', () => {
  it('takes decimal integers only, naming the option and the text', () => {
    expect(parseInteger('--samples', '16', 1)).toBe(16);
    expect(parseInteger('--samples', ' +7 ', 1)).toBe(7);
    for (const t of ['0x10', '1e3', '12abc', '', ' ', '1.5', 'Infinity', '0b11', '9007199254740993']) {
      expect(() => parseInteger('--samples', t, 1)).toThrow(`--samples: expected an integer >= 1, got '${t}'`);
    }
    expect(() => parseInteger('--steps', '9', 1, 8)).toThrow("--steps: expected an integer in [1, 8], got '9'");
  });

  it('takes finite decimal numbers in range', () => {
    expect(parseNumber('--lr', '3e-3', { min: 0, exclusiveMin: true })).toBe(0.003);
    expect(parseNumber('--lr', '.5')).toBe(0.5);
    for (const t of ['0x10', 'NaN', 'Infinity', '', '1e999', '1,5']) expect(() => parseNumber('--lr', t)).toThrow(`--lr: expected a finite number, got '${t}'`);
    expect(() => parseNumber('--top-p', '0', { min: 0, exclusiveMin: true, max: 1 })).toThrow("--top-p: expected a finite number > 0 and <= 1, got '0'");
  });
});

describe('commander glue', () => {
  const program = (action: (n: number) => void, err: string[]) =>
    new Command('tool')
      .exitOverride()
      .configureOutput({ writeOut: () => {}, writeErr: (t) => void err.push(t) })
      .option('--n <n>', 'a count', checked((t) => parseInteger('--n', t, 1)), 1)
      .action((o: { n: number }) => action(o.n));

  it('runs the command to exit code 0 with the parsed value', async () => {
    const seen: number[] = [];
    expect(await runProgram(program((n) => seen.push(n), []), ['--n', '3'], () => {})).toBe(0);
    expect(seen).toEqual([3]);
  });

  it("turns a parser error into commander's invalid-argument message and its exit code", async () => {
    const err: string[] = [];
    const reported: unknown[] = [];
    expect(await runProgram(program(() => {}, err), ['--n', '0x10'], (e) => reported.push(e))).toBe(1);
    expect(err.join('')).toBe("error: option '--n <n>' argument '0x10' is invalid. --n: expected an integer >= 1, got '0x10'\n");
    expect(reported).toEqual([]);
  });

  it('gives help exit code 0 and hands anything the command throws to report, with exit code 1', async () => {
    expect(await runProgram(program(() => {}, []), ['--help'], () => {})).toBe(0);
    const reported: unknown[] = [];
    const boom = new Error('boom');
    expect(
      await runProgram(
        program(() => {
          throw boom;
        }, []),
        [],
        (e) => reported.push(e),
      ),
    ).toBe(1);
    expect(reported).toEqual([boom]);
  });
});

describe('one-line errors', () => {
  it('turn system errors into words with a remedy, keeping the operation and the file', () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
    const wrapped = new SafetensorsError('io', "writeFileAtomic: cannot write '/r/checkpoint.safetensors': ENOSPC: no space left on device, write", { cause: enospc });
    expect(describeError(wrapped)).toBe("writeFileAtomic: cannot write '/r/checkpoint.safetensors': no space left on the device; free some space and run the command again (ENOSPC)");
    const rofs = Object.assign(new Error("EROFS: read-only file system, mkdir '/ro/x'"), { code: 'EROFS', syscall: 'mkdir', path: '/ro/x' });
    expect(describeError(rofs)).toBe("mkdir failed: read-only file system at '/ro/x'; choose a folder on a writable file system (EROFS)");
    const notdir = Object.assign(new Error('x'), { code: 'ENOTDIR', syscall: 'mkdir', path: '/f/x' });
    expect(describeError(notdir)).toBe("mkdir failed: a path component at '/f/x' is a file, not a folder; choose another path (ENOTDIR)");
  });

  it('fold multi-line messages, mark built-in errors as internal, and add the stack only when verbose', () => {
    expect(describeError(new UsageError('config:\n  a: bad\n  b: worse'))).toBe('config: a: bad; b: worse');
    expect(describeError(new TypeError('x is undefined'))).toBe('internal error: TypeError: x is undefined (run with --verbose for the stack trace and report it)');
    const e = new Error('boom');
    expect(formatError('prog', e)).toBe('prog: boom\n');
    expect(formatError('prog', e, true)).toMatch(/^prog: boom\nError: boom\n {4}at /);
    expect(isVerbose(['x', '--verbose'], {})).toBe(true);
    expect(isVerbose([], { UNIHETERO_VERBOSE: '1' })).toBe(true);
    expect(isVerbose([], {})).toBe(false);
  });
});

describe('run folders', () => {
  it('lock: a live holder is refused by name, a dead one is taken over; release removes it', async () => {
    const dir = await tmp();
    const lock = await acquireRunLock(dir, 'prog');
    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid} ${hostname()}\n`);
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
    // A live process (the parent of this worker) holds it.
    await writeFile(join(dir, LOCK_FILE), `${process.ppid} ${hostname()}\n`);
    await expect(acquireRunLock(dir, 'prog')).rejects.toThrow(new RegExp(`^'${dir}' is in use by prog process ${process.ppid} \\(lock file .*\\.lock\\); wait for it to finish or stop it$`));
    // A dead process: a pid that exited.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    await writeFile(join(dir, LOCK_FILE), `${dead} ${hostname()}\n`);
    const taken = await acquireRunLock(dir, 'prog');
    await taken.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('removes our stale temporary files and nothing else', async () => {
    const dir = await tmp();
    const ours = ['.checkpoint.safetensors.123.m1abc2def.tmp', 'eval.jsonl.tmp-4567', '.metrics.jsonl.9.zz.tmp'];
    const theirs = ['notes.tmp', '.checkpoint.safetensors.tmp', 'checkpoint.safetensors', 'x.tmp-abc'];
    for (const n of [...ours, ...theirs]) await writeFile(join(dir, n), 'x');
    for (const n of ours) expect(isStaleTempName(n), n).toBe(true);
    for (const n of theirs) expect(isStaleTempName(n), n).toBe(false);
    expect(await removeStaleTempFiles(dir)).toEqual([...ours].sort());
    expect((await readdir(dir)).sort()).toEqual([...theirs].sort());
  });

  it('repairs JSONL logs: steps after the checkpoint, torn and damaged lines dropped; a missing file becomes empty', async () => {
    const dir = await tmp();
    const p = join(dir, 'm.jsonl');
    await writeFile(p, '{"step":1}\n{"step":2}\nnot json\n{"nostep":1}\n{"step":3}\n{"step":4}\n{"ste');
    const r = await repairJsonl(p, 3);
    expect(r).toEqual({ records: [{ step: 1 }, { step: 2 }, { step: 3 }], damaged: 3, after: 1, missing: false });
    expect(await readFile(p, 'utf8')).toBe('{"step":1}\n{"step":2}\n{"step":3}\n');
    const q = join(dir, 'gone.jsonl');
    expect(await repairJsonl(q, 5)).toEqual({ records: [], damaged: 0, after: 0, missing: true });
    expect(await readFile(q, 'utf8')).toBe('');
    expect((await readdir(dir)).sort()).toEqual(['gone.jsonl', 'm.jsonl']);
  });
});

describe('signals', () => {
  it('the first SIGINT/SIGTERM aborts with its name; a second exits 128 + signal', () => {
    const c = new AbortController();
    let out = '';
    const codes: number[] = [];
    const h = interruptHandler(c, { write: (t: string) => (out += t) }, (code) => codes.push(code), 'prog');
    h('SIGTERM');
    expect(c.signal.aborted).toBe(true);
    expect(stopExitCode(c.signal)).toBe(143);
    expect(out).toBe('\nprog: SIGTERM: finishing the current step, then saving the checkpoint (a second signal again to quit without saving)\n');
    h('SIGINT');
    expect(codes).toEqual([130]);
    const c2 = new AbortController();
    interruptHandler(c2, { write: () => 0 }, () => {}, 'p')('SIGINT');
    expect(stopExitCode(c2.signal)).toBe(130);
  });
});

describe('machine', () => {
  it('describes the machine in one line', () => {
    expect(machineLine()).toMatch(/^\d+ x .+, [\d.]+ GiB, .+, Node v\d+/);
    expect(machineLine({ cpuCount: 2, cpuModel: 'X', memoryGiB: 1, os: 'linux', node: 'v20', backend: 'cpu' })).toBe('2 x X, 1 GiB, linux, Node v20, backend cpu');
  });
});

describe('formatDuration', () => {
  it('rounds the seconds once, before splitting them: never 3m60s', () => {
    expect([0, 4.4, 59.4, 59.6, 239.6, 65, 3599.4, 3599.6, 3660, 7170, -1, NaN].map(formatDuration)).toEqual(['0s', '4s', '59s', '1m00s', '4m00s', '1m05s', '59m59s', '1h00m', '1h01m', '2h00m', '?', '?']);
  });
});
