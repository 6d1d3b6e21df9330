/**
 * `evaluate` and `diagnose` on a checkpoint of `unihetero-train --data DIR`: the train CLI (built,
 * run as a child process) trains four tiny steps on the PNG + caption fixture of apps/train;
 * `evaluate` measures captions and generation on that folder with the vocabulary the checkpoint
 * saved, and what needs the shapes world is refused by name.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '@unihetero/tensor';
import { Trainer, createShapesModel } from '@unihetero/model';
import { cli } from './helpers.js';

const TRAIN = dirname(createRequire(import.meta.url).resolve('@unihetero/train/package.json'));
/** The fixture the train app's --data tests use: six 32x32 pairs (five train, fern.png for test). */
const PAIRS = join(TRAIN, 'test', 'fixtures', 'pairs');
const CONFIG = { backbone: { hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2 }, flow: { width: 16, depth: 1 } };
let dir: string;
let ckpt: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'unihetero-eval-data-'));
  const spec = join(dir, 'spec.json');
  await writeFile(spec, JSON.stringify({ preset: 'exp2', config: CONFIG, trainer: { samples: 16, batchSize: 4, lr: 0.003 }, eval: { every: 0 }, checkpointEvery: 0 }));
  await promisify(execFile)(process.execPath, [join(TRAIN, 'dist', 'cli.js'), '--data', PAIRS, '--config', spec, '--out', join(dir, 'run'), '--backend', 'cpu', '--quiet']);
  ckpt = join(dir, 'run', 'checkpoint.safetensors');
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const small = ['--caption-count', '4', '--gen-count', '2', '--gen-steps', '2', '--flow-steps', '2', '--backend', 'cpu'];

describe('a checkpoint of unihetero-train --data', () => {
  it('evaluate measures captions and generation on its folder, with the vocabulary it saved', async () => {
    const json = join(dir, 'eval.json');
    const r = await cli(['evaluate', '--checkpoint', ckpt, '--json', json, ...small]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`${ckpt} (exp2, step 4; trained on --data '${PAIRS}'), test split of '${PAIRS}'`);
    for (const row of ['caption exact', 'caption word recall', 'caption word precision', 'generation mean pixel error']) expect(r.out).toMatch(new RegExp(`\\| ${row} +\\| \\d\\.\\d{4} \\| 1 +\\|`));
    expect(r.out).toContain('not measured (they need the shapes world): multiple-choice accuracy, the judge, the round trip, the semantics rung');
    const saved = JSON.parse(await readFile(json, 'utf8'));
    const fern = (await readFile(join(PAIRS, 'fern.txt'), 'utf8')).trim();
    expect(saved).toMatchObject({ checkpoint: ckpt, preset: 'exp2', step: 4, metrics: { data: PAIRS, split: 'test', captions: { count: 1, examples: [{ truth: fern }] }, generation: { count: 1 } } });
    expect(saved.metrics.generation.meanAbsError).toBeGreaterThan(0);
    expect(existsSync(join(dir, 'run', 'checkpoint-samples.png'))).toBe(true);
  });

  it('evaluate --data measures on another copy of the folder, and refuses one whose captions the vocabulary cannot encode', async () => {
    const copy = join(dir, 'copy');
    await cp(PAIRS, copy, { recursive: true });
    const ok = await cli(['evaluate', '--checkpoint', ckpt, '--data', copy, '--no-sheet', ...small]);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toContain(`test split of '${copy}'`);
    await writeFile(join(copy, 'apple.txt'), 'a small purple triangle at the left.');
    const bad = await cli(['evaluate', '--checkpoint', ckpt, '--data', copy, '--no-sheet', ...small]);
    expect(bad.code).toBe(1);
    expect(bad.err).toBe(`unihetero-eval: evaluate: the caption of 'apple.png' in '${copy}' does not fit the vocabulary saved in '${ckpt}' (WordTokenizer.encode: unknown word 'purple' at character 8); evaluate on the folder the checkpoint was trained on\n`);
    const gone = join(dir, 'gone');
    const missing = await cli(['evaluate', '--checkpoint', ckpt, '--data', gone, '--no-sheet', ...small]);
    expect(missing.err).toBe(`unihetero-eval: evaluate: '${ckpt}' is measured on its data folder '${gone}': '${gone}' does not exist\n`);
  });

  it('what needs the shapes world is refused with the command and the reason', async () => {
    const d = await cli(['diagnose', '--checkpoint', ckpt, '--backend', 'cpu']);
    expect(d.code).toBe(1);
    expect(d.err).toBe(`unihetero-eval: diagnose needs the shapes-world judge and scene parser (every rung is scored by them); '${ckpt}' was trained on --data '${PAIRS}', not on the shapes world\n`);
    const s = await cli(['evaluate', '--checkpoint', ckpt, '--semantics-count', '2', '--no-sheet', ...small]);
    expect(s.err).toBe(`unihetero-eval: evaluate --semantics-count needs the shapes world (the semantics rung's probe reads shapes-world cells); '${ckpt}' was trained on --data '${PAIRS}', not on the shapes world\n`);
  });
});

it('evaluate --data is refused for a shapes-world checkpoint', async () => {
  const built = await createShapesModel({ preset: 'exp2', config: CONFIG, seed: 0 }, new CpuBackend());
  const trainer = new Trainer(built.model, built.world, { samples: 2, batchSize: 2, seed: 0 });
  await trainer.trainStep();
  const shapes = join(dir, 'shapes.safetensors');
  await trainer.save(shapes, { build: built.spec });
  built.model.dispose();
  const r = await cli(['evaluate', '--checkpoint', shapes, '--data', PAIRS, ...small]);
  expect(r.code).toBe(1);
  expect(r.err).toBe(`unihetero-eval: evaluate: --data is for checkpoints of unihetero-train --data; '${shapes}' was trained on the shapes world\n`);
});
