/**
 * The Train tab's worker: builds a fresh shapes-world model on its own backend, trains it with the
 * model package's `Trainer` (the same code as `unihetero-train`), reports every step, generates a
 * sample image and captions a test image every N steps, pauses and resumes between steps, and
 * hands out a checkpoint (weights + build spec, `.safetensors` bytes) at a step boundary.
 */
import { Generator } from '@unihetero/tensor';
import { imagesToTensor } from '@unihetero/data';
import { Trainer, createShapesModelFrom, describeImages, generateImages, shapesCheckpointBytes, type ShapesModel } from '@unihetero/model';
import { chooseBackend } from './backend.js';
import type { FromWorker, ToWorker, TrainRequest } from './train-protocol.js';

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

let paused = false;
let wake: (() => void) | null = null;
let checkpointWanted = false;
let running = false;
/** True while a step (or a sample) is in flight: parameters may be half updated then. */
let stepping = false;
let built: ShapesModel | null = null;
let trainer: Trainer | null = null;

async function sendCheckpoint(): Promise<void> {
  checkpointWanted = false;
  if (!built || !trainer) return post({ type: 'error', message: 'checkpoint: no model yet (start a run first)' });
  const bytes = await shapesCheckpointBytes(built, { step: trainer.step, extra: { source: 'unihetero playground Train tab', trainer: { steps: trainer.totalSteps, batchSize: trainer.options.batchSize, lr: trainer.options.lr, seed: trainer.options.seed } } });
  post({ type: 'checkpoint', bytes, step: trainer.step }, [bytes.buffer]);
}

async function sample(b: ShapesModel, step: number): Promise<void> {
  const probe = b.world.sample('test', 0);
  const prompt = probe.canonicalCaption;
  const g = await generateImages(b.model, [b.model.tokenizer.encode(prompt, { bos: false, eos: false })], { steps: 8, generator: new Generator(0) });
  g.embeddings.dispose();
  g.predictions.dispose();
  g.latents?.dispose();
  const images = imagesToTensor([probe.image], b.model.backend);
  const [caption] = await describeImages(b.model, images, { maxTokens: 24 });
  images.dispose();
  b.model.train();
  post({ type: 'sample', step, image: g.images![0]!, prompt, caption: caption ?? '', captionOf: prompt });
}

async function train(r: TrainRequest): Promise<void> {
  running = true;
  const chosen = await chooseBackend(r.backend);
  built = await createShapesModelFrom(r.spec, r.encoder, chosen.backend);
  built.model.train();
  trainer = new Trainer(built.model, built.world, { samples: r.steps * r.batchSize, batchSize: r.batchSize, lr: r.lr, seed: 0 });
  let parameters = 0;
  for (const p of built.model.parameters()) if (p.requiresGrad) parameters += p.size;
  post({ type: 'ready', backend: chosen.label, reason: chosen.reason, parameters });
  await trainer.warmupFlow();
  while (!trainer.done) {
    // Let the worker's message queue run between steps: on the CPU backend a step settles in
    // microtasks only, so without this a Pause (or a checkpoint request) waits for the whole run.
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    if (paused) {
      post({ type: 'paused' });
      await new Promise<void>((resolve) => (wake = resolve));
      post({ type: 'resumed' });
      continue;
    }
    stepping = true;
    try {
      const metrics = await trainer.trainStep();
      post({ type: 'step', metrics, totalSteps: trainer.totalSteps });
      if (trainer.step % r.sampleEvery === 0 || trainer.done) await sample(built, trainer.step);
    } finally {
      stepping = false;
    }
    if (checkpointWanted) await sendCheckpoint();
    if (chosen.gpuErrors.length > 0) throw new Error(`WebGPU error during training: ${chosen.gpuErrors[0]}`);
  }
  running = false;
  post({ type: 'done', step: trainer.step });
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  if (m.type === 'start') {
    if (running) return post({ type: 'error', message: 'train: a run is already going' });
    train(m.request).catch((err: Error) => {
      running = false;
      post({ type: 'error', message: err.message });
    });
  } else if (m.type === 'pause') {
    paused = true;
  } else if (m.type === 'resume') {
    paused = false;
    wake?.();
    wake = null;
  } else if (m.type === 'checkpoint') {
    // Between steps only: while a step runs, its parameters are half updated.
    if (stepping) checkpointWanted = true;
    else void sendCheckpoint();
  }
};
