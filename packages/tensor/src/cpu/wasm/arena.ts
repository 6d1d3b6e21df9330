/**
 * The CPU backend's WebAssembly memory: float32 and int32 storages live in one shared
 * `WebAssembly.Memory`, so the generated SIMD kernels (`expr-module.ts`) read and write them in
 * place. A simple allocator hands out 16-byte aligned blocks: exact-size free lists (training loops
 * allocate the same sizes every step) over a bump pointer; the memory grows by doubling (which
 * detaches old `ArrayBuffer`s: storages re-derive their typed-array views, see `CpuStorage.data`).
 * Blocks of storages that are garbage collected without being released come back through a
 * `FinalizationRegistry`. The first bytes hold the argument block the kernels read their operand
 * pointers and scalars from.
 */
import { type WasmMemory, wasmApi } from './wasm-api.js';
import { wasmSimdSupported } from './gemm.js';

const PAGE = 65536;
/** Bytes reserved at the start of the memory for kernel arguments (pointers, then scalars). */
export const ARG_BLOCK_BYTES = 1024;
/** Largest single storage placed in the arena (bigger ones stay plain typed arrays). */
export const ARENA_MAX_BLOCK = 256 * 1024 * 1024;
const MAX_PAGES = 32768; // 2 GiB

interface MemoryCtor {
  new (desc: { initial: number; maximum?: number }): WasmMemory;
}

/** A grow-only linear memory with a free-list allocator. */
export class Arena {
  /** The shared memory (imported by every generated kernel module). */
  readonly memory: WasmMemory;
  private top = ARG_BLOCK_BYTES;
  private readonly free = new Map<number, number[]>();
  private readonly registry: FinalizationRegistry<{ ptr: number; bytes: number }> | null;
  /** Bytes handed out and not returned. */
  bytesInUse = 0;

  constructor(initialPages = 256) {
    const wa = (globalThis as { WebAssembly?: { Memory?: MemoryCtor } }).WebAssembly;
    if (!wa?.Memory) throw new Error('cpu arena: WebAssembly.Memory is not available');
    this.memory = new wa.Memory({ initial: initialPages, maximum: MAX_PAGES });
    const FR = (globalThis as { FinalizationRegistry?: typeof FinalizationRegistry }).FinalizationRegistry;
    this.registry = FR ? new FR<{ ptr: number; bytes: number }>((held) => this.release(held.ptr, held.bytes)) : null;
  }

  /** The current `ArrayBuffer` (replaced when the memory grows). */
  get buffer(): ArrayBuffer {
    return this.memory.buffer;
  }

  /** Block size for a request: 16-byte multiples (at least 16). */
  static blockBytes(bytes: number): number {
    return Math.max(16, Math.ceil(bytes / 16) * 16);
  }

  /** A block of `bytes` (a `blockBytes` size), or -1 when the memory cannot grow. */
  alloc(bytes: number): number {
    const list = this.free.get(bytes);
    if (list && list.length > 0) {
      this.bytesInUse += bytes;
      return list.pop()!;
    }
    const end = this.top + bytes;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const needPages = Math.ceil(end / PAGE);
      const cur = have / PAGE;
      const want = Math.min(MAX_PAGES, Math.max(needPages, cur * 2));
      if (needPages > MAX_PAGES) return -1;
      try {
        this.memory.grow(want - cur);
      } catch {
        return -1;
      }
    }
    const ptr = this.top;
    this.top = end;
    this.bytesInUse += bytes;
    return ptr;
  }

  /** Return a block. */
  release(ptr: number, bytes: number): void {
    let list = this.free.get(bytes);
    if (!list) this.free.set(bytes, (list = []));
    list.push(ptr);
    this.bytesInUse -= bytes;
  }

  /** Free `ptr` when `owner` is garbage collected (unless `forget(owner)` ran first). */
  watch(owner: object, ptr: number, bytes: number): void {
    this.registry?.register(owner, { ptr, bytes }, owner);
  }

  /** Stop watching `owner` (it was released explicitly). */
  forget(owner: object): void {
    this.registry?.unregister(owner);
  }
}

let shared: Arena | null | undefined;
let enabled = true;

/** The process-wide arena, or null where WebAssembly SIMD is unavailable or the arena is switched off. */
export function sharedArena(): Arena | null {
  if (!enabled) return null;
  if (shared === undefined) {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    const off = env?.UNIHETERO_CPU_KERNELS === 'js';
    shared = !off && wasmApi() !== null && wasmSimdSupported() ? new Arena() : null;
  }
  return shared;
}

/** Switch placing new storages in the arena on or off (existing storages keep their place). */
export function setArenaEnabled(on: boolean): void {
  enabled = on;
}
