/**
 * TensorFlow.js peers (`@tensorflow/tfjs-core` 4.22 with the cpu, wasm and webgpu backends),
 * loaded lazily so a missing or broken package turns into an `n/a` column instead of a crash.
 * tfjs keeps one active backend per process: `useTfjs(kind)` switches to it.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The tfjs-core module namespace. */
export type Tf = typeof import('@tensorflow/tfjs-core');

/** Which tfjs backend a peer runs on. */
export type TfjsKind = 'cpu' | 'wasm' | 'webgpu';

/** A loaded tfjs backend and a short description of the variant that runs. */
export interface TfjsHandle {
  tf: Tf;
  kind: TfjsKind;
  /** E.g. `wasm (SIMD, 1 thread)`. */
  variant: string;
}

let tfPromise: Promise<Tf> | null = null;
const ready = new Map<TfjsKind, Promise<string>>();

/** The shared tfjs-core module. */
export function loadTfjsCore(): Promise<Tf> {
  tfPromise ??= import('@tensorflow/tfjs-core');
  return tfPromise;
}

/** The folder holding tfjs-backend-wasm's `.wasm` files (as a file path ending in `/`). */
export function tfjsWasmDir(): string {
  const require = createRequire(import.meta.url);
  return `${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`;
}

let gradients: Promise<unknown> | null = null;

/** Register tfjs's gradient functions (needed by `minimize`; idempotent). */
export function loadTfjsGradients(): Promise<unknown> {
  gradients ??= loadTfjsCore().then(() => import('./tfjs-gradients.js'));
  return gradients;
}

async function init(kind: TfjsKind, gpu?: { device: GPUDevice; adapterInfo?: GPUAdapterInfo }): Promise<string> {
  const tf = await loadTfjsCore();
  if (kind === 'cpu') {
    await import('@tensorflow/tfjs-backend-cpu');
    if (!(await tf.setBackend('cpu'))) throw new Error('tfjs: setBackend("cpu") failed');
    return 'cpu (plain JS)';
  }
  if (kind === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the emscripten loader reads the .wasm files with fs, so a folder path works.
    wasm.setWasmPaths(tfjsWasmDir());
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: setBackend("wasm") failed');
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    return `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads ? 'multi-threaded' : '1 thread: Node has no Web Workers for its thread pool'})`;
  }
  // webgpu: register the backend on the caller's device (the same Dawn device as ours) under the
  // name 'webgpu', which is the name its kernels are registered for.
  const webgpu = await import('@tensorflow/tfjs-backend-webgpu');
  if (!gpu) throw new Error('tfjs-webgpu: no GPU device given');
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new webgpu.WebGPUBackend(gpu.device, gpu.adapterInfo), 3);
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs: setBackend("webgpu") failed');
  return 'webgpu (shared device)';
}

/**
 * Make `kind` tfjs's active backend (initialising it on first use) and return tfjs with a
 * description of the variant. For 'webgpu', pass the device to share.
 */
export async function useTfjs(kind: TfjsKind, gpu?: { device: GPUDevice; adapterInfo?: GPUAdapterInfo }): Promise<TfjsHandle> {
  const tf = await loadTfjsCore();
  let p = ready.get(kind);
  if (!p) {
    p = init(kind, gpu);
    ready.set(kind, p);
    p.catch(() => ready.delete(kind));
  }
  const variant = await p;
  if (tf.getBackend() !== kind && !(await tf.setBackend(kind))) throw new Error(`tfjs: setBackend("${kind}") failed`);
  return { tf, kind, variant };
}

/**
 * Dispose tfjs's variables and backend instances (factories stay registered, so a later
 * `useTfjs` starts fresh ones). No-op when tfjs was never loaded.
 */
export async function disposeTfjs(): Promise<void> {
  if (!tfPromise) return;
  const tf = await tfPromise.catch(() => null);
  if (!tf) return;
  tf.disposeVariables();
  tf.engine().reset();
  ready.clear();
}
