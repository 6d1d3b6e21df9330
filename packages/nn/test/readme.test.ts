/** The README example, verbatim apart from the checkpoint path. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { Generator, crossEntropy, tensor, tidy } from '@unihetero/tensor';
import { AdamW, LRScheduler, MLP, clipGradNorm, linearWarmupCosine, paramGroupsNoDecay, saveCheckpoint, loadCheckpoint } from '../src/index.js';

it('runs the README training loop and checkpoint round trip', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'unihetero-nn-readme-'));
  const path = join(dir, 'run.safetensors');
  const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
  const y = tensor([0, 1, 1, 0], { dtype: 'int32' });

  const gen = new Generator(0);
  const model = new MLP([2, 16, 2], { activation: 'gelu', generator: gen });
  const opt = new AdamW(paramGroupsNoDecay(model, { weightDecay: 0.01 }), { lr: 0.05 });
  const sched = new LRScheduler(opt, linearWarmupCosine({ lr: 0.05, warmupSteps: 10, totalSteps: 200 }));

  const losses: number[] = [];
  for (let step = 0; step < 200; step++) {
    opt.zeroGrad();
    const loss = tidy(() => crossEntropy(model.call(x), y));
    loss.backward();
    clipGradNorm(model, 1.0).dispose();
    opt.step();
    sched.step();
    if (step % 50 === 0) losses.push(await loss.item());
    loss.dispose();
  }
  expect(losses[3]!).toBeLessThan(losses[0]! / 4);

  await saveCheckpoint(path, { model, optimizer: opt, scheduler: sched, rng: gen, step: 200 });
  const { step } = await loadCheckpoint(path, { model, optimizer: opt, scheduler: sched, rng: gen });
  expect(step).toBe(200);
  rmSync(dir, { recursive: true, force: true });
  x.dispose();
  y.dispose();
  opt.dispose();
  model.dispose();
});
