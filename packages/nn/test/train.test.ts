/** End-to-end training on the CPU backend: two moons, flat memory, and exact checkpoint resume. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Generator, Tensor, crossEntropy, memory, randint, tidy } from '@unihetero/tensor';
import {
  AdamW,
  ExponentialMovingAverage,
  LRScheduler,
  MLP,
  StateDictError,
  clipGradNorm,
  linearWarmupCosine,
  loadCheckpoint,
  paramGroupsNoDecay,
  saveCheckpoint,
} from '../src/index.js';
import { tempFolder } from './files.js';
import { accuracy, trainStep, twoMoons } from './twomoons.js';

const dir = tempFolder('unihetero-nn-');

describe('training on two moons (CPU)', () => {
  it('an MLP reaches >= 98% accuracy in 250 full-batch AdamW steps', async () => {
    const data = twoMoons(256, 0.1, new Generator(2024));
    const model = new MLP([2, 32, 32, 2], { activation: 'tanh', generator: new Generator(0) });
    const opt = new AdamW(paramGroupsNoDecay(model, { weightDecay: 1e-4 }), { lr: 0.02 });
    let first = 0;
    let last = 0;
    for (let s = 0; s < 250; s++) {
      const loss = trainStep(model, opt, data.x, data.y);
      if (s === 0) first = loss.itemSync();
      if (s === 249) last = loss.itemSync();
      loss.dispose();
    }
    model.eval();
    const acc = await accuracy(model, data.x, data.y);
    expect(last).toBeLessThan(first / 5);
    expect(acc).toBeGreaterThanOrEqual(0.98);
    // Held-out points from the same distribution.
    const test = twoMoons(200, 0.1, new Generator(99));
    expect(await accuracy(model, test.x, test.y)).toBeGreaterThanOrEqual(0.97);
    for (const t of [data.x, data.y, test.x, test.y]) t.dispose();
    opt.dispose();
    model.dispose();
  });

  it('keeps memory().tensors and bytesInUse flat over a 200-step loop (clipping, scheduler, EMA)', () => {
    const data = twoMoons(64, 0.1, new Generator(1));
    const model = new MLP([2, 16, 2], { generator: new Generator(0), dropout: 0.1 });
    const opt = new AdamW(model.parameters(), { lr: 0.01 });
    const sched = new LRScheduler(opt, linearWarmupCosine({ lr: 0.01, warmupSteps: 10, totalSteps: 200 }));
    const ema = new ExponentialMovingAverage(model, { decay: 0.99 });
    const step = () => {
      opt.zeroGrad();
      const loss = tidy(() => crossEntropy(model.forward(data.x), data.y));
      loss.backward();
      clipGradNorm(model, 1).dispose();
      opt.step();
      sched.step();
      ema.update();
      loss.dispose();
    };
    step(); // creates the optimizer state
    const base = memory();
    for (let i = 0; i < 199; i++) step();
    const after = memory();
    expect(after.tensors).toBe(base.tensors);
    expect(after.bytesInUse).toBe(base.bytesInUse);
    expect(after.storages).toBe(base.storages);
    for (const t of [data.x, data.y]) t.dispose();
    ema.dispose();
    opt.dispose();
    model.dispose();
  });
});

/** A training run whose every source of randomness flows from one generator. */
function makeRun(initSeed: number, rngSeed: number) {
  const gen = new Generator(rngSeed);
  const model = new MLP([2, 16, 16, 2], { activation: 'gelu', dropout: 0.2, generator: new Generator(initSeed) });
  model.drop!.generator = gen; // dropout masks from the run's stream
  const opt = new AdamW(paramGroupsNoDecay(model, { weightDecay: 0.05 }), { lr: 0.03 });
  const sched = new LRScheduler(opt, linearWarmupCosine({ lr: 0.03, warmupSteps: 3, totalSteps: 12, minLr: 0.003 }));
  const ema = new ExponentialMovingAverage(model, { decay: 0.9, warmup: true });
  return { gen, model, opt, sched, ema };
}

type Run = ReturnType<typeof makeRun>;

function runStep(r: Run, x: Tensor, y: Tensor): number {
  const idx = randint(0, x.shape[0]!, [32], { generator: r.gen });
  r.opt.zeroGrad();
  const loss = tidy(() => crossEntropy(r.model.forward(x.indexSelect(0, idx)), y.indexSelect(0, idx)));
  idx.dispose();
  loss.backward();
  clipGradNorm(r.model, 1.0).dispose();
  r.opt.step();
  r.sched.step();
  r.ema.update();
  const v = loss.itemSync();
  loss.dispose();
  return v;
}

function disposeRun(r: Run): void {
  r.ema.dispose();
  r.opt.dispose();
  r.model.dispose();
}

describe('checkpoints', () => {
  it('save at step k, simulated kill, fresh objects resume with EXACTLY the uninterrupted losses', async () => {
    const data = twoMoons(128, 0.15, new Generator(7));
    const N = 12;
    const K = 5;

    const full = makeRun(0, 1234);
    const fullLosses: number[] = [];
    for (let s = 0; s < N; s++) fullLosses.push(runStep(full, data.x, data.y));

    const first = makeRun(0, 1234);
    const losses: number[] = [];
    for (let s = 0; s < K; s++) losses.push(runStep(first, data.x, data.y));
    const path = join(dir, 'run.safetensors');
    await saveCheckpoint(path, { model: first.model, optimizer: first.opt, step: K, rng: first.gen, ema: first.ema, scheduler: first.sched, extra: { note: 'k', dataSeed: 7 } });
    disposeRun(first); // "kill"
    expect(readdirSync(dir)).toEqual(['run.safetensors']); // atomic write leaves no temp files

    // A fresh "process": different init seed and RNG seed, all state from the file.
    const resumed = makeRun(99, 555);
    const { step, extra, report } = await loadCheckpoint(path, { model: resumed.model, optimizer: resumed.opt, rng: resumed.gen, ema: resumed.ema, scheduler: resumed.sched });
    expect(step).toBe(K);
    expect(extra).toEqual({ note: 'k', dataSeed: 7 });
    expect(report).toEqual({ missing: [], unexpected: [], mismatched: [] });
    expect(resumed.ema.numUpdates).toBe(K);
    expect(resumed.sched.currentStep).toBe(K);
    for (let s = K; s < N; s++) losses.push(runStep(resumed, data.x, data.y));

    expect(losses).toEqual(fullLosses);
    for (const [[n, a], [, b]] of full.model.namedParameters().map((x, i) => [x, resumed.model.namedParameters()[i]!] as const)) {
      expect(Array.from(b.dataSync()), n).toEqual(Array.from(a.dataSync()));
    }
    for (const [k, t] of full.ema.stateDict()) expect(Array.from(resumed.ema.stateDict().get(k)!.dataSync()), k).toEqual(Array.from(t.dataSync()));
    disposeRun(full);
    disposeRun(resumed);
    data.x.dispose();
    data.y.dispose();
  });

  it('refuses a checkpoint that does not fit the model, naming the keys, and changes nothing', async () => {
    const r = makeRun(0, 1);
    const path = join(dir, 'small.safetensors');
    await saveCheckpoint(path, { model: r.model, optimizer: r.opt, rng: r.gen });
    const other = new MLP([2, 8, 2], { generator: new Generator(3) });
    const before = Array.from(other.layers.at(0).weight.dataSync());
    await expect(loadCheckpoint(path, { model: other })).rejects.toThrow(StateDictError);
    await expect(loadCheckpoint(path, { model: other })).rejects.toThrow(/unexpected keys \[layers.2.bias, layers.2.weight\]; shape mismatches \[layers.0.bias: module \[8\] vs state dict \[16\], layers.0.weight: module \[8,2\] vs state dict \[16,2\]/);
    expect(Array.from(other.layers.at(0).weight.dataSync())).toEqual(before);
    await expect(loadCheckpoint(path, { model: r.model, ema: r.ema })).rejects.toThrow(/has no EMA state, but an EMA was given/);
    other.dispose();
    disposeRun(r);
    expect(existsSync(path)).toBe(true);
  });
});
