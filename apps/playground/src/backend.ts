/**
 * Choosing the backend in a browser (page or worker): WebGPU through `navigator.gpu` at a chosen
 * feature level, or the CPU backend (JavaScript + WebAssembly SIMD matmul), always with the reason.
 * WebGPU errors are counted (uncaptured-error listener) so tests and the header can show them.
 */
import { CpuBackend, type Backend } from '@unihetero/tensor';
import { initWebGPU, isSoftwareAdapter } from '@unihetero/webgpu';

/** What the user (or `?backend=`) asks for. */
export type BackendChoice = 'auto' | 'webgpu' | 'webgpu-compat' | 'cpu';

/** The choices, in the order the selector lists them. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'webgpu', 'webgpu-compat', 'cpu'];

/** A backend and what to tell the user about it. */
export interface ChosenBackend {
  backend: Backend;
  kind: 'webgpu' | 'cpu';
  /** e.g. "WebGPU · llvmpipe (compatibility)" or "CPU (WebAssembly SIMD)". */
  label: string;
  /** Why this backend (always set for the CPU: which WebGPU problem, or that it was asked for). */
  reason: string;
  /** WebGPU errors seen on the device so far (uncaptured). */
  gpuErrors: string[];
}

/** Parse a choice (from a URL parameter or a select); unknown values name the accepted ones. */
export function parseChoice(value: string | null | undefined): BackendChoice {
  const v = value && value.length > 0 ? value : 'auto';
  if (!(BACKEND_CHOICES as readonly string[]).includes(v)) throw new Error(`backend: unknown choice '${v}'; expected ${BACKEND_CHOICES.join(', ')}`);
  return v as BackendChoice;
}

type AdapterInfoLike = GPUAdapterInfo & { isFallbackAdapter?: boolean };

/** A short adapter name: its description, else vendor/architecture. */
export function adapterName(info: AdapterInfoLike): string {
  const d = info.description?.trim();
  if (d) return d.replace(/^ANGLE \((.*)\)$/, '$1');
  return [info.vendor, info.architecture].filter((s) => s && s.length > 0).join(' ') || 'unknown adapter';
}

async function adapterAt(featureLevel: 'core' | 'compatibility'): Promise<GPUAdapter | string> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) return 'this browser exposes no WebGPU (navigator.gpu is missing)';
  const adapter = await gpu.requestAdapter(featureLevel === 'core' ? {} : ({ featureLevel } as GPURequestAdapterOptions));
  return adapter ?? `no WebGPU adapter for a ${featureLevel} request`;
}

/** A device with the adapter's own limits (the defaults are lower: 128 invocations per workgroup in compatibility mode). */
async function deviceOf(adapter: GPUAdapter): Promise<GPUDevice> {
  const requiredLimits: Record<string, number> = {};
  const limits = adapter.limits as unknown as Record<string, unknown>;
  for (const key in limits) if (typeof limits[key] === 'number') requiredLimits[key] = limits[key] as number;
  return adapter.requestDevice({ label: 'unihetero playground', requiredLimits });
}

function cpu(reason: string): ChosenBackend {
  return { backend: new CpuBackend(), kind: 'cpu', label: 'CPU (JavaScript + WebAssembly SIMD)', reason, gpuErrors: [] };
}

/**
 * The backend for a choice. 'auto' takes a hardware WebGPU adapter and otherwise the CPU backend
 * (a software adapter such as SwiftShader or llvmpipe is slower than it on the same cores);
 * 'webgpu' takes any core adapter, then a compatibility one; 'webgpu-compat' asks for a
 * compatibility adapter (llvmpipe through ANGLE's OpenGL ES in headless Chromium); 'cpu' is the CPU.
 */
export async function chooseBackend(choice: BackendChoice): Promise<ChosenBackend> {
  if (choice === 'cpu') return cpu('asked for the CPU backend');
  let featureLevel: 'core' | 'compatibility' = choice === 'webgpu-compat' ? 'compatibility' : 'core';
  let adapter = await adapterAt(featureLevel);
  if (typeof adapter === 'string' && choice === 'webgpu') {
    const compat = await adapterAt('compatibility');
    if (typeof compat !== 'string') (adapter = compat), (featureLevel = 'compatibility');
  }
  if (typeof adapter === 'string') {
    if (choice === 'auto') return cpu(`WebGPU unavailable: ${adapter}`);
    throw new Error(`backend '${choice}': ${adapter}`);
  }
  const info = adapter.info as AdapterInfoLike;
  const name = adapterName(info);
  const software = isSoftwareAdapter({ description: `${name} ${info.vendor} ${info.architecture}`, details: { isFallbackAdapter: info.isFallbackAdapter === true } });
  if (choice === 'auto' && software) return cpu(`the only WebGPU adapter is a software rasterizer (${name}); the CPU backend is faster on the same cores`);
  const device = await deviceOf(adapter);
  const gpuErrors: string[] = [];
  device.addEventListener('uncapturederror', (e) => gpuErrors.push((e as GPUUncapturedErrorEvent).error.message));
  const backend = await initWebGPU({ device, ownsDevice: true });
  return { backend, kind: 'webgpu', label: `WebGPU · ${name}${featureLevel === 'compatibility' ? ' (compatibility)' : ''}`, reason: choice === 'auto' ? 'a hardware WebGPU adapter' : `asked for ${choice}`, gpuErrors };
}
