/** Bad inputs give one line naming the input and the remedy, never a stack trace (unless --verbose). */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CpuBackend } from '@unihetero/tensor';
import { Trainer, createShapesModel } from '@unihetero/model';
import { cli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'unihetero-eval-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const oneLine = (err: string) => {
  expect(err.endsWith('\n')).toBe(true);
  expect(err.slice(0, -1)).not.toContain('\n');
  return err.slice(0, -1);
};

describe('one-line errors', () => {
  it('a damaged checkpoint is named with the tensor and a remedy; a missing one too; --verbose adds the stack', async () => {
    const backend = new CpuBackend();
    const built = await createShapesModel({ preset: 'exp1', config: { backbone: { hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2 }, flow: { width: 16, depth: 1 } } }, backend);
    const trainer = new Trainer(built.model, built.world, { samples: 4, batchSize: 2 });
    const ckpt = join(dir, 'c.safetensors');
    await trainer.save(ckpt, { build: built.spec });
    const bytes = await readFile(ckpt);
    bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0x01;
    await writeFile(ckpt, bytes);
    const r = await cli(['evaluate', '--checkpoint', ckpt, '--backend', 'cpu', '--no-sheet']);
    expect(r.code).toBe(1);
    expect(oneLine(r.err)).toMatch(/^unihetero-eval: evaluate: checkpoint '.*c\.safetensors' cannot be used: verifyCheckpoint: '.*' is damaged: tensor '.*' fails its checksum \(stored crc32 [0-9a-f]{8}, the data gives [0-9a-f]{8}\); resume its training run or train a new one$/);
    const v = await cli(['evaluate', '--checkpoint', ckpt, '--backend', 'cpu', '--verbose']);
    expect(v.err).toMatch(/\n\s+at /);
    const missing = await cli(['evaluate', '--checkpoint', join(dir, 'nope.safetensors'), '--backend', 'cpu']);
    expect(oneLine(missing.err)).toBe(`unihetero-eval: evaluate: checkpoint '${join(dir, 'nope.safetensors')}' does not exist`);
    trainer.optimizer.dispose();
    built.model.dispose();
    backend.destroy();
  });

  it('strict numbers, and a damaged ablation record named with its remedy', async () => {
    const lr = await cli(['ablation', '--lr', '0x10', '--out', dir]);
    expect(lr.code).toBe(1);
    expect(lr.err).toContain("--lr: expected a positive number, got '0x10'");
    const out = join(dir, 'abl');
    // exp1's examples are the same in both designs: its runs live under shared/.
    const run = join(out, 'shared', 'exp1');
    await mkdir(run, { recursive: true });
    await writeFile(join(run, 'seed0.json'), '{"fingerprint": ');
    await writeFile(join(run, 'seed0.json.tmp-4242'), 'stale');
    const r = await cli(['ablation', '--presets', 'exp1', '--scales', '16', '--batch-size', '16', '--hidden-size', '16', '--layers', '1', '--heads', '2', '--out', out, '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(oneLine(r.err)).toMatch(/^unihetero-eval: ablation: '.*seed0\.json' is damaged \(.*\); delete .*shared\/exp1 to start shared\/exp1 over$/);
    // The stale temporary file of an interrupted write is gone.
    expect((await import('node:fs')).existsSync(join(run, 'seed0.json.tmp-4242'))).toBe(false);
  });
});
