/**
 * Finding a WebGPU device: `navigator.gpu` in browsers, Dawn (the `webgpu` package, loaded
 * lazily) in Node, with the OpenGL ES / compatibility-mode fallback that gives Mesa's llvmpipe on
 * headless Linux.
 */
import { CpuBackend, type Backend, type BackendInfo } from '@unihetero/tensor';
import { WebGPUBackend, type WebGPUBackendOptions } from './backend.js';
import { isSoftwareAdapter } from './adapter-kind.js';

/** Options of `initWebGPU`. */
export interface InitWebGPUOptions extends WebGPUBackendOptions {
  /** Adapter power preference. */
  powerPreference?: GPUPowerPreference;
  /** Ask for a fallback (software) adapter. */
  forceFallback?: boolean;
  /** Dawn toggles for the first (native) attempt in Node, e.g. `['backend=vulkan']`. */
  dawnFlags?: string[];
  /** Use this device instead of finding one (the caller keeps ownership: `destroy()` will not destroy it). */
  device?: GPUDevice;
  /** Request `shader-f16` when the adapter offers it (default true). */
  f16?: boolean;
  /**
   * `createBackend('auto')` only: accept a software adapter (Mesa llvmpipe, SwiftShader, ...).
   * Default false: those rasterize on the CPU and train our models about 3-4x slower than the CPU
   * backend (measured: `npm run bench -- train --backend all`), so 'auto' picks the CPU backend.
   */
  allowSoftwareAdapter?: boolean;
}

export { isSoftwareAdapter };

/** Backend kinds accepted by `createBackend` and `UNIHETERO_BACKEND`. */
export type BackendKind = 'auto' | 'webgpu' | 'cpu';

/** The one-line remedy printed when no adapter can be found. */
export const NO_ADAPTER_MESSAGE =
  'webgpu: no WebGPU adapter found; on Debian/Ubuntu install: apt-get install --no-install-recommends libegl-dev libegl1 libegl-mesa0 libgl1-mesa-dri and run with EGL_PLATFORM=surfaceless, or install your GPU\'s Vulkan driver';

interface GpuLike {
  requestAdapter(options?: GPURequestAdapterOptions & { featureLevel?: string }): Promise<GPUAdapter | null>;
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string' && typeof (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu === 'undefined';
}

/** The error when Node has no `webgpu` package (Dawn's bindings, an optional peer dependency). */
export const NO_DAWN_MESSAGE =
  "webgpu: WebGPU in Node needs Dawn's bindings, the optional peer dependency 'webgpu', which is not installed: npm install webgpu@^0.6.2 (browsers use navigator.gpu and need nothing; createBackend('cpu') needs nothing either)";

interface DawnModule {
  create: (flags: string[]) => GpuLike;
  globals: Record<string, unknown>;
}

/** Import Dawn lazily; a missing package becomes `NO_DAWN_MESSAGE`. */
async function loadDawn(): Promise<DawnModule> {
  // A variable specifier keeps bundlers from pulling Dawn into browser builds.
  const specifier = 'webgpu';
  try {
    return (await import(/* @vite-ignore */ specifier)) as DawnModule;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    const missing = (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') && String(err.message).includes(`'${specifier}'`);
    if (missing) throw new Error(NO_DAWN_MESSAGE, { cause: e });
    throw e;
  }
}

/** A Dawn instance that produced an adapter, kept referenced (and reused) for the process. */
interface DawnChoice {
  gpu: GpuLike;
  featureLevel: 'core' | 'compatibility';
  flags: string[];
}
const dawnChoices = new Map<string, Promise<DawnChoice | null>>();

/** Probe Dawn once per option set: the native backend first, then OpenGL ES in compatibility mode. */
async function probeDawn(options: InitWebGPUOptions, request: GPURequestAdapterOptions): Promise<DawnChoice | null> {
  const dawn = await loadDawn();
  Object.assign(globalThis, dawn.globals);
  // 1. The platform's native backend (Vulkan / Metal / D3D12), core feature level.
  const nativeFlags = options.dawnFlags ?? [];
  const native = dawn.create(nativeFlags);
  if (await native.requestAdapter(request).catch(() => null)) return { gpu: native, featureLevel: 'core', flags: nativeFlags };
  // 2. OpenGL ES through EGL in compatibility mode (Mesa llvmpipe on headless Linux).
  if (!process.env.EGL_PLATFORM) process.env.EGL_PLATFORM = 'surfaceless';
  const glFlags = ['backend=opengles'];
  const gl = dawn.create(glFlags);
  if (await gl.requestAdapter({ ...request, featureLevel: 'compatibility' }).catch(() => null)) return { gpu: gl, featureLevel: 'compatibility', flags: glFlags };
  return null;
}

async function nodeAdapter(options: InitWebGPUOptions): Promise<{ adapter: GPUAdapter; featureLevel: string; backendFlags: string[] } | null> {
  const request: GPURequestAdapterOptions = {};
  if (options.powerPreference) request.powerPreference = options.powerPreference;
  if (options.forceFallback) request.forceFallbackAdapter = true;
  const key = JSON.stringify([request, options.dawnFlags ?? []]);
  let choice = dawnChoices.get(key);
  if (!choice) dawnChoices.set(key, (choice = probeDawn(options, request)));
  const c = await choice;
  if (!c) {
    dawnChoices.delete(key); // the environment may be fixed later in this process
    return null;
  }
  const adapter = await c.gpu.requestAdapter(c.featureLevel === 'compatibility' ? { ...request, featureLevel: 'compatibility' } : request);
  return adapter ? { adapter, featureLevel: c.featureLevel, backendFlags: c.flags } : null;
}

/** Find an adapter, request a device with the adapter's own limits, and wrap it in a `WebGPUBackend`. */
export async function initWebGPU(options: InitWebGPUOptions = {}): Promise<WebGPUBackend> {
  if (options.device) {
    const info: BackendInfo = { kind: 'webgpu', description: 'caller-provided GPUDevice', details: { limits: limitsOf(options.device.limits) } };
    return new WebGPUBackend(options.device, info, { ...options, ownsDevice: options.ownsDevice ?? false });
  }
  let adapter: GPUAdapter | null = null;
  let featureLevel = 'core';
  let backendFlags: string[] = [];
  if (isNode()) {
    const found = await nodeAdapter(options);
    if (found) ({ adapter, featureLevel, backendFlags } = found);
  } else {
    const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
    if (!gpu) throw new Error('webgpu: this browser does not expose navigator.gpu (WebGPU is unavailable or disabled)');
    const request: GPURequestAdapterOptions = {};
    if (options.powerPreference) request.powerPreference = options.powerPreference;
    if (options.forceFallback) request.forceFallbackAdapter = true;
    adapter = await gpu.requestAdapter(request);
    if (!adapter) {
      adapter = await gpu.requestAdapter({ ...request, featureLevel: 'compatibility' });
      featureLevel = 'compatibility';
    }
  }
  if (!adapter) throw new Error(NO_ADAPTER_MESSAGE);

  const requiredLimits: Record<string, number> = {};
  const limits = adapter.limits as unknown as Record<string, unknown>;
  for (const key in limits) {
    const v = limits[key];
    if (typeof v === 'number') requiredLimits[key] = v;
  }
  const requiredFeatures: GPUFeatureName[] = [];
  if ((options.f16 ?? true) && adapter.features.has('shader-f16')) requiredFeatures.push('shader-f16');
  const device = await adapter.requestDevice({ label: 'unihetero', requiredLimits, requiredFeatures });
  const a = adapter.info;
  const description = [a.vendor, a.architecture, a.device, a.description].filter((s) => s && s.length > 0).join(' ') || 'unknown adapter';
  const info: BackendInfo = {
    kind: 'webgpu',
    description,
    details: {
      vendor: a.vendor,
      architecture: a.architecture,
      device: a.device,
      adapterDescription: a.description,
      isFallbackAdapter: (a as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true,
      featureLevel,
      dawnFlags: backendFlags,
      features: [...device.features].sort(),
      shaderF16: device.features.has('shader-f16'),
      limits: limitsOf(device.limits),
    },
  };
  return new WebGPUBackend(device, info, options);
}

function limitsOf(l: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  const rec = l as unknown as Record<string, unknown>;
  for (const k in rec) if (typeof rec[k] === 'number') out[k] = rec[k] as number;
  return out;
}

/**
 * A backend by kind: 'webgpu' (throws with the remedy when there is no adapter), 'cpu', or 'auto'
 * (a hardware WebGPU adapter when there is one; else the CPU backend, saying why in one line: no
 * adapter, or only a software one such as llvmpipe, unless `allowSoftwareAdapter`). Defaults to
 * `UNIHETERO_BACKEND`.
 */
export async function createBackend(kind?: string, options: InitWebGPUOptions = {}): Promise<Backend> {
  const env = typeof process !== 'undefined' ? process.env?.UNIHETERO_BACKEND : undefined;
  const requested = kind ?? (env && env.length > 0 ? env : 'auto');
  if (requested !== 'auto' && requested !== 'webgpu' && requested !== 'cpu') {
    throw new Error(`createBackend: unknown backend '${requested}'${kind === undefined ? ' (from UNIHETERO_BACKEND)' : ''}; expected 'auto', 'webgpu' or 'cpu'`);
  }
  if (requested === 'cpu') return new CpuBackend();
  if (requested === 'webgpu') return initWebGPU(options);
  let gpu: WebGPUBackend;
  try {
    gpu = await initWebGPU(options);
  } catch (e) {
    console.warn(`unihetero: WebGPU unavailable, using the CPU backend (${(e as Error).message})`);
    return new CpuBackend();
  }
  if (!options.allowSoftwareAdapter && isSoftwareAdapter(gpu.info)) {
    console.warn(`unihetero: the only WebGPU adapter is a software rasterizer (${gpu.info.description}); using the CPU backend, which is faster (ask for 'webgpu' to use the adapter anyway)`);
    gpu.destroy();
    return new CpuBackend();
  }
  return gpu;
}
