/**
 * The shipped semantic encoder on a worker thread, as a `BatchFeatureEncoder`: the trainer sends
 * the next batch's images while it trains the current one, so the frozen encoder's forward pass
 * (about a fifth of a demo step) runs on the second core. The features are bit-identical to the
 * training thread's own (tested), so a run's numbers do not depend on it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BatchFeatureEncoder } from '@unihetero/model';
import { cpuThreads, setCpuThreads, type Backend } from '@unihetero/tensor';

type Reply = { id: number; features: Float32Array } | { id: number; error: string } | { ready: true; featureDim: number };

/**
 * The worker's script: beside this module in the built app (dist/), or the built one when this
 * module runs from its TypeScript source (the tests).
 */
function workerScript(): URL {
  const candidates = [new URL('./encoder-worker-main.js', import.meta.url), new URL('../dist/encoder-worker-main.js', import.meta.url)];
  const found = candidates.find((u) => existsSync(fileURLToPath(u)));
  if (!found) throw new Error(`encoder worker: no built script at ${candidates.map((u) => fileURLToPath(u)).join(' or ')} (run npm run build, or pass --no-encoder-worker)`);
  return found;
}

/** A worker thread computing semantic features with the shipped encoder. */
export class EncoderWorker implements BatchFeatureEncoder {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (f: Float32Array) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    private readonly imageSize: number,
  ) {
    worker.on('message', (m: Reply) => {
      if ('ready' in m) return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if ('error' in m) p.reject(new Error(`encoder worker: ${m.error}`));
      else p.resolve(m.features);
    });
    const fail = (e: Error) => {
      this.failure = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', (e) => fail(new Error(`encoder worker failed: ${e.message}`)));
    worker.on('exit', (code) => fail(new Error(`encoder worker exited (code ${code})`)));
  }

  /** Start the worker and wait until its encoder is loaded (`imageSize`: the square images it will see). */
  static async start(imageSize = 32): Promise<EncoderWorker> {
    const worker = new Worker(workerScript());
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: Reply) => {
        if ('ready' in m) {
          worker.off('error', onError);
          worker.off('exit', onExit);
          resolve();
        }
      };
      const onError = (e: Error) => reject(new Error(`encoder worker failed to start: ${e.message}`));
      const onExit = (code: number) => reject(new Error(`encoder worker exited before it was ready (code ${code})`));
      worker.once('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
    });
    worker.unref();
    return new EncoderWorker(worker, imageSize);
  }

  /** Features `[batch, N, d_v]` (flat) of `batch` images `[batch, 3, S, S]` (flat, in [-1, 1]). */
  encode(images: Float32Array, batch: number): Promise<Float32Array> {
    if (this.failure) return Promise.reject(this.failure);
    const want = batch * 3 * this.imageSize * this.imageSize;
    if (images.length !== want) return Promise.reject(new Error(`encoder worker: ${images.length} values are not ${batch} images of 3x${this.imageSize}x${this.imageSize}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, images, batch, height: this.imageSize, width: this.imageSize });
    });
  }

  /** Stop the worker (pending requests fail). */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** What `attachEncoderWorker` needs of a trainer. */
export interface FeatureEncoderHost {
  setFeatureEncoder(encoder: BatchFeatureEncoder | null): void;
}

/**
 * Give `trainer` an `EncoderWorker` when it trains on the CPU backend and `enabled` is not false.
 * While attached, an `'auto'` GEMM thread setting is lowered by one (the worker has that core;
 * products are bitwise the same for any count). Returns `detach()` (stops the worker, restores the
 * setting), or null when no worker was started.
 */
export async function attachEncoderWorker(trainer: FeatureEncoderHost, backend: Backend, options: { enabled?: boolean; imageSize?: number } = {}): Promise<{ detach(): Promise<void> } | null> {
  if (options.enabled === false || backend.name !== 'cpu') return null;
  const worker = await EncoderWorker.start(options.imageSize ?? 32);
  trainer.setFeatureEncoder(worker);
  const setting = cpuThreads().setting;
  if (setting === 'auto') setCpuThreads(Math.max(1, cpuThreads().threads - 1));
  let attached = true;
  return {
    async detach() {
      if (!attached) return;
      attached = false;
      trainer.setFeatureEncoder(null);
      setCpuThreads(setting);
      await worker.close();
    },
  };
}
