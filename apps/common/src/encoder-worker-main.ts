/**
 * The worker thread behind `EncoderWorker.start`: loads the shipped semantic encoder on its own CPU
 * backend (one GEMM thread: the training thread keeps the rest) and answers each message
 * `{ id, images, batch, height, width }` with `{ id, features }` or `{ id, error }`.
 */
import { parentPort } from 'node:worker_threads';
import { setCpuThreads, tensor, tidy } from '@unihetero/tensor';
import { loadDefaultSemanticEncoder } from '@unihetero/vision';

interface Request {
  id: number;
  images: Float32Array;
  batch: number;
  height: number;
  width: number;
}

const port = parentPort;
if (!port) throw new Error('encoder-worker-main: must run as a worker thread');
setCpuThreads(1);
const encoder = await loadDefaultSemanticEncoder();
port.on('message', (m: Request) => {
  try {
    const out = tidy(() => encoder.encode(tensor(m.images, { shape: [m.batch, 3, m.height, m.width] })));
    const features = Float32Array.from(out.dataSync() as Float32Array);
    out.dispose();
    port.postMessage({ id: m.id, features }, [features.buffer]);
  } catch (e) {
    port.postMessage({ id: m.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
port.postMessage({ ready: true, featureDim: encoder.featureDim });
