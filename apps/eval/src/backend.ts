/**
 * Choosing the backend: `createBackend` from `@unihetero/webgpu` (which honours UNIHETERO_BACKEND
 * when no `--backend` is given). For `auto`, a software WebGPU adapter (Mesa llvmpipe, SwiftShader,
 * lavapipe) is passed over for the CPU backend: exact, but slower than the CPU backend on the same
 * cores; `--backend webgpu` still forces it.
 */
import { CpuBackend, type Backend } from '@unihetero/tensor';
import { createBackend } from '@unihetero/webgpu';

const SOFTWARE_ADAPTER = /llvmpipe|swiftshader|lavapipe|softpipe/i;

/** Whether a backend runs on a software (CPU-emulated) GPU adapter. */
export function isSoftwareAdapter(backend: Backend): boolean {
  return backend.info.kind === 'webgpu' && SOFTWARE_ADAPTER.test(backend.info.description ?? '');
}

/** The backend for `kind` ('auto' | 'cpu' | 'webgpu'; undefined = UNIHETERO_BACKEND or 'auto'). */
export async function selectBackend(kind: string | undefined, warn: (line: string) => void): Promise<Backend> {
  const env = process.env.UNIHETERO_BACKEND;
  const requested = kind ?? (env && env.length > 0 ? env : 'auto');
  const backend = await createBackend(requested);
  if (requested === 'auto' && isSoftwareAdapter(backend)) {
    warn(`backend auto: the only WebGPU adapter is a software rasterizer (${backend.info.description}); using the CPU backend (pass --backend webgpu to use it anyway)`);
    backend.destroy();
    return new CpuBackend();
  }
  return backend;
}
