/**
 * Runs inside the page (bundled for the browser by `test/webgpu-parity.test.ts`): every op case of
 * the tensor package's gradcheck suite (`@unihetero/tensor/testing`), forward and backward,
 * on WebGPU (`navigator.gpu`, one adapter per call) against the CPU reference backend in the same
 * page. Each case runs inside validation / out-of-memory / internal error scopes, and uncaptured
 * device errors are collected too, so a WebGPU error can never pass as silent zeros.
 */
import { CpuBackend } from '@unihetero/tensor';
import { initWebGPU } from '@unihetero/webgpu';
import { allCases, runCase } from '@unihetero/tensor/testing';

/** Float32 tolerance, as in the Node parity suite: 1e-4 absolute + 1e-3 relative. */
const ATOL = 1e-4;
const RTOL = 1e-3;

/** What one case reports back to the test. */
export interface CaseResult {
  name: string;
  /** First mismatch or exception, or null. */
  error: string | null;
  /** Messages of the errors the scopes caught during the case. */
  scopeErrors: string[];
  /** Wall time of the case (both backends), ms. */
  ms: number;
}

/** What `runParity` reports. */
export interface ParityReport {
  adapter: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter: boolean; featureLevel: string };
  results: CaseResult[];
  uncaptured: string[];
}

function mismatch(what: string, got: Float32Array | null, want: Float32Array | null): string | null {
  if (want === null || got === null) return want === got ? null : `${what}: webgpu ${got === null ? 'no gradient' : 'a gradient'} vs cpu ${want === null ? 'no gradient' : 'a gradient'}`;
  if (got.length !== want.length) return `${what}: length ${got.length} vs ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Math.abs(g - w) <= ATOL + RTOL * Math.abs(w) || (Number.isNaN(g) && Number.isNaN(w)) || g === w) continue;
    return `${what}[${i}]: webgpu ${g} vs cpu ${w}`;
  }
  return null;
}

/** Request an adapter at `featureLevel` and a device with the adapter's own limits (the defaults are lower). */
async function acquire(featureLevel: 'core' | 'compatibility'): Promise<{ adapter: GPUAdapter; device: GPUDevice }> {
  const gpu = navigator.gpu;
  if (!gpu) throw new Error('runParity: navigator.gpu is missing (WebGPU disabled in this browser)');
  const adapter = await gpu.requestAdapter(featureLevel === 'core' ? {} : ({ featureLevel } as GPURequestAdapterOptions));
  if (!adapter) throw new Error(`runParity: requestAdapter({ featureLevel: '${featureLevel}' }) returned null`);
  const requiredLimits: Record<string, number> = {};
  const limits = adapter.limits as unknown as Record<string, unknown>;
  for (const key in limits) if (typeof limits[key] === 'number') requiredLimits[key] = limits[key] as number;
  const device = await adapter.requestDevice({ label: 'unihetero parity', requiredLimits });
  return { adapter, device };
}

const SCOPES: GPUErrorFilter[] = ['validation', 'out-of-memory', 'internal'];

/** Run every op case on the adapter of `featureLevel` against the CPU backend. */
export async function runParity(featureLevel: 'core' | 'compatibility', only?: string[]): Promise<ParityReport> {
  const { adapter, device } = await acquire(featureLevel);
  const uncaptured: string[] = [];
  device.addEventListener('uncapturederror', (e) => uncaptured.push((e as GPUUncapturedErrorEvent).error.message));
  const gpu = await initWebGPU({ device });
  const cpu = new CpuBackend();
  const results: CaseResult[] = [];
  try {
    for (const [name, fn, makeInputs] of allCases) {
      if (only && !only.includes(name)) continue;
      const t0 = performance.now();
      for (const f of SCOPES) device.pushErrorScope(f);
      let error: string | null = null;
      try {
        const inputs = makeInputs();
        const want = await runCase(cpu, fn, inputs);
        const got = await runCase(gpu, fn, inputs);
        error = mismatch(`${name} forward`, got.out, want.out);
        want.grads.forEach((g, i) => (error ??= mismatch(`${name} grad ${i}`, got.grads[i] ?? null, g)));
      } catch (e) {
        error = `${name}: threw ${(e as Error).message}`;
      }
      const scopeErrors: string[] = [];
      for (let i = 0; i < SCOPES.length; i++) {
        const err = await device.popErrorScope();
        if (err) scopeErrors.push(err.message);
      }
      results.push({ name, error, scopeErrors, ms: performance.now() - t0 });
    }
  } finally {
    gpu.destroy();
    cpu.destroy();
    device.destroy();
  }
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  return {
    adapter: { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description, isFallbackAdapter: info.isFallbackAdapter === true, featureLevel },
    results,
    uncaptured,
  };
}

/**
 * The harness's own check: a dispatch whose workgroup exceeds the device's limit must be caught by
 * the validation scope (without a scope it would only read back as zeros). Returns the message.
 */
export async function provokeValidationError(featureLevel: 'core' | 'compatibility'): Promise<string | null> {
  const { device } = await acquire(featureLevel);
  try {
    const tooWide = device.limits.maxComputeWorkgroupSizeX * 2;
    device.pushErrorScope('validation');
    device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: `@compute @workgroup_size(${tooWide}) fn main() {}` }), entryPoint: 'main' } });
    const err = await device.popErrorScope();
    return err ? err.message : null;
  } finally {
    device.destroy();
  }
}

(globalThis as { unihetero?: unknown }).unihetero = { runParity, provokeValidationError };
