/**
 * Every subcommand end to end, in-process, on a tiny checkpoint trained here for two steps:
 * outputs exist and are well-formed, and what the CLI prints or writes equals what the model
 * package's functions return for the same inputs and options (so every option is passed through).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend, Generator, liveTensorCount } from '@unihetero/tensor';
import { answerQuestions, describeImages, generateImages, loadShapesModel, roundTrip, type ShapesModel } from '@unihetero/model';
import { ShapesWorld, decodePng, imagesToTensor, readPng, writePng, type RgbImage } from '@unihetero/data';
import { cli, makeCheckpoint, writeRawPng } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'unihetero-sample-'));
const ckpt = join(dir, 'tiny.safetensors');
const backend = new CpuBackend();
let ref: ShapesModel;
const world = new ShapesWorld({});
const CAP_A = 'a small red circle at the top left.';
const CAP_B = 'a large blue square at the centre and a small white ring at the bottom right.';

beforeAll(async () => {
  await makeCheckpoint(ckpt, backend);
  ref = await loadShapesModel(ckpt, backend);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function samplePng(name: string, index: number): Promise<{ path: string; image: RgbImage }> {
  const image = world.sample('test', index).image;
  const path = join(dir, name);
  await writePng(path, image);
  return { path, image };
}

async function refCaptions(images: RgbImage[]): Promise<string[]> {
  const t = imagesToTensor(images, backend);
  try {
    return await describeImages(ref.model, t, { maxTokens: 12 });
  } finally {
    t.dispose();
  }
}

describe('caption', () => {
  it('prints one caption per file, equal to describeImages', async () => {
    const a = await samplePng('a.png', 0);
    const b = await samplePng('b.png', 1);
    const r = await cli(['caption', a.path, b.path, '--checkpoint', ckpt, '--backend', 'cpu', '--max-tokens', '12', '--batch-size', '1']);
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const expected = await refCaptions([a.image, b.image]);
    expect(r.stdout).toEqual([`${a.path}: ${expected[0]}`, `${b.path}: ${expected[1]}`]);
    expect(r.stderr.some((l) => /^caption: 2\/2 images/.test(l))).toBe(true);
    // Captions are text of the world's vocabulary.
    for (const c of expected) expect(() => ref.model.tokenizer.encode(c)).not.toThrow();
  });

  it('converts greyscale and grey+alpha PNGs to RGB (alpha over black)', async () => {
    const n = 32 * 32;
    const grey = new Uint8Array(n);
    for (let i = 0; i < n; i++) grey[i] = (i * 37) % 256;
    const ga = new Uint8Array(2 * n);
    for (let i = 0; i < n; i++) {
      ga[2 * i] = grey[i]!;
      ga[2 * i + 1] = i % 3 === 0 ? 128 : 255;
    }
    const gPath = await writeRawPng(dir, 'grey.png', 32, 32, 0, grey);
    const gaPath = await writeRawPng(dir, 'grey-alpha.png', 32, 32, 4, ga);
    const asRgb = (v: (i: number) => number): RgbImage => {
      const data = new Uint8Array(3 * n);
      for (let i = 0; i < n; i++) data.fill(v(i), 3 * i, 3 * i + 3);
      return { width: 32, height: 32, data };
    };
    const gRgb = asRgb((i) => grey[i]!);
    const gaRgb = asRgb((i) => (i % 3 === 0 ? Math.round((grey[i]! * 128) / 255) : grey[i]!));
    expect(await readPng(gPath)).toEqual(gRgb);
    expect(await readPng(gaPath)).toEqual(gaRgb);
    const r = await cli(['caption', gPath, gaPath, '--checkpoint', ckpt, '--backend', 'cpu', '--max-tokens', '12']);
    expect(r.code).toBe(0);
    const expected = await refCaptions([gRgb, gaRgb]);
    expect(r.stdout).toEqual([`${gPath}: ${expected[0]}`, `${gaPath}: ${expected[1]}`]);
  });

  it('samples with --temperature reproducibly per file (seeded)', async () => {
    const a = await samplePng('s.png', 2);
    const args = ['caption', a.path, '--checkpoint', ckpt, '--backend', 'cpu', '--max-tokens', '10', '--temperature', '1.5', '--top-k', '5'];
    const r1 = await cli([...args, '--seed', '4']);
    const r2 = await cli([...args, a.path, '--seed', '4']);
    expect(r1.code).toBe(0);
    const t = imagesToTensor([a.image], backend);
    const expected = await describeImages(ref.model, t, { maxTokens: 10, temperature: 1.5, topK: 5, generator: new Generator(4) });
    t.dispose();
    expect(r1.stdout).toEqual([`${a.path}: ${expected[0]}`]);
    // The same file twice in one call: each image draws from its own Generator(seed).
    expect(r2.stdout).toEqual([r1.stdout[0], r1.stdout[0]]);
  });

  it('rejects images of another size, naming the file and the size', async () => {
    const small = await writeRawPng(dir, 'small.png', 16, 24, 2, new Uint8Array(16 * 24 * 3));
    const r = await cli(['caption', small, '--checkpoint', ckpt, '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`unihetero-sample caption: image '${small}' is 16x24; the model reads 32x32 RGB images`);
    expect(r.stdout).toEqual([]);
  });

  it('rejects missing and unreadable images', async () => {
    const missing = join(dir, 'nope.png');
    const r = await cli(['caption', missing, '--checkpoint', ckpt, '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`image '${missing}' does not exist`);
    const junk = join(dir, 'junk.png');
    await writeFile(junk, 'not a png');
    const r2 = await cli(['caption', junk, '--checkpoint', ckpt, '--backend', 'cpu']);
    expect(r2.code).toBe(1);
    expect(r2.err).toContain(`image '${junk}': decodePng: not a readable PNG (9 bytes)`);
  });
});

describe('answer', () => {
  it("prints the chosen option and each option's log-likelihood, equal to answerQuestions", async () => {
    const a = await samplePng('q.png', 3);
    const question = 'what colour is the circle?';
    const options = ['red', 'green', 'blue', 'white'];
    const r = await cli(['answer', a.path, '--question', question, '--options', options.join(' | '), '--checkpoint', ckpt, '--backend', 'cpu']);
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const t = imagesToTensor([a.image], backend);
    const [res] = await answerQuestions(ref.model, t, [{ question, options }]);
    t.dispose();
    expect(r.stdout[0]).toBe(`${a.path}: ${question}`);
    expect(r.stdout[1]).toBe(`answer: ${options[res!.choice]}`);
    expect(r.stdout).toHaveLength(2 + options.length);
    const lls = res!.logLikelihoods;
    options.forEach((o, i) => {
      const line = r.stdout[2 + i]!;
      expect(line.startsWith(i === res!.choice ? '>' : ' ')).toBe(true);
      expect(line).toContain(`(${'ABCD'[i]}) ${o.padEnd(5)}  log-likelihood ${lls[i]!.toFixed(4)}`);
      expect(lls[i]!).toBeLessThan(0);
    });
    const ps = r.stdout.slice(2).map((l) => Number(/ p (\d\.\d+)$/.exec(l)![1]));
    expect(ps.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 2);
  });

  it('rejects bad options and words the tokenizer does not know', async () => {
    const a = await samplePng('q2.png', 4);
    const base = ['answer', a.path, '--checkpoint', ckpt, '--backend', 'cpu'];
    const one = await cli([...base, '--question', 'what colour is the circle?', '--options', 'red']);
    expect(one.code).toBe(1);
    expect(one.err).toContain("--options: expected at least two options separated by '|', got 'red'");
    const dup = await cli([...base, '--question', 'what colour is the circle?', '--options', 'red|red']);
    expect(dup.err).toContain("--options: option 'red' appears twice in 'red|red'");
    const empty = await cli([...base, '--question', 'what colour is the circle?', '--options', 'red||blue']);
    expect(empty.err).toContain("--options: option 2 of 'red||blue' is empty");
    const word = await cli([...base, '--question', 'what colour is the puppy?', '--options', 'red|blue']);
    expect(word.code).toBe(1);
    expect(word.err).toContain(`unihetero-sample answer: question "what colour is the puppy?" cannot be encoded by the world's tokenizer: WordTokenizer.encode: unknown word 'puppy'`);
    const opt = await cli([...base, '--question', 'what colour is the circle?', '--options', 'red|purple']);
    expect(opt.err).toContain(`option 2 "purple" cannot be encoded by the world's tokenizer: WordTokenizer.encode: unknown word 'purple'`);
    const noQ = await cli([...base, '--options', 'red|blue']);
    expect(noQ.code).toBe(1);
    expect(noQ.err).toContain("required option '--question <text>' not specified");
  });
});

describe('generate', () => {
  const all = ['--steps', '4', '--flow-steps', '2', '--flow-sampler', 'heun', '--temperature', '0.7', '--guidance', '2', '--guidance-schedule', 'constant', '--regeneration-rounds', '1', '--regeneration-fraction', '0.5', '--regeneration-policy', 'lowest-agreement', '--order', 'raster', '--semantic-guidance', '1.5'];
  const opts = { steps: 4, flowSteps: 2, flowSampler: 'heun', temperature: 0.7, guidance: 2, guidanceSchedule: 'constant', regenerationRounds: 1, regenerationFraction: 0.5, regenerationPolicy: 'lowest-agreement', order: 'raster', semanticGuidance: 1.5 } as const;

  it('writes a PNG per sample, the sheet and results.json; images equal generateImages with the same options and seed + k', async () => {
    const out = join(dir, 'gen');
    const r = await cli(['generate', CAP_A, CAP_B, '--count', '2', '--seed', '5', '--out', out, '--checkpoint', ckpt, '--backend', 'cpu', ...all]);
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const files = (await readdir(out)).sort();
    expect(files).toEqual(['image-0-0.png', 'image-0-1.png', 'image-1-0.png', 'image-1-1.png', 'results.json', 'sheet.png', 'sheet.svg']);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.settings).toMatchObject({ ...opts, count: 2, seed: 5, backend: 'cpu' });
    expect(results.images).toHaveLength(4);
    for (const [c, caption] of [CAP_A, CAP_B].entries()) {
      for (let k = 0; k < 2; k++) {
        const path = join(out, `image-${c}-${k}.png`);
        const png = decodePng(readFileSync(path));
        expect([png.width, png.height]).toEqual([32, 32]);
        const g = await generateImages(ref.model, [ref.model.tokenizer.encode(caption, { bos: false, eos: false })], { ...opts, generator: new Generator(5 + k) });
        g.embeddings.dispose();
        g.predictions.dispose();
        g.latents?.dispose();
        expect(png.data).toEqual(g.images![0]!.data);
        const entry = results.images[c * 2 + k];
        expect(entry).toMatchObject({ caption, captionIndex: c, sample: k, seed: 5 + k, path });
        for (const key of ['objectAccuracy', 'position', 'colour', 'shape', 'size']) expect(entry.judge[key]).toBeGreaterThanOrEqual(0);
        const line = r.stdout.find((l) => l.startsWith(path))!;
        expect(line).toMatch(new RegExp(`seed ${5 + k}  judge \\d\\.\\d\\d \\(position \\d\\.\\d\\d, colour \\d\\.\\d\\d, shape \\d\\.\\d\\d, size \\d\\.\\d\\d; exact (yes|no)\\)$`));
      }
    }
    const sheet = decodePng(readFileSync(join(out, 'sheet.png')));
    // Two columns of 128 px tiles (count 2), gaps of 6 px.
    expect(sheet.width).toBe(6 + 2 * (128 + 6));
    expect(readFileSync(join(out, 'sheet.svg'), 'utf8')).toContain('a small red circle');
    expect(r.out).toContain(`(sheet ${join(out, 'sheet.png')} and ${join(out, 'sheet.svg')}, details ${join(out, 'results.json')})`);
    expect(r.out).toMatch(/judge: mean object accuracy \d\.\d{3} over 4 images, \d exact/);
    expect(r.stderr.some((l) => l.startsWith('generate: 4/4 images'))).toBe(true);
  });

  it('reads --captions-file (blank and # lines skipped); sample k is the same as --seed seed+k alone', async () => {
    const file = join(dir, 'captions.txt');
    await writeFile(file, `# two captions\n${CAP_B}\n\n${CAP_A}\n`);
    const out1 = join(dir, 'gen-file');
    const r = await cli(['generate', '--captions-file', file, '--count', '2', '--out', out1, '--checkpoint', ckpt, '--backend', 'cpu', '--steps', '4', '--flow-steps', '2']);
    expect(r.code).toBe(0);
    const results = JSON.parse(readFileSync(join(out1, 'results.json'), 'utf8'));
    expect(results.images.map((i: { caption: string }) => i.caption)).toEqual([CAP_B, CAP_B, CAP_A, CAP_A]);
    const out2 = join(dir, 'gen-alone');
    const r2 = await cli(['generate', CAP_A, '--seed', '1', '--out', out2, '--checkpoint', ckpt, '--backend', 'cpu', '--steps', '4', '--flow-steps', '2']);
    expect(r2.code).toBe(0);
    expect(readFileSync(join(out2, 'image-0.png'))).toEqual(readFileSync(join(out1, 'image-1-1.png')));
    expect(existsSync(join(out2, 'sheet.png'))).toBe(true);
  });

  it('generates but does not judge a caption that encodes yet does not parse', async () => {
    const out = join(dir, 'gen-odd');
    const r = await cli(['generate', 'red circle', '--out', out, '--checkpoint', ckpt, '--backend', 'cpu', '--steps', '2', '--flow-steps', '1']);
    expect(r.code).toBe(0);
    expect(r.err).toContain('generate: caption 1 "red circle" does not parse as a scene');
    expect(r.out).toContain('judge n/a (caption does not parse)');
    expect(existsSync(join(out, 'image-0.png'))).toBe(true);
  });

  it('surfaces unknown words and rejects bad option values', async () => {
    const out = join(dir, 'gen-bad');
    const base = ['--out', out, '--checkpoint', ckpt, '--backend', 'cpu'];
    const word = await cli(['generate', CAP_A, 'a small purple circle at the top.', ...base]);
    expect(word.code).toBe(1);
    expect(word.err).toContain(`unihetero-sample generate: caption 2 "a small purple circle at the top." cannot be encoded by the world's tokenizer: WordTokenizer.encode: unknown word 'purple' at character 8`);
    expect(existsSync(out)).toBe(false);
    const cases: [string[], string][] = [
      [['--steps', '0'], "--steps: expected an integer >= 1, got '0'"],
      [['--steps', '2.5'], "--steps: expected an integer >= 1, got '2.5'"],
      [['--steps', '65'], "--steps: 65 is more than the model's 64 visual tokens"],
      [['--count', '0'], "--count: expected an integer in [1, 10000], got '0'"],
      [['--count', '0x10'], "--count: expected an integer in [1, 10000], got '0x10'"],
      [['--regeneration-fraction', '0'], "--regeneration-fraction: expected a finite number > 0 and <= 1, got '0'"],
      [['--regeneration-fraction', '1.5'], "--regeneration-fraction: expected a finite number > 0 and <= 1, got '1.5'"],
      [['--regeneration-rounds', '-1'], "--regeneration-rounds: expected an integer in [0, 64], got '-1'"],
      [['--regeneration-policy', 'best'], "argument 'best' is invalid. Allowed choices are random, original-order, lowest-agreement."],
      [['--order', 'spiral'], "argument 'spiral' is invalid. Allowed choices are random, raster."],
      [['--guidance', 'x'], "--guidance: expected a finite number >= 0, got 'x'"],
      [['--guidance-schedule', 'cosine'], "argument 'cosine' is invalid. Allowed choices are linear, constant."],
      [['--semantic-guidance', '-1'], "--semantic-guidance: expected a finite number >= 0, got '-1'"],
      [['--temperature', '-1'], "--temperature: expected a finite number >= 0, got '-1'"],
      [['--flow-steps', '0'], "--flow-steps: expected an integer in [1, 1000], got '0'"],
      [['--flow-sampler', 'rk4'], "argument 'rk4' is invalid. Allowed choices are euler, heun."],
      [['--seed', '-3'], "--seed: expected an integer >= 0, got '-3'"],
      [['--backend', 'tpu'], "argument 'tpu' is invalid. Allowed choices are auto, cpu, webgpu."],
    ];
    for (const [extra, message] of cases) {
      const r = await cli(['generate', CAP_A, ...base, ...extra]);
      expect(r.code, extra.join(' ')).toBe(1);
      expect(r.err, extra.join(' ')).toContain(message);
    }
    const none = await cli(['generate', ...base]);
    expect(none.err).toContain('unihetero-sample generate: generate: no captions; pass them as arguments or with --captions-file <file>');
    const noFile = await cli(['generate', '--captions-file', join(dir, 'none.txt'), ...base]);
    expect(noFile.err).toContain(`captions file '${join(dir, 'none.txt')}' does not exist`);
    const noOut = await cli(['generate', CAP_A, '--checkpoint', ckpt]);
    expect(noOut.err).toContain("required option '--out <dir>' not specified");
  });
});

describe('roundtrip', () => {
  it('prints both texts and whether the objects match, equal to roundTrip', async () => {
    const r = await cli(['roundtrip', CAP_A, CAP_B, '--checkpoint', ckpt, '--backend', 'cpu', '--steps', '4', '--max-tokens', '16', '--order', 'raster', '--seed', '2']);
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const texts: string[] = [];
    for (const c of [CAP_A, CAP_B]) texts.push((await roundTrip(ref.model, [c], { steps: 4, order: 'raster', regenerationRounds: 0, regenerationFraction: 0.25, regenerationPolicy: 'random', generator: new Generator(2), maxCaptionTokens: 16 }))[0]!);
    const blocks = r.out.split('\n\n');
    expect(blocks).toHaveLength(3);
    [CAP_A, CAP_B].forEach((c, i) => {
      const lines = blocks[i]!.split('\n');
      expect(lines[0]).toBe(`caption:    ${c}`);
      expect(lines[1]).toBe(`round trip: ${texts[i]}`);
      expect(lines[2]).toMatch(/^objects match: (yes|no) \(\d\/\d objects recovered\)/);
    });
    expect(blocks[2]).toMatch(/^round trip: \d\/2 captions came back with exactly their objects$/);
  });

  it('judges a text that names the same objects as a match, in any order and wording', async () => {
    // The round trip's comparison in isolation: two wordings of one scene match.
    const { sameObjects } = await import('../src/inputs.js');
    const a = world.parseCaption(CAP_B);
    const b = world.parseCaption('there are two objects: a little white ring in the bottom right corner and a big blue square in the middle.');
    expect(sameObjects(a, b)).toBe(true);
    expect(sameObjects(a, a.slice(0, 1))).toBe(false);
  });

  it('surfaces unknown words', async () => {
    const r = await cli(['roundtrip', 'a small red dragon at the top left.', '--checkpoint', ckpt, '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`unihetero-sample roundtrip: caption 1 "a small red dragon at the top left." cannot be encoded by the world's tokenizer: WordTokenizer.encode: unknown word 'dragon'`);
  });
});

describe('checkpoints', () => {
  it('names a missing checkpoint, a directory, a file that is not a checkpoint, and one without a build spec', async () => {
    const png = (await samplePng('c.png', 5)).path;
    const missing = join(dir, 'missing.safetensors');
    const r1 = await cli(['caption', png, '--checkpoint', missing, '--backend', 'cpu']);
    expect(r1.code).toBe(1);
    expect(r1.err).toContain(`unihetero-sample caption: checkpoint '${missing}' does not exist (write one with unihetero-train)`);
    const sub = join(dir, 'run');
    await mkdir(sub);
    await writeFile(join(sub, 'step-2.safetensors'), '');
    const r2 = await cli(['caption', png, '--checkpoint', sub, '--backend', 'cpu']);
    expect(r2.err).toContain(`checkpoint '${sub}' is a folder without checkpoint.safetensors; pass a checkpoint file (it holds: step-2.safetensors)`);
    const junk = join(dir, 'junk.safetensors');
    await writeFile(junk, 'xx');
    const r3 = await cli(['caption', png, '--checkpoint', junk, '--backend', 'cpu']);
    expect(r3.code).toBe(1);
    expect(r3.err).toContain(junk);
    const bare = join(dir, 'bare.safetensors');
    await makeCheckpoint(bare, backend, { steps: 0, build: false });
    const r4 = await cli(['roundtrip', CAP_A, '--checkpoint', bare, '--backend', 'cpu']);
    expect(r4.code).toBe(1);
    expect(r4.err).toContain(`does not record how its model was built (extra.build); it was not written by unihetero-train`);
  });

  it('takes a run folder of unihetero-train for its checkpoint.safetensors', async () => {
    const run = join(dir, 'run-folder');
    await mkdir(run);
    await writeFile(join(run, 'checkpoint.safetensors'), readFileSync(ckpt));
    const r = await cli(['roundtrip', CAP_A, '--checkpoint', run, '--backend', 'cpu', '--steps', '2', '--max-tokens', '4']);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`loaded '${join(run, 'checkpoint.safetensors')}' (preset exp2, step 2) on the cpu backend`);
  });

  it('requires --checkpoint; --help lists the subcommands', async () => {
    const r = await cli(['roundtrip', CAP_A]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("required option '--checkpoint <path>' not specified");
    const h = await cli(['--help']);
    expect(h.code).toBe(0);
    for (const c of ['caption', 'answer', 'generate', 'roundtrip']) expect(h.out).toContain(c);
    const gh = await cli(['generate', '--help']);
    for (const o of ['--steps', '--temperature', '--guidance', '--guidance-schedule', '--regeneration-rounds', '--regeneration-fraction', '--regeneration-policy', '--order', '--semantic-guidance', '--flow-steps', '--flow-sampler', '--count', '--captions-file', '--out', '--seed', '--backend']) expect(gh.out).toContain(o);
  });

  it('frees the model at the end of a command: it leaves exactly what the same package calls leave', async () => {
    // The packages themselves leave a few tensors per call today (reported upstream: the EMA's
    // detached views in nn, reshape views in generateImages); the CLI must add none of its own.
    const args = { steps: 2, order: 'random', regenerationRounds: 0, regenerationFraction: 0.25, regenerationPolicy: 'random', maxCaptionTokens: 4 } as const;
    const own = new CpuBackend();
    const n0 = liveTensorCount();
    const m = await loadShapesModel(ckpt, own);
    await roundTrip(m.model, [CAP_A], { ...args, generator: new Generator(0) });
    m.model.dispose();
    (m.model.semanticEncoder as unknown as { dispose(): void }).dispose();
    const upstream = liveTensorCount() - n0;
    const n1 = liveTensorCount();
    const r = await cli(['roundtrip', CAP_A, '--checkpoint', ckpt, '--backend', 'cpu', '--steps', '2', '--max-tokens', '4']);
    expect(r.code).toBe(0);
    expect(liveTensorCount() - n1).toBe(upstream);
  });
});
