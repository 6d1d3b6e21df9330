/** `unihetero-train --data DIR`: training on a folder of PNG + caption pairs (the fixture: six 32x32 shapes-world images). */
import { beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { encodePng } from '@unihetero/data';
import { runCli } from '../src/program.js';
import { readCheckpointMeta } from '../src/files.js';
import { memoryIO, readJsonl, tinySpecFile, useTempDir, withoutTime } from './helpers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/pairs', import.meta.url));
const tmp = useTempDir();
let specPath: string;
let straight: string;

beforeAll(async () => {
  specPath = await tinySpecFile(tmp.dir);
  straight = join(tmp.dir, 'straight');
  const io = memoryIO();
  const code = await runCli(['--data', FIXTURE, '--config', specPath, '--out', straight, '--backend', 'cpu'], io);
  if (code !== 0) throw new Error(`straight run failed (${code}): ${io.err()}`);
});

describe('--data DIR', () => {
  it('trains on the folder: metrics per step, captioning and generation evaluations, a checkpoint that records the folder', async () => {
    const m = await readJsonl(join(straight, 'metrics.jsonl'));
    expect(m.map((r) => r.step)).toEqual([1, 2, 3, 4]);
    for (const r of m) expect(Number.isFinite(r.loss)).toBe(true);
    const e = await readJsonl(join(straight, 'eval.jsonl'));
    expect(e.map((r) => [r.step, r.kind])).toEqual([
      [2, 'captioning'],
      [4, 'captioning'],
      [4, 'generation'],
    ]);
    // The fixture's split (by name hash): five training pairs, fern.png for test.
    expect(e[0]).toMatchObject({ split: 'test', count: 1, examples: [{ truth: (await readFile(join(FIXTURE, 'fern.txt'), 'utf8')).trim() }] });
    for (const k of ['exact', 'wordRecall', 'wordPrecision']) expect(e[0]![k] as number).toBeGreaterThanOrEqual(0);
    expect(e[2]!.meanAbsError as number).toBeGreaterThan(0);
    const config = JSON.parse(await readFile(join(straight, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.data).toBe(FIXTURE);
    const meta = await readCheckpointMeta(join(straight, 'checkpoint.safetensors'));
    expect(meta.step).toBe(4);
    expect(meta.extra.build).toMatchObject({ preset: 'exp2', data: FIXTURE });
    // The caption vocabulary travels with the checkpoint: the fixture's 26 words and marks, sorted.
    const captions = await Promise.all(['apple', 'boat', 'cloud', 'drum', 'easel', 'fern'].map((n) => readFile(join(FIXTURE, `${n}.txt`), 'utf8')));
    const words = [...new Set(captions.flatMap((c) => c.match(/[A-Za-z0-9]+|[^\sA-Za-z0-9]/g)!))].sort();
    expect(words.length).toBe(26);
    expect((meta.extra.build as Record<string, unknown>).tokenizer).toEqual({ kind: 'word', words });
  });

  it('prints the folder in its progress and summary lines', async () => {
    const io = memoryIO();
    const out = join(tmp.dir, 'printed');
    expect(await runCli(['--data', FIXTURE, '--config', specPath, '--out', out, '--backend', 'cpu'], io)).toBe(0);
    expect(io.err()).toContain(`exp2 on '${FIXTURE}' (5 training pairs, 1 test pair, 32 tokens in the vocabulary)`);
    expect(io.err()).toMatch(/eval step 4: captions [\d.]+% exact, word recall [\d.]+% on 1 test image; generation: mean pixel error [\d.]+% on 1 image/);
    expect(io.out()).toBe(`unihetero-train: exp2 on '${FIXTURE}' trained for 4 steps (16 samples); outputs in ${out}/: metrics.jsonl, eval.jsonl, loss.svg, config.json; checkpoint ${join(out, 'checkpoint.safetensors')} (step 4)\n`);
    expect((await readJsonl(join(out, 'metrics.jsonl'))).map(withoutTime)).toEqual((await readJsonl(join(straight, 'metrics.jsonl'))).map(withoutTime));
  });

  it('resumes an interrupted run with identical numbers (the folder comes from the checkpoint)', async () => {
    const out = join(tmp.dir, 'resumed');
    const controller = new AbortController();
    const io = memoryIO({ signal: controller.signal, hooks: { afterStep: (m) => void (m.step === 2 && controller.abort()) } });
    expect(await runCli(['--data', FIXTURE, '--config', specPath, '--out', out, '--backend', 'cpu'], io)).toBe(130);
    expect(await runCli(['--resume', '--out', out, '--backend', 'cpu'], memoryIO())).toBe(0);
    expect((await readJsonl(join(out, 'metrics.jsonl'))).map(withoutTime)).toEqual((await readJsonl(join(straight, 'metrics.jsonl'))).map(withoutTime));
  });

  it('refuses to resume when the captions no longer give the saved vocabulary', async () => {
    const pairs = join(tmp.dir, 'changing-pairs');
    await cp(FIXTURE, pairs, { recursive: true });
    const out = join(tmp.dir, 'changed');
    const controller = new AbortController();
    const io = memoryIO({ signal: controller.signal, hooks: { afterStep: (m) => void (m.step === 2 && controller.abort()) } });
    expect(await runCli(['--data', pairs, '--config', specPath, '--out', out, '--backend', 'cpu'], io)).toBe(130);
    await writeFile(join(pairs, 'apple.txt'), 'a small purple triangle at the left.');
    const again = memoryIO();
    expect(await runCli(['--resume', '--out', out, '--backend', 'cpu'], again)).toBe(1);
    expect(again.err()).toBe(
      `unihetero-train: --resume: the captions in '${pairs}' changed since '${join(out, 'checkpoint.safetensors')}' was written: words added: 'purple'; words gone: 'orange'; the checkpoint's vocabulary no longer fits the folder (restore the captions, or start a new run in another --out)\n`,
    );
  });

  it('names the folder or file that is wrong, and creates no run folder', async () => {
    const run = async (data: string) => {
      const io = memoryIO();
      const out = join(tmp.dir, 'refused');
      const code = await runCli(['--data', data, '--config', specPath, '--out', out, '--backend', 'cpu'], io);
      return { code, err: io.err(), made: await readFile(join(out, 'config.json')).then(() => true, () => false) };
    };
    const missing = join(tmp.dir, 'no-such-folder');
    expect(await run(missing)).toEqual({ code: 1, err: `unihetero-train: --data: '${missing}' does not exist\n`, made: false });

    const wrongSize = join(tmp.dir, 'wrong-size');
    await cp(FIXTURE, wrongSize, { recursive: true });
    await writeFile(join(wrongSize, 'boat.png'), encodePng({ width: 64, height: 64, data: new Uint8Array(64 * 64 * 3) }));
    expect(await run(wrongSize)).toEqual({ code: 1, err: `unihetero-train: --data: '${join(wrongSize, 'boat.png')}' is 64x64 pixels (height x width); every image must be 32x32, the model's image size\n`, made: false });

    const noCaption = join(tmp.dir, 'no-caption');
    await cp(FIXTURE, noCaption, { recursive: true });
    await rm(join(noCaption, 'cloud.txt'));
    expect(await run(noCaption)).toEqual({ code: 1, err: `unihetero-train: --data: '${join(noCaption, 'cloud.png')}' has no caption file '${join(noCaption, 'cloud.txt')}'\n`, made: false });

    await mkdir(join(tmp.dir, 'with-world'));
    const withWorld = await tinySpecFile(join(tmp.dir, 'with-world'), { world: { seed: 3 } });
    const io = memoryIO();
    expect(await runCli(['--data', FIXTURE, '--config', withWorld, '--out', join(tmp.dir, 'refused'), '--backend', 'cpu'], io)).toBe(1);
    expect(io.err()).toContain('world: a run with data trains on the folder, not the shapes world; drop world');
  });
});

it("runs the README's --data command on the fixture", async () => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.split('\n## Training on your own folder (`--data`)\n')[1]!.split('\n## ')[0]!;
  const [sh] = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const argv = sh!.trim().split(/\s+/);
  expect(argv[0]).toBe('unihetero-train');
  const out = join(tmp.dir, 'readme-pairs');
  const args = argv.slice(1).map((a) => (a === 'apps/train/test/fixtures/pairs' ? FIXTURE : a === 'runs/pairs' ? out : a));
  const io = memoryIO();
  expect(await runCli(args, io)).toBe(0);
  expect(io.err()).toContain(`exp2 on '${FIXTURE}' (5 training pairs, 1 test pair, 32 tokens in the vocabulary)`);
  expect((await readJsonl(join(out, 'metrics.jsonl'))).length).toBe(8);
}, 300_000);
