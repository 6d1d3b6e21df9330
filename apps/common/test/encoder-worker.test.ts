/**
 * The semantic encoder on a worker thread: its features are bit-identical to the training thread's,
 * a trainer using it takes identical steps, bad input and a stopped worker give clear errors, and
 * attaching it lowers an 'auto' GEMM thread count only while attached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend, cpuThreads, setCpuThreads, tidy } from '@unihetero/tensor';
import { imagesToTensor } from '@unihetero/data';
import { Trainer, createShapesModel, getRecipe, type StepMetrics } from '@unihetero/model';
import { EncoderWorker, attachEncoderWorker } from '../src/encoder-worker.js';

let worker: EncoderWorker;
beforeAll(async () => {
  worker = await EncoderWorker.start(32);
});
afterAll(async () => {
  await worker.close();
});

describe('EncoderWorker', () => {
  it('computes exactly the features of the model’s own semantic encoder', async () => {
    const backend = new CpuBackend();
    const built = await createShapesModel({ seed: 0 }, backend);
    const images = built.world.samples('train', 0, 5).map((s) => s.image);
    const ref = tidy(() => built.model.encodeImages(imagesToTensor(images, backend)).features);
    const host = imagesToTensor(images, backend);
    const got = await worker.encode(host.dataSync() as Float32Array, 5);
    expect(ref.shape).toEqual([5, 64, 64]);
    expect(got.length).toBe(ref.size);
    const want = ref.dataSync();
    let diff = 0;
    for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    expect(diff).toBe(0);
    for (const t of [ref, host]) t.dispose();
    backend.destroy();
  });

  it('a trainer with it takes the same steps as one encoding on its own thread', async () => {
    const recipe = getRecipe('tiny');
    const run = async (useWorker: boolean): Promise<StepMetrics[]> => {
      const backend = new CpuBackend();
      const built = await createShapesModel({ preset: recipe.preset, config: recipe.config, seed: 3 }, backend);
      const trainer = new Trainer(built.model, built.world, { samples: 12, batchSize: 4, lr: 3e-3, seed: 3 });
      if (useWorker) trainer.setFeatureEncoder(worker);
      const out: StepMetrics[] = [];
      while (!trainer.done) out.push(await trainer.trainStep());
      backend.destroy();
      return out;
    };
    const a = await run(false);
    const b = await run(true);
    expect(b.map((m) => [m.loss, m.ploss, m.diffuloss, m.gradNorm])).toEqual(a.map((m) => [m.loss, m.ploss, m.diffuloss, m.gradNorm]));
  });

  it('rejects images of the wrong size, naming the sizes', async () => {
    await expect(worker.encode(new Float32Array(10), 1)).rejects.toThrow('encoder worker: 10 values are not 1 images of 3x32x32');
  });

  it('a closed worker fails its requests instead of hanging', async () => {
    const w = await EncoderWorker.start(32);
    await w.close();
    await expect(w.encode(new Float32Array(3 * 32 * 32), 1)).rejects.toThrow(/encoder worker exited/);
  });
});


describe('attachEncoderWorker', () => {
  it('attaches on the CPU backend only, lowers an auto thread count while attached, and restores it', async () => {
    const calls: (string | null)[] = [];
    const host = { setFeatureEncoder: (e: unknown) => calls.push(e ? 'worker' : null) };
    const backend = new CpuBackend();
    expect(await attachEncoderWorker(host, backend, { enabled: false })).toBeNull();
    expect(await attachEncoderWorker(host, { ...backend, name: 'webgpu' } as unknown as CpuBackend)).toBeNull();
    setCpuThreads('auto');
    const auto = cpuThreads().threads;
    const a = await attachEncoderWorker(host, backend);
    expect(a).not.toBeNull();
    expect(cpuThreads().setting).toBe(Math.max(1, auto - 1));
    await a!.detach();
    await a!.detach(); // twice is harmless
    expect(cpuThreads().setting).toBe('auto');
    expect(calls).toEqual(['worker', null]);
    setCpuThreads(3);
    const b = await attachEncoderWorker(host, backend);
    expect(cpuThreads().setting).toBe(3); // an explicit count is left alone
    await b!.detach();
    setCpuThreads('auto');
    backend.destroy();
  });
});
