/**
 * A checkpoint of `unihetero-train --data DIR` end to end: the train CLI (built, run as a child
 * process) trains four tiny steps on the PNG + caption fixture of apps/train, then `caption`,
 * `generate` and `roundtrip` load that checkpoint with the caption vocabulary it saved. A
 * shapes-world checkpoint without that metadata still loads on the world's tokenizer.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '@unihetero/tensor';
import { describeImages, loadModel, loadShapesModel } from '@unihetero/model';
import { ShapesWorld, imagesToTensor, readImageFolder, readPng, wordTokenizer, type WordTokenizer } from '@unihetero/data';
import { TINY, cli, makeCheckpoint } from './helpers.js';

const TRAIN = dirname(createRequire(import.meta.url).resolve('@unihetero/train/package.json'));
/** The fixture the train app's --data tests use: six 32x32 pairs (five train, fern.png for test). */
const PAIRS = join(TRAIN, 'test', 'fixtures', 'pairs');
const dir = mkdtempSync(join(tmpdir(), 'unihetero-sample-data-'));
const run = join(dir, 'run');
const ckpt = join(run, 'checkpoint.safetensors');
const backend = new CpuBackend();
let vocabulary: readonly string[];

/** Words and punctuation marks of a text, as the word tokenizer splits it. */
const wordsOf = (text: string) => text.match(/[A-Za-z0-9]+|[^\sA-Za-z0-9]/g) ?? [];

beforeAll(async () => {
  const spec = join(dir, 'spec.json');
  await writeFile(spec, JSON.stringify({ preset: 'exp2', config: TINY, trainer: { samples: 16, batchSize: 4, lr: 0.003 }, eval: { every: 0 }, checkpointEvery: 0 }));
  await promisify(execFile)(process.execPath, [join(TRAIN, 'dist', 'cli.js'), '--data', PAIRS, '--config', spec, '--out', run, '--backend', 'cpu', '--quiet']);
  vocabulary = (await readImageFolder(PAIRS, { imageSize: 32 })).tokenizer.words;
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a checkpoint of unihetero-train --data', () => {
  it('captions images in the vocabulary of the folder it was trained on', async () => {
    const pngs = ['fern', 'boat'].map((n) => join(PAIRS, `${n}.png`));
    const r = await cli(['caption', ...pngs, '--checkpoint', run, '--backend', 'cpu', '--max-tokens', '12']);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`loaded '${ckpt}' (preset exp2, step 4, trained on --data '${PAIRS}' with a 32-token vocabulary) on the cpu backend`);
    // The same as the model package's functions on the checkpoint loaded with its saved tokenizer.
    const loaded = await loadModel(ckpt, backend);
    expect((loaded.model.tokenizer as WordTokenizer).words).toEqual(vocabulary);
    const t = imagesToTensor(await Promise.all(pngs.map((p) => readPng(p))), backend);
    const expected = await describeImages(loaded.model, t, { maxTokens: 12 });
    t.dispose();
    loaded.model.dispose();
    expect(r.stdout).toEqual(pngs.map((p, i) => `${p}: ${expected[i]}`));

    // Sampled captions draw from every token the model knows: all of them are the folder's words.
    const s = await cli(['caption', ...pngs, '--checkpoint', run, '--backend', 'cpu', '--max-tokens', '12', '--temperature', '1', '--seed', '1']);
    expect(s.code).toBe(0);
    const words = s.stdout.flatMap((l) => wordsOf(l.slice(l.indexOf(': ') + 2)));
    expect(words.length).toBeGreaterThan(0);
    for (const w of words) expect(vocabulary).toContain(w);
  });

  it('generates from a caption of its vocabulary: the image is written, not judged (there is no judge for a folder)', async () => {
    const out = join(dir, 'generated');
    const r = await cli(['generate', 'a large red ring at the bottom left.', '--out', out, '--checkpoint', run, '--backend', 'cpu', '--steps', '2', '--flow-steps', '2']);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`generate: '${ckpt}' was trained on --data '${PAIRS}'; there is no judge for such images, so they are written but not scored`);
    expect(r.stdout[0]).toBe(`${join(out, 'image-0.png')}  "a large red ring at the bottom left."  seed 0  not judged (--data checkpoint)`);
    expect(r.out).not.toContain('judge:');
    const image = await readPng(join(out, 'image-0.png'));
    expect([image.width, image.height]).toEqual([32, 32]);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { data: string; step: number; images: { judge: unknown }[]; summary: { judged: number } };
    expect([results.data, results.step, results.images[0]!.judge, results.summary.judged]).toEqual([PAIRS, 4, null, 0]);
  });

  it('refuses a word outside its vocabulary with the word, the caption and the folder (a word the shapes world knows included)', async () => {
    expect(wordTokenizer(new ShapesWorld()).tokenToId('centre')).toBeDefined();
    const out = join(dir, 'never');
    const r = await cli(['generate', 'a large red ring at the bottom left.', 'a large red ring at the centre.', '--out', out, '--checkpoint', run, '--backend', 'cpu', '--steps', '2']);
    expect(r.code).toBe(1);
    expect(r.stderr.at(-1)).toBe(
      `unihetero-sample generate: caption 2 "a large red ring at the centre." cannot be encoded by the checkpoint's vocabulary (the 26 words and marks of the captions in '${PAIRS}'): WordTokenizer.encode: unknown word 'centre' at character 24`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('round-trips a caption and compares the texts word for word', async () => {
    const r = await cli(['roundtrip', 'a large red ring at the bottom left.', '--checkpoint', run, '--backend', 'cpu', '--steps', '2', '--max-tokens', '6']);
    expect(r.code).toBe(0);
    expect(r.stdout[0]).toBe('caption:    a large red ring at the bottom left.');
    for (const w of wordsOf(r.stdout[1]!.replace(/^round trip: /, ''))) expect(vocabulary).toContain(w);
    expect(r.stdout[2]).toMatch(/^text match: (yes|no)$/);
    expect(r.stdout.at(-1)).toMatch(/^round trip: [01]\/1 captions came back word for word$/);
  });
});

describe('a shapes-world checkpoint without a saved tokenizer (every checkpoint written before)', () => {
  it('loads on the world\'s tokenizer, as before', async () => {
    const old = join(dir, 'shapes.safetensors');
    await makeCheckpoint(old, backend);
    const png = join(PAIRS, 'fern.png');
    const r = await cli(['caption', png, '--checkpoint', old, '--backend', 'cpu', '--max-tokens', '12']);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`loaded '${old}' (preset exp2, step 2) on the cpu backend`);
    const ref = await loadShapesModel(old, backend);
    expect((ref.model.tokenizer as WordTokenizer).words).toEqual(wordTokenizer(ref.world).words);
    const t = imagesToTensor([await readPng(png)], backend);
    expect(r.stdout).toEqual([`${png}: ${(await describeImages(ref.model, t, { maxTokens: 12 }))[0]}`]);
    t.dispose();
    ref.model.dispose();
    const w = await cli(['generate', 'a small red circle at the top.', '--out', join(dir, 'shapes-gen'), '--checkpoint', old, '--backend', 'cpu', '--steps', '2', '--flow-steps', '2']);
    expect(w.code).toBe(0);
    expect(w.stdout[0]).toMatch(/seed 0 {2}judge \d\.\d\d \(position/);
  });
});
