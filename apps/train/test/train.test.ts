import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFile, rm, stat } from 'node:fs/promises';
import { CpuBackend, memory } from '@unihetero/tensor';
import { loadShapesModel } from '@unihetero/model';
import { runCli } from '../src/program.js';
import { readCheckpointMeta } from '../src/files.js';
import { parseFileSpec } from '../src/spec.js';
import { memoryIO, readJsonl, tinySpecFile, useTempDir, withoutTime } from './helpers.js';

const tmp = useTempDir();
let specPath: string;
/** The reference: 4 steps straight (16 samples, batch 4), eval and checkpoint every 2 steps. */
let straight: string;
let straightMemory: number[] = [];

const METRIC_KEYS = ['step', 'samples', 'loss', 'text', 'crossEntropy', 'zLoss', 'ploss', 'diffuloss', 'lr', 'gradNorm', 'ms'];

beforeAll(async () => {
  specPath = await tinySpecFile(tmp.dir);
  straight = join(tmp.dir, 'straight');
  const io = memoryIO({ hooks: { afterStep: () => void straightMemory.push(memory().tensors) } });
  const code = await runCli(['--config', specPath, '--out', straight, '--backend', 'cpu'], io);
  if (code !== 0) throw new Error(`straight run failed (${code}): ${io.err()}`);
});

describe('a tiny run end to end', () => {
  it('writes one metrics line per step with every loss part', async () => {
    const m = await readJsonl(join(straight, 'metrics.jsonl'));
    expect(m.map((r) => r.step)).toEqual([1, 2, 3, 4]);
    expect(m.map((r) => r.samples)).toEqual([4, 8, 12, 16]);
    for (const r of m) {
      expect(Object.keys(r)).toEqual(METRIC_KEYS);
      for (const k of METRIC_KEYS) expect(Number.isFinite(r[k])).toBe(true);
      // total = text + alpha*ploss + beta*diffuloss with exp2's alpha = beta = 10.
      expect(r.loss as number).toBeCloseTo((r.text as number) + 10 * (r.ploss as number) + 10 * (r.diffuloss as number), 4);
    }
    expect(m[0]!.lr).toBe(0.003);
  });

  it('holds the live tensor count flat across steps and evaluations', () => {
    expect(straightMemory).toHaveLength(4);
    // Never above the count after the first step. It may dip: a batch whose rows are all
    // understanding leaves the flow head's gradients unset until the next generation row.
    expect(Math.max(...straightMemory)).toBe(straightMemory[0]);
  });

  it('appends understanding evaluations, and generation every few evaluations and at the end', async () => {
    const e = await readJsonl(join(straight, 'eval.jsonl'));
    expect(e.map((r) => [r.step, r.kind])).toEqual([
      [2, 'understanding'],
      [4, 'understanding'],
      [4, 'generation'],
    ]);
    expect(e[0]).toMatchObject({ split: 'test', count: 4, samples: 8 });
    expect(e[0]!.accuracy as number).toBeGreaterThanOrEqual(0);
    expect(e[2]).toMatchObject({ count: 2, scores: { images: 2 } });
  });

  it('writes the resolved spec (a valid --config), a loss curve and a loadable checkpoint', async () => {
    const config = parseFileSpec(await readFile(join(straight, 'config.json'), 'utf8'), 'config.json');
    expect(config.trainer).toMatchObject({ samples: 16, batchSize: 4, lr: 0.003, seed: 0, weightDecay: 0.1, gradClip: 1, split: 'train' });
    const svg = await readFile(join(straight, 'loss.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(4);
    const meta = await readCheckpointMeta(join(straight, 'checkpoint.safetensors'));
    expect(meta.step).toBe(4);
    expect(meta.extra.build).toEqual({ preset: 'exp2', config: config.config, world: {}, seed: 0 });
    const backend = new CpuBackend();
    const loaded = await loadShapesModel(join(straight, 'checkpoint.safetensors'), backend);
    expect(loaded.step).toBe(4);
    expect(loaded.model.config.backbone.hiddenSize).toBe(32);
  });

  it('refuses to start over an existing run', async () => {
    const io = memoryIO();
    expect(await runCli(['--config', specPath, '--out', straight, '--backend', 'cpu'], io)).toBe(1);
    expect(io.err()).toBe(`unihetero-train: '${straight}' already holds a run (checkpoint.safetensors); pass --resume to continue it, or choose another --out\n`);
  });
});

describe('resume', () => {
  it('continues a killed run with identical metrics (lines after the checkpoint are truncated)', async () => {
    const out = join(tmp.dir, 'killed');
    const io = memoryIO({
      hooks: {
        afterStep: (m) => {
          if (m.step === 3) throw new Error('simulated kill after step 3');
        },
      },
    });
    expect(await runCli(['--config', specPath, '--out', out, '--backend', 'cpu', '--quiet'], io)).toBe(1);
    expect(io.err()).toContain('simulated kill after step 3');
    expect((await readJsonl(join(out, 'metrics.jsonl'))).map((r) => r.step)).toEqual([1, 2, 3]);
    expect((await readCheckpointMeta(join(out, 'checkpoint.safetensors'))).step).toBe(2);

    const io2 = memoryIO();
    expect(await runCli(['--resume', '--out', out, '--backend', 'cpu'], io2)).toBe(0);
    expect(io2.err()).toContain('resuming at step 2');
    const a = (await readJsonl(join(straight, 'metrics.jsonl'))).map(withoutTime);
    const b = (await readJsonl(join(out, 'metrics.jsonl'))).map(withoutTime);
    expect(b).toEqual(a);
    const ea = (await readJsonl(join(straight, 'eval.jsonl'))).map(withoutTime);
    const eb = (await readJsonl(join(out, 'eval.jsonl'))).map(withoutTime);
    expect(eb).toEqual(ea);
  });

  it('resumes after metrics.jsonl and eval.jsonl were deleted (derived files), saying which steps are missing', async () => {
    const out = join(tmp.dir, 'deleted');
    const io = memoryIO({ hooks: { afterStep: (m) => { if (m.step === 3) throw new Error('simulated kill after step 3'); } } });
    expect(await runCli(['--config', specPath, '--out', out, '--backend', 'cpu', '--quiet'], io)).toBe(1);
    await rm(join(out, 'metrics.jsonl'));
    await rm(join(out, 'eval.jsonl'));
    const io2 = memoryIO();
    expect(await runCli(['--resume', '--out', out, '--backend', 'cpu', '--quiet'], io2), io2.err()).toBe(0);
    expect(io2.err()).toBe('unihetero-train: metrics.jsonl holds 0 of the 2 steps up to the checkpoint (the file was missing); continuing, the missing lines stay missing\n');
    const a = (await readJsonl(join(straight, 'metrics.jsonl'))).map(withoutTime);
    expect((await readJsonl(join(out, 'metrics.jsonl'))).map(withoutTime)).toEqual(a.slice(2));
    expect((await readFile(join(out, 'checkpoint.safetensors'))).equals(await readFile(join(straight, 'checkpoint.safetensors')))).toBe(true);
  });

  it('rejects options that would change a resumed run, accepts cadence changes', async () => {
    const out = join(tmp.dir, 'killed');
    const io = memoryIO();
    expect(await runCli(['--resume', '--out', out, '--lr', '0.01', '--backend', 'cpu'], io)).toBe(1);
    expect(io.err()).toContain("trainer.lr: the checkpoint was trained with 0.003, this command asks for 0.01");
    const done = memoryIO();
    expect(await runCli(['--resume', '--out', out, '--eval-every', '1', '--backend', 'cpu'], done)).toBe(0);
    expect(done.err()).toContain(`the run in '${out}' is already complete (4 steps)`);
  });
});

describe('Ctrl-C', () => {
  it('finishes the step, saves, exits 130 naming the checkpoint, and resumes identically', async () => {
    const out = join(tmp.dir, 'interrupted');
    const controller = new AbortController();
    const io = memoryIO({ signal: controller.signal, hooks: { afterStep: (m) => void (m.step === 1 && controller.abort()) } });
    expect(await runCli(['--config', specPath, '--out', out, '--backend', 'cpu', '--quiet'], io)).toBe(130);
    const ckpt = join(out, 'checkpoint.safetensors');
    expect(io.err()).toBe(`unihetero-train: interrupted at step 1 of 4; checkpoint saved to ${ckpt} (continue with: unihetero-train --resume --out ${out})\n`);
    expect((await readCheckpointMeta(ckpt)).step).toBe(1);
    expect((await stat(join(out, 'loss.svg'))).size).toBeGreaterThan(0);

    expect(await runCli(['--resume', '--out', out, '--backend', 'cpu', '--quiet'], memoryIO())).toBe(0);
    const a = (await readJsonl(join(straight, 'metrics.jsonl'))).map(withoutTime);
    expect((await readJsonl(join(out, 'metrics.jsonl'))).map(withoutTime)).toEqual(a);
  });
});

describe('SIGTERM', () => {
  it('behaves as the first Ctrl-C: finishes the step, saves, exits 143 naming the checkpoint', async () => {
    const out = join(tmp.dir, 'sigterm');
    const controller = new AbortController();
    const io = memoryIO({ signal: controller.signal, hooks: { afterStep: (m) => void (m.step === 2 && controller.abort('SIGTERM')) } });
    expect(await runCli(['--config', specPath, '--out', out, '--backend', 'cpu', '--quiet'], io)).toBe(143);
    const ckpt = join(out, 'checkpoint.safetensors');
    expect(io.err()).toBe(`unihetero-train: stopped by SIGTERM at step 2 of 4; checkpoint saved to ${ckpt} (continue with: unihetero-train --resume --out ${out})\n`);
    expect((await readCheckpointMeta(ckpt)).step).toBe(2);
  });
});

describe('non-finite losses', () => {
  it('stop the run with the step, the loss part and the last good checkpoint (exit 1)', async () => {
    // A learning rate of 1e10 makes step 1's update blow the weights up; step 2's loss is NaN.
    const out = join(tmp.dir, 'nan');
    const io = memoryIO();
    expect(await runCli(['--config', specPath, '--out', out, '--backend', 'cpu', '--lr', '1e10', '--ckpt-every', '1', '--eval-every', '0', '--quiet'], io)).toBe(1);
    const ckpt = join(out, 'checkpoint.safetensors');
    expect(io.err()).toMatch(new RegExp(`^unihetero-train: training stopped at step 2: (loss part '(total|text|crossEntropy|zLoss|ploss|diffuloss)'|the gradient norm) is (NaN|Infinity|-Infinity); last good checkpoint: ${ckpt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(step 1\\)\\n$`));
    expect((await readJsonl(join(out, 'metrics.jsonl'))).map((r) => r.step)).toEqual([1]);
    expect((await readCheckpointMeta(ckpt)).step).toBe(1);
  });
});

describe('exp4', () => {
  it('warms the flow head up first, with its own progress and warmup.jsonl', async () => {
    const out = join(tmp.dir, 'exp4');
    const path = await tinySpecFile(tmp.dir, { preset: 'exp4', trainer: { samples: 8, batchSize: 4, lr: 0.003, flowWarmupSteps: 10 }, eval: { every: 0 } });
    const io = memoryIO();
    expect(await runCli(['--config', path, '--out', out, '--backend', 'cpu'], io)).toBe(0);
    expect(io.err()).toContain('flow warm-up [========================] 10/10 steps');
    const w = await readJsonl(join(out, 'warmup.jsonl'));
    expect(w.map((r) => r.step)).toEqual([10]);
    expect(Number.isFinite(w[0]!.loss)).toBe(true);
    const meta = await readCheckpointMeta(join(out, 'checkpoint.safetensors'));
    expect((meta.extra.trainer as { flowWarmedUp: boolean }).flowWarmedUp).toBe(true);
    expect((await readJsonl(join(out, 'metrics.jsonl'))).map((r) => r.step)).toEqual([1, 2]);
  });
});
