/**
 * The same training on the WebGPU backend (`@unihetero/webgpu/testing`: skipped without an adapter
 * locally, a failure in CI). Short, because llvmpipe is slow.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { webgpuForTests } from '@unihetero/webgpu/testing';
import { CpuBackend, Generator, memory, type Backend } from '@unihetero/tensor';
import { AdamW, ExponentialMovingAverage, MLP, loadCheckpoint, saveCheckpoint } from '../src/index.js';
import { accuracy, trainStep, twoMoons } from './twomoons.js';

const gpu = await webgpuForTests('nn');
afterAll(() => gpu?.destroy());

describe.skipIf(!gpu)('training on WebGPU', () => {
  it('trains an MLP on two moons to >= 98% with flat memory, matching the CPU run', async () => {
    const backend = gpu!;
    const run = async (b?: Backend) => {
      const data = twoMoons(128, 0.1, new Generator(2024), b);
      const model = new MLP([2, 32, 2], { activation: 'tanh', generator: new Generator(0), backend: b });
      const opt = new AdamW(model.parameters(), { lr: 0.05, weightDecay: 0 });
      const losses: number[] = [];
      let base = memory(b);
      for (let s = 0; s < 150; s++) {
        const loss = trainStep(model, opt, data.x, data.y);
        if (s % 50 === 0) losses.push(await loss.item());
        loss.dispose();
        if (s === 0) base = memory(b);
      }
      const after = memory(b);
      model.eval();
      const acc = await accuracy(model, data.x, data.y);
      data.x.dispose();
      data.y.dispose();
      opt.dispose();
      model.dispose();
      return { losses, acc, base, after };
    };
    const g = await run(backend);
    const c = await run(undefined);
    expect(g.acc).toBeGreaterThanOrEqual(0.98);
    expect(g.after.tensors).toBe(g.base.tensors);
    expect(g.after.bytesInUse).toBe(g.base.bytesInUse);
    g.losses.forEach((l, i) => expect(l).toBeCloseTo(c.losses[i]!, 2));
  });

  it('moves a model to the GPU, trains with EMA, and its checkpoint loads into a CPU model exactly', async () => {
    const backend = gpu!;
    const cpu = new CpuBackend();
    const data = twoMoons(32, 0.1, new Generator(3), backend);
    const model = new MLP([2, 8, 2], { generator: new Generator(1), backend: cpu });
    await model.toBackend(backend);
    expect(model.parameters().every((p) => p.backend === backend && p.requiresGrad)).toBe(true);
    const opt = new AdamW(model.parameters(), { lr: 0.01 });
    const ema = new ExponentialMovingAverage(model, { decay: 0.5 });
    for (let s = 0; s < 3; s++) {
      trainStep(model, opt, data.x, data.y).dispose();
      ema.update();
    }
    const dir = mkdtempSync(join(tmpdir(), 'unihetero-nn-gpu-'));
    const path = join(dir, 'gpu.safetensors');
    await saveCheckpoint(path, { model, optimizer: opt, ema, step: 3 });
    const m2 = new MLP([2, 8, 2], { generator: new Generator(9), backend: cpu });
    const o2 = new AdamW(m2.parameters(), { lr: 0.5 });
    const e2 = new ExponentialMovingAverage(m2, { decay: 0.1 });
    const { step } = await loadCheckpoint(path, { model: m2, optimizer: o2, ema: e2 });
    expect(step).toBe(3);
    for (const [[n, a], [, b]] of model.namedParameters().map((x, i) => [x, m2.namedParameters()[i]!] as const)) {
      expect(Array.from(b.dataSync()), n).toEqual(Array.from(await a.data()));
      expect(Array.from(o2.getState(b)!.tensors.exp_avg!.dataSync()), n).toEqual(Array.from(await opt.getState(a)!.tensors.exp_avg!.data()));
    }
    expect(e2.decay).toBe(0.5);
    rmSync(dir, { recursive: true, force: true });
    for (const x of [ema, opt, model, e2, o2, m2]) x.dispose();
    data.x.dispose();
    data.y.dispose();
  });
});
