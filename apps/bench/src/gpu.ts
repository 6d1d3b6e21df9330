/**
 * One Dawn instance for every WebGPU participant: our backend (`@unihetero/webgpu`), tfjs's
 * webgpu backend (on our very device) and jax-js's webgpu device (its own device on the same
 * adapter). Node has no `navigator`, so this installs `globalThis.navigator = { gpu }`, where
 * `gpu` comes from the `webgpu` package's `create([...])` the same way @unihetero/webgpu does it:
 * the native backend first, then OpenGL ES in compatibility mode (Mesa llvmpipe on headless Linux).
 */
import { cpus } from 'node:os';
import type { WebGPUBackend } from '@unihetero/webgpu';

/** The shared WebGPU context of a benchmark run. */
export interface GpuContext {
  /** Our backend (owns its device), or null when @unihetero/webgpu failed (see `backendError`). */
  backend: WebGPUBackend | null;
  /** Why our backend is missing. */
  backendError: string | null;
  /** The device peers share: our backend's, or one requested here when ours failed. */
  device: GPUDevice;
  /** Adapter description, e.g. `llvmpipe ... OpenGL ES 3.2 Mesa ...`. */
  description: string;
  /** 'core' or 'compatibility'. */
  featureLevel: string;
  /** The adapter info, for peers that want it. */
  adapterInfo?: GPUAdapterInfo;
}

interface GpuLike {
  requestAdapter(options?: GPURequestAdapterOptions & { featureLevel?: string }): Promise<GPUAdapter | null>;
}

let context: Promise<GpuContext> | null = null;
let keepAlive: unknown[] = [];
let ownDevice: GPUDevice | null = null;

/** Find the adapter through Dawn and install `navigator.gpu` (Node only; browsers already have it). */
async function installNavigatorGpu(): Promise<string> {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav?.gpu) return 'core';
  const specifier = 'webgpu';
  const dawn = (await import(/* @vite-ignore */ specifier)) as { create: (flags: string[]) => GpuLike; globals: Record<string, unknown> };
  Object.assign(globalThis, dawn.globals);
  let gpu: GpuLike | null = null;
  let featureLevel = 'core';
  const native = dawn.create([]);
  if (await native.requestAdapter().catch(() => null)) gpu = native;
  else {
    process.env.EGL_PLATFORM ||= 'surfaceless';
    const gl = dawn.create(['backend=opengles']);
    if (await gl.requestAdapter({ featureLevel: 'compatibility' }).catch(() => null)) {
      featureLevel = 'compatibility';
      // Everyone asking this navigator for an adapter gets the compatibility-mode one.
      gpu = { requestAdapter: (o = {}) => gl.requestAdapter({ ...o, featureLevel: 'compatibility' }) };
      keepAlive.push(gl);
    }
  }
  if (!gpu) throw new Error('webgpu: no adapter from Dawn (native or OpenGL ES); see packages/webgpu/README.md for the Mesa packages');
  keepAlive.push(native, gpu);
  Object.defineProperty(globalThis, 'navigator', {
    value: {
      gpu: { ...gpu, requestAdapter: gpu.requestAdapter.bind(gpu), getPreferredCanvasFormat: () => 'rgba8unorm', wgslLanguageFeatures: new Set<string>() },
      userAgent: `Node.js/${process.version}`,
      language: 'en-US',
      hardwareConcurrency: cpus().length,
    },
    configurable: true,
    writable: true,
  });
  return featureLevel;
}

/** Start (once) the shared WebGPU context; throws with the reason when there is no adapter. */
export function getGpuContext(): Promise<GpuContext> {
  context ??= (async () => {
    const featureLevel = await installNavigatorGpu();
    try {
      const { initWebGPU } = await import('@unihetero/webgpu');
      const backend = await initWebGPU();
      const adapterInfo = (backend.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
      return { backend, backendError: null, device: backend.device, description: backend.info.description, featureLevel, adapterInfo };
    } catch (e) {
      // Our backend failed: give the peers a device of their own so they still run.
      const gpu = (globalThis as unknown as { navigator: { gpu: GpuLike } }).navigator.gpu;
      const adapter = await gpu.requestAdapter();
      if (!adapter) throw e;
      const requiredLimits: Record<string, number> = {};
      const limits = adapter.limits as unknown as Record<string, unknown>;
      for (const k in limits) if (typeof limits[k] === 'number') requiredLimits[k] = limits[k] as number;
      const device = await adapter.requestDevice({ requiredLimits });
      ownDevice = device;
      const i = adapter.info;
      const description = [i.vendor, i.architecture, i.device, i.description].filter((x) => x).join(' ') || 'unknown adapter';
      return { backend: null, backendError: e instanceof Error ? e.message : String(e), device, description, featureLevel, adapterInfo: i };
    }
  })();
  context.catch(() => {
    context = null;
  });
  return context;
}

/** Destroy our backend (and with it our device), or the fallback device, if started. */
export async function disposeGpuContext(): Promise<void> {
  if (!context) return;
  const c = await context.catch(() => null);
  context = null;
  c?.backend?.destroy();
  ownDevice?.destroy();
  ownDevice = null;
  keepAlive = [];
}
