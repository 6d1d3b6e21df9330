/**
 * jax-js peers (`@jax-js/jax` 0.1.25) on its `wasm` and `webgpu` devices, loaded lazily.
 * jax-js's wasm device is multi-threaded only where `SharedArrayBuffer` and Web Workers exist;
 * Node has no global `Worker`, so it runs single-threaded here.
 */

/** The jax-js module namespace. */
export type Jax = typeof import('@jax-js/jax');

/** A jax-js device name this benchmark uses. */
export type JaxDevice = 'wasm' | 'webgpu';

let jaxPromise: Promise<Jax> | null = null;
const inited = new Map<JaxDevice, Promise<void>>();

/** Load jax-js and initialise `device` (throws with the reason when it is unavailable). */
export async function useJax(device: JaxDevice): Promise<{ jax: Jax; variant: string }> {
  jaxPromise ??= import('@jax-js/jax');
  const jax = await jaxPromise;
  let p = inited.get(device);
  if (!p) {
    p = (async () => {
      const available = await jax.init(device);
      if (!available.includes(device)) {
        throw new Error(
          device === 'webgpu'
            ? 'jax-js: webgpu device unavailable (navigator.gpu gave no adapter)'
            : 'jax-js: wasm device unavailable (no WebAssembly)',
        );
      }
    })();
    inited.set(device, p);
    p.catch(() => inited.delete(device));
  }
  await p;
  jax.defaultDevice(device);
  const threads = typeof SharedArrayBuffer !== 'undefined' && typeof (globalThis as { Worker?: unknown }).Worker !== 'undefined';
  const variant = device === 'wasm' ? `wasm (${threads ? 'multi-threaded' : '1 thread: Node has no Web Workers'})` : 'webgpu (own device, same adapter)';
  return { jax, variant };
}

/** Destroy jax-js's WebGPU device if it was started (so Dawn lets the process exit). */
export async function disposeJax(): Promise<void> {
  if (!jaxPromise || !inited.has('webgpu')) return;
  const jax = await jaxPromise.catch(() => null);
  try {
    jax?.getWebGPUDevice().destroy();
  } catch {
    // not started
  }
}
