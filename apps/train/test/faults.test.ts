/**
 * The fault suite: real `kill -9`s of the built CLI at seeded random moments of training and at
 * every stage of its checkpoint writes, SIGTERM, byte flips / truncations / edited metadata of
 * checkpoints, a full disk (a small tmpfs, when running as root), deleted derived files and stale
 * temporary files. After every fault the run folder must still hold an intact checkpoint (0 runs
 * lost), no damaged checkpoint may load (0 silent corruptions), and every interrupted run, resumed
 * to the end, must end with a checkpoint byte-identical to an uninterrupted run's.
 *
 * It spawns `dist/cli.js` (turbo builds the app before its tests). The totals are printed at the
 * end and checked: at least 200 injected faults per run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statfsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator } from '@unihetero/tensor';
import { parseSafetensors, serializeSafetensors } from '@unihetero/safetensors';
import { CHECKPOINT_METADATA_KEY, CHECKSUM_METADATA_KEY, verifyCheckpoint } from '@unihetero/nn';
import { isStaleTempName } from '@unihetero/app-common';
import { runCli } from '../src/program.js';
import { memoryIO, readJsonl, removeDir, tempDir, withoutTime } from './helpers.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const PRELOAD = fileURLToPath(new URL('./fault-preload.mjs', import.meta.url));
// Generous: on a quiet 2-core machine the suite takes about a minute; a machine shared with other jobs is slower.
const TIMEOUT = 600_000;

/** The tiny run every fault chain trains: 32 steps of 2 samples, a checkpoint every step, evaluations every 4. */
const SPEC = {
  preset: 'exp2',
  config: { backbone: { hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2 }, flow: { width: 16, depth: 1 } },
  trainer: { samples: 64, batchSize: 2, lr: 0.003 },
  eval: { every: 4, count: 2, batchSize: 2, generationCount: 0 },
  checkpointEvery: 1,
};
/** The same model on 8 steps, for the in-process cases. */
const SHORT = { ...SPEC, trainer: { samples: 16, batchSize: 2, lr: 0.003 } };

const counts = {
  killTraining: 0,
  killWriteStage: 0,
  killWriteLeftTemp: 0,
  sigterm: 0,
  byteFlips: 0,
  truncations: 0,
  metadataEdits: 0,
  damagedFallback: 0,
  fullDisk: 0,
  deletedDerived: 0,
  staleTemps: 0,
};
const outcome = { runsLost: 0, silentCorruptions: 0, resumes: 0, bitIdentical: 0 };

let dir: string;
let specPath: string;
let shortPath: string;
/** The uninterrupted reference runs (spawned CLI; in-process for the short spec). */
const ref = { ckpt: Buffer.alloc(0), metrics: new Map<number, unknown>(), evals: new Map<string, unknown>(), short: Buffer.alloc(0) };

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
}

/** Start the CLI; `done` resolves when it has exited (and been reaped). */
function start(args: string[], env: Record<string, string> = {}, preload = false) {
  const child = spawn(process.execPath, [...(preload ? ['--import', PRELOAD] : []), CLI, ...args, '--backend', 'cpu', '--quiet'], {
    env: { ...process.env, UNIHETERO_BACKEND: 'cpu', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr, stdout })));
  return { child, done };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The largest step logged in `<out>/metrics.jsonl` (torn lines ignored). */
async function maxLoggedStep(out: string): Promise<number> {
  const text = await readFile(join(out, 'metrics.jsonl'), 'utf8').catch(() => '');
  let max = 0;
  for (const line of text.split('\n')) {
    const m = /^\{"step":(\d+),/.exec(line);
    if (m && line.endsWith('}')) max = Math.max(max, Number(m[1]));
  }
  return max;
}

/** Wait until metrics.jsonl logs step `step`; fails if the process exits first. */
async function waitForStep(out: string, step: number, done: Promise<Exit>): Promise<void> {
  let exited: Exit | null = null;
  void done.then((e) => (exited = e));
  for (;;) {
    if (exited) throw new Error(`the run exited before step ${step} (code ${(exited as Exit).code}): ${(exited as Exit).stderr}`);
    if ((await maxLoggedStep(out)) >= step) return;
    await sleep(4);
  }
}

/** The step a resume of `out` continues from; a folder without an intact checkpoint is a lost run. */
async function resumableStep(out: string): Promise<number> {
  for (const f of ['checkpoint.safetensors', 'checkpoint.prev.safetensors']) {
    const p = join(out, f);
    if (!existsSync(p)) continue;
    try {
      return (await verifyCheckpoint(p)).step;
    } catch {
      /* the resume falls back to the other */
    }
  }
  outcome.runsLost++;
  throw new Error(`run lost: no intact checkpoint in ${out}: ${(await readdir(out)).join(', ')}`);
}

/** The metrics line of a record without its wall time. */
const key = (r: Record<string, unknown>) => `${r.step}/${r.kind ?? ''}`;

/** A finished run must equal the reference: the checkpoint byte for byte, every log line that is there. */
async function expectIdentical(out: string, reference: Buffer, logs = true): Promise<void> {
  outcome.resumes++;
  const bytes = await readFile(join(out, 'checkpoint.safetensors'));
  expect(bytes.equals(reference), `${out}: the final checkpoint differs from the uninterrupted run's`).toBe(true);
  outcome.bitIdentical++;
  if (logs) {
    const metrics = await readJsonl(join(out, 'metrics.jsonl'));
    expect(metrics.at(-1)?.step).toBe(32);
    for (const r of metrics) expect(withoutTime(r), `metrics step ${r.step}`).toEqual(ref.metrics.get(r.step as number));
    expect(metrics.map((r) => r.step)).toEqual([...metrics.map((r) => r.step as number)].sort((a, b) => a - b));
    for (const r of await readJsonl(join(out, 'eval.jsonl'))) expect(withoutTime(r), `eval ${key(r)}`).toEqual(ref.evals.get(key(r)));
  }
  const names = await readdir(out);
  expect(names.filter(isStaleTempName), `${out}: temporary files left`).toEqual([]);
  expect(names).not.toContain('.lock');
}

/** Before a resume: delete derived files and plant stale temporary files, as the seeded `rng` says. */
async function disturb(out: string, rng: Generator): Promise<void> {
  for (const f of ['metrics.jsonl', 'eval.jsonl', 'config.json', 'loss.svg']) {
    if (rng.uniform() < 0.2 && existsSync(join(out, f))) {
      await rm(join(out, f));
      counts.deletedDerived++;
    }
  }
  if (rng.uniform() < 0.3) {
    const n = Math.floor(rng.uniform() * 1e6);
    await writeFile(join(out, `.checkpoint.safetensors.${n}.stale${n.toString(36)}.tmp`), 'partial');
    await writeFile(join(out, `eval.jsonl.tmp-${n}`), '{"step":');
    counts.staleTemps += 2;
  }
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`the fault suite runs the built CLI: ${CLI} is missing (run npm run build)`);
  dir = await tempDir('unihetero-faults-');
  specPath = join(dir, 'spec.json');
  shortPath = join(dir, 'short.json');
  await writeFile(specPath, JSON.stringify(SPEC));
  await writeFile(shortPath, JSON.stringify(SHORT));
  const out = join(dir, 'reference');
  const [spawned, inProcess] = await Promise.all([
    start(['--config', specPath, '--out', out]).done,
    runCli(['--config', shortPath, '--out', join(dir, 'reference-short'), '--backend', 'cpu', '--quiet'], memoryIO()),
  ]);
  if (spawned.code !== 0) throw new Error(`reference run failed (${spawned.code}): ${spawned.stderr}`);
  if (inProcess !== 0) throw new Error('short reference run failed');
  ref.ckpt = await readFile(join(out, 'checkpoint.safetensors'));
  ref.short = await readFile(join(dir, 'reference-short', 'checkpoint.safetensors'));
  for (const r of await readJsonl(join(out, 'metrics.jsonl'))) ref.metrics.set(r.step as number, withoutTime(r));
  for (const r of await readJsonl(join(out, 'eval.jsonl'))) ref.evals.set(key(r), withoutTime(r));
}, TIMEOUT);

afterAll(async () => {
  if (dir) await removeDir(dir);
});

/** kill -9 at seeded random moments: after 1-2 new steps plus 0-150 ms (in a step, an evaluation or a write). */
async function randomKillChain(seed: number, kills: number): Promise<void> {
  const rng = new Generator(seed);
  const out = join(dir, `kill-${seed}`);
  await mkdir(out);
  await writeFile(join(out, 'notes.tmp'), 'a file of the user: never removed');
  for (let k = 0; k < kills; k++) {
    const fresh = k === 0;
    if (!fresh) await disturb(out, rng);
    const base = fresh ? 0 : await resumableStep(out);
    const wait = Math.max(base, await maxLoggedStep(out)) + (fresh ? 2 : 1) + Math.floor(rng.uniform() * 2);
    const delay = Math.floor(rng.uniform() * 150);
    const { child, done } = start(fresh ? ['--config', specPath, '--out', out] : ['--resume', '--out', out]);
    await waitForStep(out, wait, done);
    await sleep(delay);
    child.kill('SIGKILL');
    const e = await done;
    expect(e.signal, e.stderr).toBe('SIGKILL');
    counts.killTraining++;
    await resumableStep(out);
  }
  const last = await start(['--resume', '--out', out]).done;
  expect(last.code, last.stderr).toBe(0);
  await expectIdentical(out, ref.ckpt);
  expect(existsSync(join(out, 'notes.tmp'))).toBe(true);
}

const STAGES = ['open', 'partial', 'written', 'synced', 'linked', 'rotated', 'renamed'];

/** kill -9 inside the N-th checkpoint write of a process, at each stage of the atomic write in turn. */
async function writeStageChain(seed: number, kills: number): Promise<void> {
  const rng = new Generator(seed);
  const out = join(dir, `write-${seed}`);
  for (let k = 0; k < kills; k++) {
    const fresh = k === 0;
    if (!fresh) await disturb(out, rng);
    const stage = STAGES[k % STAGES.length]!;
    // A fresh run's first write has no file to rotate: kill it in its second.
    const nth = fresh ? 2 : 1 + Math.floor(rng.uniform() * 2);
    const e = await start(fresh ? ['--config', specPath, '--out', out] : ['--resume', '--out', out], { FAULT_WRITE: String(nth), FAULT_STAGE: stage }, true).done;
    expect(e.signal, `stage ${stage}, write ${nth}: ${e.stderr}`).toBe('SIGKILL');
    counts.killWriteStage++;
    if ((await readdir(out)).some(isStaleTempName)) counts.killWriteLeftTemp++;
    await resumableStep(out);
  }
  const last = await start(['--resume', '--out', out]).done;
  expect(last.code, last.stderr).toBe(0);
  await expectIdentical(out, ref.ckpt);
}

/** SIGTERM behaves as the first Ctrl-C: the step finishes, the checkpoint is saved, exit 143. */
async function sigtermChain(seed: number): Promise<void> {
  const rng = new Generator(seed);
  const out = join(dir, `term-${seed}`);
  for (let k = 0; k < 2; k++) {
    const fresh = k === 0;
    const wait = (await maxLoggedStep(out)) + 1 + Math.floor(rng.uniform() * 3);
    const { child, done } = start(fresh ? ['--config', specPath, '--out', out] : ['--resume', '--out', out]);
    await waitForStep(out, wait, done);
    await sleep(Math.floor(rng.uniform() * 100));
    child.kill('SIGTERM');
    const e = await done;
    counts.sigterm++;
    expect(e.code, e.stderr).toBe(143);
    const m = /stopped by SIGTERM at step (\d+) of 32; checkpoint saved to (\S+) \(continue with: unihetero-train --resume --out \S+\)/.exec(e.stderr);
    expect(m, e.stderr).not.toBeNull();
    const step = Number(m![1]);
    expect((await verifyCheckpoint(join(out, 'checkpoint.safetensors'))).step).toBe(step);
    expect(await maxLoggedStep(out)).toBe(step);
  }
  // A second signal quits at once without saving; the folder stays resumable.
  const { child, done } = start(['--resume', '--out', out]);
  await waitForStep(out, (await maxLoggedStep(out)) + 1, done);
  child.kill('SIGTERM');
  child.kill('SIGTERM');
  const e = await done;
  counts.sigterm++;
  expect(e.code === 143 || e.signal === 'SIGTERM', e.stderr).toBe(true);
  await resumableStep(out);
  const last = await start(['--resume', '--out', out]).done;
  expect(last.code, last.stderr).toBe(0);
  await expectIdentical(out, ref.ckpt);
}

describe('the fault suite', () => {
  it(
    'kill -9 at random moments and at every stage of checkpoint writes; SIGTERM; every run resumes bit-identically',
    async () => {
      await Promise.all([randomKillChain(11, 6), writeStageChain(21, STAGES.length)]);
      await Promise.all([randomKillChain(12, 6), sigtermChain(31)]);
      expect(counts.killTraining).toBe(12);
      expect(counts.killWriteStage).toBe(STAGES.length);
      expect(counts.sigterm).toBe(3);
    },
    TIMEOUT,
  );

  it('byte flips, truncations and edited metadata of a checkpoint are all detected (or change nothing)', async () => {
    const rng = new Generator(41);
    const original = ref.ckpt;
    const file = parseSafetensors(original);
    const headerEnd = 8 + file.header.headerLength;
    const content = (bytes: Uint8Array) => {
      const f = parseSafetensors(bytes);
      return JSON.stringify([f.metadata, f.names().map((n) => [n, f.info(n), Buffer.from(f.bytes(n)).toString('base64')])]);
    };
    const same = content(original);
    const check = async (bytes: Uint8Array, what: string): Promise<void> => {
      let loaded = true;
      try {
        await verifyCheckpoint(bytes);
      } catch (e) {
        loaded = false;
        expect((e as Error).message.split('\n')).toHaveLength(1);
      }
      if (loaded && content(bytes) !== same) {
        outcome.silentCorruptions++;
        throw new Error(`silent corruption: ${what} loaded with different content`);
      }
    };
    for (let i = 0; i < 120; i++) {
      const at = i % 2 === 0 ? Math.floor(rng.uniform() * headerEnd) : headerEnd + Math.floor(rng.uniform() * (original.length - headerEnd));
      const bytes = new Uint8Array(original);
      bytes[at] = bytes[at]! ^ (1 + Math.floor(rng.uniform() * 255));
      await check(bytes, `a flip of byte ${at}`);
      counts.byteFlips++;
    }
    for (let i = 0; i < 40; i++) {
      const n = Math.floor(rng.uniform() * original.length);
      await check(original.subarray(0, n), `a truncation to ${n} bytes`);
      counts.truncations++;
    }
    // Well-formed edits: a valid file whose metadata or layout says something else.
    const tensors = () => Object.fromEntries(file.names().map((n) => [n, { dtype: file.info(n).dtype, shape: [...file.info(n).shape], data: file.get(n).data }]));
    const json = () => JSON.parse(file.metadata![CHECKPOINT_METADATA_KEY]!) as Record<string, any>;
    const withJson = (j: unknown) => ({ ...file.metadata!, [CHECKPOINT_METADATA_KEY]: JSON.stringify(j) });
    const edits: (() => Uint8Array)[] = [
      () => serializeSafetensors(tensors(), withJson({ ...json(), step: 2 })),
      () => serializeSafetensors(tensors(), withJson({ ...json(), step: json().step + 1 })),
      () => {
        const j = json();
        j.extra.trainer.samplesSeen -= 2;
        return serializeSafetensors(tensors(), withJson(j));
      },
      () => {
        const j = json();
        j.optimizer.paramGroups[0].lr = 1;
        return serializeSafetensors(tensors(), withJson(j));
      },
      () => {
        const j = json();
        j.extra.run.trainer.samples = 128;
        return serializeSafetensors(tensors(), withJson(j));
      },
      () => {
        const j = json();
        j.rng.named.train[0] ^= 1;
        return serializeSafetensors(tensors(), withJson(j));
      },
      () => {
        const j = json();
        const k = Object.keys(j.optimizer.steps)[0]!;
        j.optimizer.steps[k] += 1;
        return serializeSafetensors(tensors(), withJson(j));
      },
      () => {
        const { [CHECKSUM_METADATA_KEY]: _gone, ...rest } = file.metadata!;
        return serializeSafetensors(tensors(), rest);
      },
      () => {
        const sums = JSON.parse(file.metadata![CHECKSUM_METADATA_KEY]!) as { tensors: Record<string, string> };
        const k = Object.keys(sums.tensors)[3]!;
        sums.tensors[k] = '00000000';
        return serializeSafetensors(tensors(), { ...file.metadata!, [CHECKSUM_METADATA_KEY]: JSON.stringify(sums) });
      },
      () => {
        const t = tensors();
        const names = Object.keys(t);
        const a = names[1]!;
        const moved = t[a]!;
        delete t[a];
        return serializeSafetensors({ ...t, [`${a}_renamed`]: moved }, file.metadata!);
      },
      () => {
        // A transposed shape holds the same bytes: only the checksum (which covers the shape) can tell.
        const t = tensors();
        const name = Object.keys(t).find((n) => t[n]!.shape.length === 2 && t[n]!.shape[0] !== t[n]!.shape[1])!;
        t[name]!.shape.reverse();
        return serializeSafetensors(t, file.metadata!);
      },
      () => {
        const t = tensors();
        const name = Object.keys(t).find((n) => t[n]!.dtype === 'F32')!;
        const data = new Float32Array(t[name]!.data as Float32Array);
        data[0] = NaN;
        t[name]!.data = data;
        return serializeSafetensors(t, file.metadata!);
      },
    ];
    for (let i = 0; i < 2 * edits.length; i++) {
      const bytes = edits[i % edits.length]!();
      let threw = false;
      try {
        await verifyCheckpoint(bytes);
      } catch {
        threw = true;
      }
      if (!threw) outcome.silentCorruptions++;
      expect(threw, `edit ${i % edits.length} was accepted`).toBe(true);
      counts.metadataEdits++;
    }
  }, TIMEOUT);

  it('a damaged current checkpoint costs one interval: the resume falls back to the previous one, bit-identically', async () => {
    const damage: ((b: Buffer) => Buffer)[] = [
      (b) => {
        const c = Buffer.from(b);
        c[c.length - 5] = c[c.length - 5]! ^ 0x40;
        return c;
      },
      (b) => b.subarray(0, Math.floor(b.length / 2)),
      (b) => {
        const f = parseSafetensors(b);
        const j = JSON.parse(f.metadata![CHECKPOINT_METADATA_KEY]!) as { step: number };
        j.step = 2;
        const t = Object.fromEntries(f.names().map((n) => [n, { dtype: f.info(n).dtype, shape: [...f.info(n).shape], data: f.get(n).data }]));
        return Buffer.from(serializeSafetensors(t, { ...f.metadata!, [CHECKPOINT_METADATA_KEY]: JSON.stringify(j) }));
      },
    ];
    for (let i = 0; i < damage.length; i++) {
      const out = join(dir, `fallback-${i}`);
      const io = memoryIO({ hooks: { afterStep: (m) => { if (m.step === 6) throw new Error('simulated crash'); } } });
      expect(await runCli(['--config', shortPath, '--out', out, '--backend', 'cpu', '--quiet'], io)).toBe(1);
      const ckpt = join(out, 'checkpoint.safetensors');
      await writeFile(ckpt, damage[i]!(await readFile(ckpt)));
      const resumed = memoryIO();
      expect(await runCli(['--resume', '--out', out, '--backend', 'cpu', '--quiet'], resumed), resumed.err()).toBe(0);
      expect(resumed.err()).toMatch(/^unihetero-train: the checkpoint .*checkpoint\.safetensors cannot be used \(.*\); resuming from the previous checkpoint .*checkpoint\.prev\.safetensors \(step 4\) instead, losing one checkpoint interval; the damaged file was moved to .*checkpoint\.safetensors\.damaged\n/);
      expect(resumed.err().split('\n').filter(Boolean)).toHaveLength(1);
      counts.damagedFallback++;
      await expectIdentical(out, ref.short, false);
    }
    // Both damaged: one line that says so, and nothing loads.
    const out = join(dir, 'fallback-0');
    for (const f of ['checkpoint.safetensors', 'checkpoint.prev.safetensors']) await writeFile(join(out, f), 'garbage');
    const io = memoryIO();
    expect(await runCli(['--resume', '--out', out, '--backend', 'cpu'], io)).toBe(1);
    expect(io.err()).toMatch(/^unihetero-train: --resume: no intact checkpoint in '.*': .*checkpoint\.safetensors.*; .*checkpoint\.prev\.safetensors.*; this run cannot continue \(start a new run, in another --out\)\n$/);
  }, TIMEOUT);

  const root = process.getuid?.() === 0;
  let mounted: string | null = null;
  let why = root ? '' : `not running as root (uid ${process.getuid?.()}); a small tmpfs needs mount`;
  if (root) {
    const probe = spawnSync('mount', ['--version']);
    if (probe.error) why = `mount is not available (${probe.error.message})`;
  }
  afterAll(() => {
    if (mounted) spawnSync('umount', ['-l', mounted]);
  });

  it.skipIf(why !== '')('a full disk (a small tmpfs) fails with one line, keeps the last checkpoint intact, and the run resumes bit-identically', async () => {
    const mnt = join(dir, 'tmpfs');
    await mkdir(mnt);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]);
    if (m.status !== 0) {
      console.log(`fault suite: full-disk cases skipped: mount failed (${m.stderr.toString().trim()})`);
      return;
    }
    mounted = mnt;
    const out = join(mnt, 'run');
    const C = ref.short.length;
    const free = () => {
      const s = statfsSync(mnt);
      return s.bavail * s.bsize;
    };
    const fill = async (leave: number) => {
      await rm(join(mnt, 'filler'), { force: true });
      const n = Math.max(0, free() - leave);
      await writeFile(join(mnt, 'filler'), Buffer.alloc(n));
    };
    const rng = new Generator(51);
    let step = 0;
    for (let k = 0; k < 12; k++) {
      const fresh = k === 0;
      // The fresh run has room for two checkpoints, not for the third write; later ones for less than one.
      await fill(fresh ? 2 * C + 16384 + Math.floor(rng.uniform() * (C - 32768)) : Math.floor(rng.uniform() * C));
      const io = memoryIO();
      const code = await runCli([...(fresh ? ['--config', shortPath] : ['--resume']), '--out', out, '--backend', 'cpu', '--quiet'], io);
      counts.fullDisk++;
      expect(code, io.err()).toBe(1);
      const lines = io.err().split('\n').filter(Boolean);
      expect(lines.at(-1), io.err()).toMatch(/^unihetero-train: .*no space left on the device; free some space and run the command again \(ENOSPC\)/);
      expect(io.err()).not.toMatch(/\n\s+at /);
      const now = await resumableStep(out);
      expect(now).toBeGreaterThanOrEqual(step);
      step = now;
      expect((await readdir(out)).filter(isStaleTempName)).toEqual([]);
    }
    await rm(join(mnt, 'filler'));
    const io = memoryIO();
    expect(await runCli(['--resume', '--out', out, '--backend', 'cpu', '--quiet'], io), io.err()).toBe(0);
    await expectIdentical(out, ref.short, false);
  }, TIMEOUT);

  it('reached its totals: at least 200 faults, 0 runs lost, 0 silent corruptions, every resume bit-identical', () => {
    if (why) console.log(`fault suite: full-disk cases skipped: ${why}`);
    const total = Object.entries(counts).filter(([k]) => k !== 'killWriteLeftTemp').reduce((a, [, v]) => a + v, 0);
    const lines = [
      `fault suite: ${total} injected faults`,
      `  kill -9 during training (seeded random moments): ${counts.killTraining}`,
      `  kill -9 inside checkpoint writes (each stage of the atomic write): ${counts.killWriteStage} (${counts.killWriteLeftTemp} left a temporary file)`,
      `  SIGTERM: ${counts.sigterm}`,
      `  byte flips: ${counts.byteFlips}; truncations: ${counts.truncations}; edited metadata or layout: ${counts.metadataEdits}`,
      `  damaged current checkpoint (resumed from the previous one): ${counts.damagedFallback}`,
      `  full disk: ${counts.fullDisk}${why ? ` (skipped: ${why})` : ''}`,
      `  deleted derived files: ${counts.deletedDerived}; stale temporary files planted: ${counts.staleTemps}`,
      `runs lost: ${outcome.runsLost}; silent corruptions: ${outcome.silentCorruptions}; resumed runs bit-identical: ${outcome.bitIdentical}/${outcome.resumes}`,
    ];
    console.log(lines.join('\n'));
    expect(total).toBeGreaterThanOrEqual(why ? 188 : 200);
    expect(outcome.runsLost).toBe(0);
    expect(outcome.silentCorruptions).toBe(0);
    expect(outcome.bitIdentical).toBe(outcome.resumes);
  });
});
