import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { runCli } from '../src/program.js';
import { DEFAULTS, SpecError, parseFileSpec, resolveRunSpec, validateFileSpec } from '../src/spec.js';
import { memoryIO, tinySpecFile, useTempDir } from './helpers.js';

const tmp = useTempDir();

async function run(args: string[]) {
  const io = memoryIO();
  const code = await runCli(args, io);
  return { code, out: io.out(), err: io.err() };
}

describe('command-line options', () => {
  it('rejects bad numbers naming the option and the text', async () => {
    expect(await run(['--samples', '0', '--out', tmp.dir])).toMatchObject({ code: 1, err: expect.stringContaining("--samples: expected an integer in [1, 1000000000], got '0'") });
    for (const t of ['2.5', '0x10', '1e3', '16abc', '']) expect((await run(['--samples', t, '--out', tmp.dir])).err).toContain(`--samples: expected an integer in [1, 1000000000], got '${t}'`);
    expect((await run(['--samples', '1000000001', '--out', tmp.dir])).err).toContain("--samples: expected an integer in [1, 1000000000], got '1000000001'");
    expect((await run(['--lr', '0x10', '--out', tmp.dir])).err).toContain("--lr: expected a positive number, got '0x10'");
    expect((await run(['--lr', 'fast', '--out', tmp.dir])).err).toContain("--lr: expected a positive number, got 'fast'");
    expect((await run(['--lr', '-1', '--out', tmp.dir])).err).toContain("--lr: expected a positive number, got '-1'");
    expect((await run(['--batch-size', 'x', '--out', tmp.dir])).err).toContain("--batch-size: expected an integer in [1, 4096], got 'x'");
    expect((await run(['--eval-every', '-2', '--out', tmp.dir])).err).toContain("--eval-every: expected an integer >= 0, got '-2'");
    expect((await run(['--ckpt-every', 'often', '--out', tmp.dir])).err).toContain("--ckpt-every: expected an integer >= 0, got 'often'");
    expect((await run(['--seed', '-1', '--out', tmp.dir])).err).toContain("--seed: expected an integer >= 0, got '-1'");
  });

  it('rejects an unknown backend, an unknown option and a missing --out', async () => {
    const b = await run(['--backend', 'tpu', '--out', tmp.dir]);
    expect(b.code).toBe(1);
    expect(b.err).toContain("option '--backend <kind>' argument 'tpu' is invalid. Allowed choices are auto, cpu, webgpu.");
    expect((await run(['--sample', '10', '--out', tmp.dir])).err).toContain("unknown option '--sample'");
    expect(await run(['--samples', '10'])).toMatchObject({ code: 1, err: 'unihetero-train: --out <dir> is required (the run folder: metrics, evaluations, checkpoint)\n' });
  });

  it('rejects an unknown preset with the known ones', async () => {
    const r = await run(['--preset', 'exp9', '--out', tmp.dir]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^unihetero-train: run spec: preset: getPreset: unknown preset 'exp9' \(known: exp1, exp2, exp3, exp4.*\)\n$/);
  });

  it('prints help with every option and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const o of ['--preset', '--samples', '--batch-size', '--lr', '--seed', '--backend', '--out', '--config', '--resume', '--eval-every', '--eval-count', '--ckpt-every', '--quiet', 'demo']) expect(r.out).toContain(o);
    const d = await run(['demo', '--help']);
    expect(d.code).toBe(0);
    expect(d.out).toContain('--samples');
    expect(d.out).not.toContain('--tiny');
  });

  it('refuses --config together with --resume, and --resume on a missing folder or one without a checkpoint (creating nothing)', async () => {
    const spec = await tinySpecFile(tmp.dir);
    expect((await run(['--config', spec, '--resume', '--out', tmp.dir])).err).toContain('--resume continues the run spec stored in the checkpoint; drop --config');
    const r = await run(['--resume', '--out', join(tmp.dir, 'nothing'), '--backend', 'cpu']);
    expect(r).toMatchObject({ code: 1, err: `unihetero-train: --resume: '${join(tmp.dir, 'nothing')}' does not exist, so there is no run to continue (run without --resume to start one there)\n` });
    expect(existsSync(join(tmp.dir, 'nothing'))).toBe(false);
    const empty = join(tmp.dir, 'empty');
    await mkdir(empty);
    const e = await run(['--resume', '--out', empty, '--backend', 'cpu']);
    expect(e.err).toBe(`unihetero-train: --resume: no checkpoint in '${empty}' (checkpoint.safetensors or checkpoint.prev.safetensors); run without --resume to start training there\n`);
    expect(await readdir(empty)).toEqual([]);
  });
});

describe('the --config file', () => {
  it('names unknown keys and bad values, at every level', () => {
    let err: SpecError | undefined;
    try {
      validateFileSpec({ preset: 'exp2', sample: 10, trainer: { lrr: 1, batchSize: 0, betas: [0.9, 1.5], split: 'test', lrScale: { flow_head: 0 }, gradClipGroups: [['flow_head'], []] }, eval: { every: -1 }, seed: 1.5 });
    } catch (e) {
      err = e as SpecError;
    }
    expect(err).toBeInstanceOf(SpecError);
    expect(err!.issues).toEqual([
      'sample: unknown key (known: preset, data, config, world, seed, trainer, eval, checkpointEvery)',
      'seed: expected a non-negative integer, got 1.5',
      'trainer.lrr: unknown key (known: samples, batchSize, lr, seed, flowWarmupSteps, minLr, warmupSteps, weightDecay, betas, gradClip, split, pool, start, schedule, lrScale, gradClipGroups)',
      'trainer.batchSize: expected an integer in [1, 4096], got 0',
      "trainer.betas: expected two numbers in [0, 1), got [0.9,1.5]",
      "trainer.split: expected one of 'train', 'encoder', 'validation', got \"test\"",
      'trainer.lrScale: expected an object of positive numbers by parameter name prefix, got {"flow_head":0}',
      'trainer.gradClipGroups: expected a list of non-empty lists of parameter name prefixes, got [["flow_head"],[]]',
      'eval.every: expected a non-negative integer, got -1',
    ]);
  });

  it('rejects non-objects, bad JSON and unknown presets', () => {
    expect(() => validateFileSpec([1])).toThrow('(root): expected an object, got [1]');
    expect(() => validateFileSpec({ config: 3 })).toThrow('config: expected an object, got 3');
    expect(() => parseFileSpec('{"preset": ', 'x.json')).toThrow("config file 'x.json': (root): not valid JSON");
    expect(() => validateFileSpec({ preset: 'nope' })).toThrow("preset: getPreset: unknown preset 'nope'");
  });

  it('reports a bad file through the CLI with its path and key', async () => {
    const path = join(tmp.dir, 'bad.json');
    await writeFile(path, JSON.stringify({ trainer: { samples: -5 } }));
    const r = await run(['--config', path, '--out', tmp.dir]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`unihetero-train: config file '${path}': trainer.samples: expected an integer in [1, 1000000000], got -5\n`);
    const missing = await run(['--config', join(tmp.dir, 'missing.json'), '--out', tmp.dir]);
    expect(missing.err).toBe(`unihetero-train: --config: '${join(tmp.dir, 'missing.json')}' does not exist\n`);
  });

  it('reports an invalid model config through the model package (ConfigError)', async () => {
    const path = join(tmp.dir, 'model.json');
    await writeFile(path, JSON.stringify({ config: { backbone: { hiddenSize: 30, numAttentionHeads: 4 } }, trainer: { samples: 4 } }));
    const r = await run(['--config', path, '--out', join(tmp.dir, 'model-run'), '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('UniHetero config: invalid configuration: backbone.hiddenSize: 30 is not divisible by numAttentionHeads 4');
    expect(r.err.split('\n')).toHaveLength(2);
    // Nothing is created for a run that cannot start.
    expect(existsSync(join(tmp.dir, 'model-run'))).toBe(false);
  });

  it('rejects unknown and bad world settings, naming the key', () => {
    expect(() => validateFileSpec({ world: { imageSise: 32 } })).toThrow(/^config file: world\.imageSise: unknown key \(known: seed, imageSize, shapes, palette, /);
    expect(() => validateFileSpec({ world: { splits: { trian: 0.7 } } })).toThrow('config file: world.splits.trian: unknown key (known: train, validation, test, encoder)');
    expect(() => validateFileSpec({ world: { minObjects: 0 } })).toThrow('config file: world: ShapesWorld: need integers 1 <= minObjects <= maxObjects <= 9, got minObjects 0, maxObjects 3');
    expect(() => validateFileSpec({ world: { imageSize: 48 } })).toThrow('config file: world.imageSize: the shipped semantic encoder sees 32x32 images, got 48');
    expect(validateFileSpec({ world: { seed: 3, maxObjects: 2 } }).world).toEqual({ seed: 3, maxObjects: 2 });
  });

  it('resolves defaults, file values and command-line values in that order', () => {
    const d = resolveRunSpec();
    expect(d).toEqual({
      preset: 'exp2',
      config: {},
      world: {},
      seed: 0,
      trainer: { samples: DEFAULTS.samples, batchSize: 16, lr: 2e-3, seed: 0, flowWarmupSteps: 0 },
      eval: { every: 125, count: 64, batchSize: 16, generationEvery: 4, generationCount: 8, generationSteps: 16 },
      checkpointEvery: 63,
    });
    const f = resolveRunSpec({ preset: 'exp4', seed: 3, trainer: { samples: 100, lr: 1e-3, gradClip: 0.5 }, checkpointEvery: 5 }, { lr: 5e-4, evalEvery: 0 });
    expect(f.preset).toBe('exp4');
    expect(f.trainer).toEqual({ samples: 100, batchSize: 16, lr: 5e-4, seed: 3, flowWarmupSteps: 50, gradClip: 0.5 });
    expect(f.eval.every).toBe(0);
    expect(f.checkpointEvery).toBe(5);
    // --seed seeds the run stream too, even over the file's trainer.seed.
    expect(resolveRunSpec({ trainer: { seed: 9 } }, { seed: 4 }).trainer.seed).toBe(4);
    expect(resolveRunSpec({ trainer: { seed: 9 } }).trainer.seed).toBe(9);
  });
});
