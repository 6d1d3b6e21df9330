/**
 * The slice of the JavaScript WebAssembly API the CPU kernels use, typed locally (the package
 * compiles without the DOM lib, whose `WebAssembly` declarations would otherwise provide it) and
 * looked up on `globalThis`, so engines without WebAssembly load this package fine.
 */

/** A `WebAssembly.Memory`. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}

/** A compiled `WebAssembly.Module` (opaque). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

/** A `WebAssembly.Instance`. */
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

/** The `WebAssembly` namespace object (the synchronous subset). */
export interface WasmNamespace {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, unknown>) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

/** `globalThis.WebAssembly` when the engine has one with the synchronous API, else `null`. */
export function wasmApi(): WasmNamespace | null {
  const wa = (globalThis as { WebAssembly?: Partial<WasmNamespace> }).WebAssembly;
  if (typeof wa !== 'object' || wa === null) return null;
  if (typeof wa.validate !== 'function' || typeof wa.Module !== 'function' || typeof wa.Instance !== 'function') return null;
  return wa as WasmNamespace;
}
