/**
 * The WebGPU backend: GPUBuffer storages from a size-bucketed pool, dispatches recorded into one
 * shared command encoder / compute pass and submitted in batches, per-dispatch uniform ranges,
 * a pipeline cache, and errors that name the kernel that failed.
 */
import type {
  Backend,
  BackendInfo,
  BackendMemory,
  BinaryOp,
  DType,
  FusedKernelName,
  ReduceOp,
  Storage,
  TypedArray,
  UnaryOp,
  UnaryParams,
  View,
} from '@unihetero/tensor';
import {
  EW,
  MAX_RANK,
  UNARY_INT_OUT,
  binaryExpr,
  binaryPre,
  coalesce,
  ewKey,
  ewSource,
  isFlat,
  unaryFloatExpr,
  unaryIntExpr,
  wtype,
  type EwSpec,
  type FlatView,
  type WType,
} from './kernels/elementwise.js';
import {
  ROWS,
  SHORT_ROW,
  layerNormApplySource,
  layerNormStatsSource,
  reduceSource,
  rmsNormSource,
  rowWorkgroup,
  softmaxSource,
} from './kernels/rows.js';
import { ERR_CODES, IX, gatherSource, scatterAtomicSource, scatterColumnSource } from './kernels/indexing.js';
import {
  ATT,
  ATTENTION_MAX_HEAD,
  CE,
  COLS,
  attentionSource,
  crossEntropyBackwardSource,
  crossEntropySource,
  normBackwardDxSource,
  normBackwardParamsSource,
  type AttentionSpec,
} from './kernels/fused.js';
import { DEFAULT_MATMUL, MM, matmulKey, matmulSource, type MatmulConfig, type MatmulSpec } from './kernels/matmul.js';

/** How `scatterAdd` accumulates float sums. */
export type ScatterAddMode = 'auto' | 'deterministic' | 'atomic';

/** Tuning and behaviour options of a `WebGPUBackend`. */
export interface WebGPUBackendOptions {
  /** Submit after this many recorded commands (default 64). */
  maxCommandsPerSubmit?: number;
  /**
   * Float `scatterAdd` strategy: 'deterministic' walks each (outer, inner) column in order
   * (reproducible sums), 'atomic' adds with compare-exchange atomics (more parallel, order-dependent
   * rounding), 'auto' (default) is deterministic unless there are fewer than 64 columns and more
   * than 64 updates per column. int32 always uses atomics (exact).
   */
  scatterAdd?: ScatterAddMode;
  /** Matmul tile configuration (defaults to 8x8 invocations of 8x8 blocks, K step 32). */
  matmul?: Partial<MatmulConfig>;
  /** Destroy the device in `destroy()` (default true; false for a device the caller owns). */
  ownsDevice?: boolean;
  /**
   * Switch individual fused kernels off (`{ attention: false }`): the tensor front end then
   * composes those ops from the other kernels. All are on by default where the device can bind
   * them (see `FUSED_STORAGE_BUFFERS`).
   */
  fused?: Partial<Record<FusedKernelName, boolean>>;
}

/**
 * Storage buffers each fused kernel binds at most. A fused kernel needing more than the device's
 * `maxStorageBuffersPerShaderStage` (4 on some compatibility-mode adapters) is not offered, and
 * the front end composes the op instead.
 */
export const FUSED_STORAGE_BUFFERS: Readonly<Record<FusedKernelName, number>> = {
  layerNorm: 4,
  rmsNorm: 4,
  layerNormBackward: 6,
  rmsNormBackward: 5,
  crossEntropy: 4,
  crossEntropyBackward: 5,
  attention: 6,
};

/** A storage of the WebGPU backend: a (pooled) GPUBuffer. */
export class WebGPUStorage implements Storage {
  /** The GPUBuffer holding the data; null once released. */
  buffer: GPUBuffer | null;
  /** Constructed by `WebGPUBackend.allocate`. */
  constructor(
    readonly backend: WebGPUBackend,
    readonly dtype: DType,
    readonly size: number,
    buffer: GPUBuffer,
    /** Byte size of the underlying (bucketed) buffer. */
    readonly bytes: number,
  ) {
    this.buffer = buffer;
  }
}

/** A compute kernel: cache key, name for labels and errors, WGSL source. */
interface Kernel {
  key: string;
  name: string;
  source: () => string;
}

const STORAGE_USAGE = 0x80 /* STORAGE */ | 0x4 /* COPY_SRC */ | 0x8; /* COPY_DST */
const UNIFORM_USAGE = 0x40 /* UNIFORM */ | 0x8; /* COPY_DST */
const MAP_READ_USAGE = 0x1 /* MAP_READ */ | 0x8; /* COPY_DST */
const MAP_WRITE_SRC_USAGE = 0x4; /* COPY_SRC (mappedAtCreation) */
const MAP_MODE_READ = 0x1;

/** Bucketed byte size for a request: 256 minimum, then steps of 2^k * {1, 1.25, 1.5, 1.75}. */
export function bucketBytes(bytes: number): number {
  if (bytes <= 256) return 256;
  const p = 2 ** Math.floor(Math.log2(bytes));
  for (const f of [1, 1.25, 1.5, 1.75, 2]) {
    const q = Math.ceil((p * f) / 256) * 256;
    if (q >= bytes) return q;
  }
  return Math.ceil((2 * p) / 256) * 256;
}

function typedFor(dtype: DType, buf: ArrayBuffer, length: number): TypedArray {
  return dtype === 'int32' ? new Int32Array(buf, 0, length) : new Float32Array(buf, 0, length);
}

function shapeStr(s: readonly number[]): string {
  return `[${s.join(',')}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

const f32Bits = (v: number): number => new Uint32Array(Float32Array.of(v).buffer)[0]!;
const i32Bits = (v: number): number => {
  const c = Number.isNaN(v) ? 0 : Math.max(-2147483648, Math.min(2147483647, Math.trunc(v)));
  return c >>> 0;
};

/** The WebGPU implementation of the tensor `Backend` contract (create it with `initWebGPU`). */
export class WebGPUBackend implements Backend {
  readonly name = 'webgpu';
  readonly info: BackendInfo;
  /** The device all work runs on. */
  readonly device: GPUDevice;

  private readonly maxCommands: number;
  private readonly scatterMode: ScatterAddMode;
  private readonly mmConfig: MatmulConfig;
  private readonly ownsDevice: boolean;
  private readonly wg: number;
  private readonly maxGroups: number;
  private readonly uniformAlign: number;
  private readonly uniformCapacity = 64 * 1024;

  private readonly pool = new Map<number, GPUBuffer[]>();
  private pooledBytes = 0;
  private readonly live = new Set<WebGPUStorage>();
  private liveBytes = 0;
  private pendingRelease: { buffer: GPUBuffer; bytes: number }[] = [];
  private pendingDestroy: GPUBuffer[] = [];

  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private commands = 0;
  private batchKernels = new Set<string>();
  private lastKernel = '(none)';
  private readonly uniformBuffer: GPUBuffer;
  private readonly uniformData: ArrayBuffer;
  private readonly uniformWords: Uint32Array;
  private uniformUsed = 0;
  private readonly errorBuffer: GPUBuffer;

  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private pendingChecks = new Set<Promise<void>>();
  private deferredError: Error | null = null;
  private lostInfo: { reason: string; message: string } | null = null;
  private destroyed = false;
  /** Number of queue submissions so far (for tests and diagnostics). */
  submissions = 0;
  /** Number of storage GPUBuffers created so far; the rest of the allocations were served by the pool. */
  buffersCreated = 0;

  /** Wrap a device; prefer `initWebGPU()`, which finds an adapter and requests proper limits. */
  constructor(device: GPUDevice, info: BackendInfo, options: WebGPUBackendOptions = {}) {
    this.device = device;
    this.info = info;
    this.maxCommands = Math.max(1, options.maxCommandsPerSubmit ?? 64);
    this.scatterMode = options.scatterAdd ?? 'auto';
    this.mmConfig = { ...DEFAULT_MATMUL, ...options.matmul };
    this.ownsDevice = options.ownsDevice ?? true;
    const lim = device.limits;
    this.wg = Math.min(256, lim.maxComputeInvocationsPerWorkgroup, lim.maxComputeWorkgroupSizeX);
    this.maxGroups = lim.maxComputeWorkgroupsPerDimension;
    this.uniformAlign = Math.max(16, lim.minUniformBufferOffsetAlignment);
    const maxStorage = lim.maxStorageBuffersPerShaderStage;
    for (const [name, need] of Object.entries(FUSED_STORAGE_BUFFERS) as [FusedKernelName, number][]) {
      if (options.fused?.[name] === false || need > maxStorage) Object.defineProperty(this, name, { value: undefined, configurable: true });
    }
    this.uniformBuffer = device.createBuffer({ label: 'unihetero uniforms', size: this.uniformCapacity, usage: UNIFORM_USAGE });
    this.uniformData = new ArrayBuffer(this.uniformCapacity);
    this.uniformWords = new Uint32Array(this.uniformData);
    this.errorBuffer = device.createBuffer({ label: 'unihetero kernel errors', size: 256, usage: STORAGE_USAGE });
    device.lost.then((info) => {
      this.lostInfo = { reason: String(info.reason), message: info.message };
    });
    device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
      // Follow-up errors ("... is invalid due to a previous error") are skipped: the root cause
      // (a kernel that failed to compile) arrives through its error scope and names the kernel.
      if (/due to a previous error/.test(ev.error.message)) return;
      this.deferredError ??= new Error(`webgpu: ${ev.error.constructor?.name ?? 'error'} after kernel ${this.lastKernel}: ${ev.error.message}`);
    };
  }

  /** float32 and int32 (no float64 on WebGPU). */
  supportsDType(dtype: DType): boolean {
    return dtype === 'float32' || dtype === 'int32';
  }

  // ------------------------------------------------------------------ errors and lifetime

  /** Throw when the backend is unusable or an earlier asynchronous GPU error is pending. */
  private check(): void {
    if (this.destroyed) throw new Error('webgpu: the backend was destroyed');
    if (this.lostInfo) throw new Error(`webgpu: device lost (${this.lostInfo.reason}): ${this.lostInfo.message}`);
    if (this.deferredError) {
      const e = this.deferredError;
      this.deferredError = null;
      throw e;
    }
  }

  private track(p: Promise<void>): void {
    const q = p.finally(() => this.pendingChecks.delete(q));
    this.pendingChecks.add(q);
  }

  /** Wait for outstanding error-scope results, then throw any error they reported. */
  private async settle(): Promise<void> {
    while (this.pendingChecks.size > 0) await Promise.all([...this.pendingChecks]);
    this.check();
  }

  private own(s: Storage, op: string): WebGPUStorage {
    if (!(s instanceof WebGPUStorage) || s.backend !== this) throw new Error(`webgpu: ${op}: storage belongs to another backend (${s.backend?.name ?? 'unknown'})`);
    if (s.buffer === null) throw new Error(`webgpu: ${op}: storage was released (size ${s.size}, ${s.dtype})`);
    return s;
  }

  private buf(s: Storage, op: string): GPUBuffer {
    return this.own(s, op).buffer!;
  }

  /** Free every buffer and (when owned) the device. Safe to call twice. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pass = null;
    this.encoder = null;
    for (const s of this.live) {
      s.buffer?.destroy();
      s.buffer = null;
    }
    this.live.clear();
    this.liveBytes = 0;
    for (const list of this.pool.values()) for (const b of list) b.destroy();
    this.pool.clear();
    this.pooledBytes = 0;
    for (const { buffer } of this.pendingRelease) buffer.destroy();
    this.pendingRelease = [];
    for (const b of this.pendingDestroy) b.destroy();
    this.pendingDestroy = [];
    this.uniformBuffer.destroy();
    this.errorBuffer.destroy();
    this.pipelines.clear();
    if (this.ownsDevice) this.device.destroy();
  }

  // ------------------------------------------------------------------ memory

  /** A new storage of `size` elements (contents undefined). */
  allocate(size: number, dtype: DType): Storage {
    this.check();
    if (!this.supportsDType(dtype)) throw new Error(`webgpu: dtype ${dtype} is not supported (use the cpu backend)`);
    if (!Number.isInteger(size) || size < 0) throw new Error(`webgpu: allocate: size must be a non-negative integer, got ${size}`);
    const need = size * 4;
    const max = Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
    if (need > max) throw new Error(`webgpu: allocate: ${size} ${dtype} elements (${need} bytes) exceed the device's maxStorageBufferBindingSize (${max} bytes)`);
    const bytes = Math.min(bucketBytes(need), max);
    const s = new WebGPUStorage(this, dtype, size, this.acquire(bytes), bytes);
    this.live.add(s);
    this.liveBytes += bytes;
    return s;
  }

  private acquire(bytes: number): GPUBuffer {
    const list = this.pool.get(bytes);
    const reused = list?.pop();
    if (reused) {
      this.pooledBytes -= bytes;
      return reused;
    }
    this.buffersCreated++;
    return this.device.createBuffer({ label: `unihetero storage ${bytes}B`, size: bytes, usage: STORAGE_USAGE });
  }

  /** A new storage holding a copy of `data`. */
  upload(data: TypedArray, dtype: DType): Storage {
    const s = this.allocate(data.length, dtype);
    this.write(s, data);
    return s;
  }

  /** Release a storage; its buffer returns to the pool after the next submit. */
  release(storage: Storage): void {
    const s = this.own(storage, 'release');
    if (this.destroyed) return;
    const buffer = s.buffer!;
    s.buffer = null;
    this.live.delete(s);
    this.liveBytes -= s.bytes;
    if (this.encoder === null) this.give(buffer, s.bytes);
    else this.pendingRelease.push({ buffer, bytes: s.bytes });
  }

  private give(buffer: GPUBuffer, bytes: number): void {
    let list = this.pool.get(bytes);
    if (!list) this.pool.set(bytes, (list = []));
    list.push(buffer);
    this.pooledBytes += bytes;
  }

  /** Destroy the pooled (unused) buffers, returning their memory to the driver. */
  emptyCache(): void {
    this.check();
    for (const list of this.pool.values()) for (const b of list) b.destroy();
    this.pool.clear();
    this.pooledBytes = 0;
  }

  /** Overwrite a whole storage from host data of the same length (ordered after queued kernels). */
  write(storage: Storage, data: TypedArray): void {
    this.check();
    const s = this.own(storage, 'write');
    if (data.length !== s.size) throw new Error(`webgpu: write: data has ${data.length} elements, storage has ${s.size}`);
    if (data instanceof Float64Array) throw new Error('webgpu: write: Float64Array data is not supported (float64 is cpu-only)');
    const expected = s.dtype === 'int32' ? Int32Array : Float32Array;
    const src = data instanceof expected ? data : expected.from(data as ArrayLike<number>);
    if (src.length === 0) return;
    const bytes = src.length * 4;
    if (this.encoder === null) {
      this.device.queue.writeBuffer(s.buffer!, 0, src.buffer, src.byteOffset, bytes);
      return;
    }
    // Kernels are recorded but not yet submitted: writeBuffer would overtake them, so copy from a
    // staging buffer inside the encoder instead.
    const staging = this.device.createBuffer({ label: 'unihetero write staging', size: bytes, usage: MAP_WRITE_SRC_USAGE, mappedAtCreation: true });
    new Uint8Array(staging.getMappedRange()).set(new Uint8Array(src.buffer, src.byteOffset, bytes));
    staging.unmap();
    const enc = this.encoderForCopy();
    enc.copyBufferToBuffer(staging, 0, s.buffer!, 0, bytes);
    this.pendingDestroy.push(staging);
    this.countCommand();
  }

  /** Read a whole storage back to the host (flushes queued work). */
  async read(storage: Storage): Promise<TypedArray> {
    this.check();
    const s = this.own(storage, 'read');
    const bytes = s.size * 4;
    const staging = this.device.createBuffer({ label: 'unihetero read staging', size: bytes + 16, usage: MAP_READ_USAGE });
    const enc = this.encoderForCopy();
    if (bytes > 0) enc.copyBufferToBuffer(s.buffer!, 0, staging, 0, bytes);
    enc.copyBufferToBuffer(this.errorBuffer, 0, staging, bytes, 16);
    enc.clearBuffer(this.errorBuffer, 0, 16);
    this.submit();
    try {
      await staging.mapAsync(MAP_MODE_READ);
    } catch (e) {
      staging.destroy();
      await this.settle();
      throw new Error(`webgpu: read: mapping the result failed: ${(e as Error).message}`);
    }
    const raw = staging.getMappedRange().slice(0);
    staging.unmap();
    staging.destroy();
    await this.settle();
    this.throwKernelError(new Uint32Array(raw, bytes, 4));
    return typedFor(s.dtype, raw, s.size);
  }

  private throwKernelError(words: Uint32Array): void {
    if (words[0] === 0) return;
    const kernel = ERR_CODES[words[0]!] ?? `kernel ${words[0]}`;
    throw new Error(`webgpu: ${kernel}: index ${words[1]! | 0} is out of range for a dimension of size ${words[2]} (detected on the GPU)`);
  }

  /** Memory counters: live storages, their bytes, and pooled bytes (including releases awaiting submit). */
  memory(): BackendMemory {
    let pending = 0;
    for (const p of this.pendingRelease) pending += p.bytes;
    return { storages: this.live.size, bytesInUse: this.liveBytes, bytesPooled: this.pooledBytes + pending };
  }

  /** Submit the recorded commands now. */
  flush(): void {
    this.check();
    this.submit();
  }

  /** Wait until all submitted work has completed; throws errors reported by earlier kernels. */
  async sync(): Promise<void> {
    this.check();
    const staging = this.device.createBuffer({ label: 'unihetero sync staging', size: 16, usage: MAP_READ_USAGE });
    const enc = this.encoderForCopy();
    enc.copyBufferToBuffer(this.errorBuffer, 0, staging, 0, 16);
    enc.clearBuffer(this.errorBuffer, 0, 16);
    this.submit();
    try {
      await staging.mapAsync(MAP_MODE_READ);
    } catch (e) {
      staging.destroy();
      await this.settle();
      throw new Error(`webgpu: sync failed: ${(e as Error).message}`);
    }
    const words = new Uint32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    await this.settle();
    this.throwKernelError(words);
  }

  // ------------------------------------------------------------------ recording and submission

  private ensureEncoder(): GPUCommandEncoder {
    if (this.encoder === null) this.encoder = this.device.createCommandEncoder({ label: 'unihetero batch' });
    return this.encoder;
  }

  private encoderForCopy(): GPUCommandEncoder {
    const enc = this.ensureEncoder();
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    return enc;
  }

  private computePass(): GPUComputePassEncoder {
    if (this.pass === null) this.pass = this.ensureEncoder().beginComputePass({ label: 'unihetero kernels' });
    return this.pass;
  }

  private countCommand(): void {
    if (++this.commands >= this.maxCommands) this.submit();
  }

  private submit(): void {
    if (this.encoder === null) {
      this.recycle();
      return;
    }
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    const kernels = [...this.batchKernels];
    const device = this.device;
    device.pushErrorScope('validation');
    device.pushErrorScope('out-of-memory');
    const cb = this.encoder.finish();
    if (this.uniformUsed > 0) device.queue.writeBuffer(this.uniformBuffer, 0, this.uniformData, 0, this.uniformUsed);
    device.queue.submit([cb]);
    const oom = device.popErrorScope();
    const val = device.popErrorScope();
    const names = kernels.length > 0 ? kernels.join(', ') : 'copies only';
    this.track(
      Promise.all([oom, val]).then(([o, v]) => {
        const err = v ?? o;
        if (err) this.deferredError ??= new Error(`webgpu: submission with kernels [${names}] failed: ${err.message}`);
      }),
    );
    this.submissions++;
    this.encoder = null;
    this.commands = 0;
    this.uniformUsed = 0;
    this.batchKernels.clear();
    this.recycle();
  }

  private recycle(): void {
    for (const { buffer, bytes } of this.pendingRelease) this.give(buffer, bytes);
    this.pendingRelease = [];
    for (const b of this.pendingDestroy) b.destroy();
    this.pendingDestroy = [];
  }

  private pipeline(k: Kernel): GPUComputePipeline {
    const cached = this.pipelines.get(k.key);
    if (cached) return cached;
    const device = this.device;
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ label: k.name, code: k.source() });
    const pipeline = device.createComputePipeline({ label: k.name, layout: 'auto', compute: { module, entryPoint: 'main' } });
    this.track(
      device.popErrorScope().then((err) => {
        // A compile error is the root cause of any later "invalid pipeline" errors: it wins.
        if (err) this.deferredError = new Error(`webgpu: kernel ${k.name} failed to compile: ${err.message}`);
      }),
    );
    this.pipelines.set(k.key, pipeline);
    return pipeline;
  }

  /**
   * Compile a WGSL compute kernel (entry point `main`) and wait for the verdict; throws an error
   * naming the kernel with the compiler's message. Internal: used by tests and diagnostics.
   */
  async compileKernel(name: string, wgsl: string): Promise<GPUComputePipeline> {
    this.check();
    const device = this.device;
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ label: name, code: wgsl });
    const pipeline = device.createComputePipeline({ label: name, layout: 'auto', compute: { module, entryPoint: 'main' } });
    const err = await device.popErrorScope();
    if (err) throw new Error(`webgpu: kernel ${name} failed to compile: ${err.message}`);
    return pipeline;
  }

  /** Reserve a uniform range for this dispatch (flushing when the submission's arena is full). */
  private uniformSlot(params: Uint32Array): number {
    const size = Math.ceil(params.byteLength / this.uniformAlign) * this.uniformAlign;
    if (this.uniformUsed + size > this.uniformCapacity) this.submit();
    const off = this.uniformUsed;
    this.uniformWords.set(params, off / 4);
    this.uniformUsed += size;
    return off;
  }

  /** Record one dispatch: storage buffers at bindings 0.., the params uniform after them. */
  private dispatch(k: Kernel, buffers: GPUBuffer[], params: Uint32Array, grid: readonly [number, number, number]): void {
    if (grid[0] === 0 || grid[1] === 0 || grid[2] === 0) return;
    this.lastKernel = k.name;
    const pipeline = this.pipeline(k);
    const off = this.uniformSlot(params);
    const entries: GPUBindGroupEntry[] = buffers.map((buffer, i) => ({ binding: i, resource: { buffer } }));
    entries.push({ binding: buffers.length, resource: { buffer: this.uniformBuffer, offset: off, size: params.byteLength } });
    const group = this.device.createBindGroup({ label: k.name, layout: pipeline.getBindGroupLayout(0), entries });
    const pass = this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(grid[0], grid[1], grid[2]);
    this.batchKernels.add(k.name);
    this.lastKernel = k.name;
    this.countCommand();
  }

  /** A 1-D launch of `threads` invocations in workgroups of `wg`, as a 2-D grid when needed. */
  private grid1d(threads: number, wg: number): { grid: [number, number, number]; rowStride: number } {
    const groups = Math.ceil(threads / wg);
    if (groups <= this.maxGroups) return { grid: [groups, 1, 1], rowStride: groups * wg };
    const y = Math.ceil(groups / this.maxGroups);
    const x = Math.ceil(groups / y);
    if (y > this.maxGroups) throw new Error(`webgpu: ${threads} invocations exceed the dispatch limits`);
    return { grid: [x, y, 1], rowStride: x * wg };
  }

  /** One workgroup per item as a 2-D grid; returns the grid and its x extent. */
  private gridGroups(items: number): { grid: [number, number, number]; gridX: number } {
    if (items <= this.maxGroups) return { grid: [items, 1, 1], gridX: items };
    const y = Math.ceil(items / this.maxGroups);
    const x = Math.ceil(items / y);
    return { grid: [x, y, 1], gridX: x };
  }

  /** A temporary copy of `buffer`'s first `bytes` (used when an output aliases an input). */
  private cloneBuffer(src: WebGPUStorage): WebGPUStorage {
    const t = this.allocate(src.size, src.dtype) as WebGPUStorage;
    if (src.size > 0) this.encoderForCopy().copyBufferToBuffer(src.buffer!, 0, t.buffer!, 0, src.size * 4);
    return t;
  }

  /** Input buffers, with snapshots of those that are also written by the dispatch (WebGPU forbids the aliasing). */
  private safeInputs(inputs: WebGPUStorage[], outputs: GPUBuffer[]): { buffers: GPUBuffer[]; temps: WebGPUStorage[] } {
    const temps: WebGPUStorage[] = [];
    const buffers = inputs.map((s) => {
      if (!outputs.includes(s.buffer!)) return s.buffer!;
      const t = this.cloneBuffer(s);
      temps.push(t);
      return t.buffer!;
    });
    return { buffers, temps };
  }

  // ------------------------------------------------------------------ elementwise

  private runElementwise(
    name: string,
    shape: readonly number[],
    inputs: { view: View; type: WType }[],
    out: { storage: WebGPUStorage; type: WType; strides: readonly number[]; offset: number },
    expr: { expr: string; type: WType },
    pre: string,
    scalars: { a?: number; b?: number; ia?: number; ib?: number } = {},
  ): void {
    const n = shape.reduce((p, d) => p * d, 1);
    if (n === 0) return;
    const c = coalesce(shape, [...inputs.map((i) => ({ strides: i.view.strides, offset: i.view.offset })), { strides: out.strides, offset: out.offset }]);
    if (c.shape.length > MAX_RANK) throw new Error(`webgpu: ${name}: views of rank ${c.shape.length} after merging dims are not supported (max ${MAX_RANK})`);
    const views: FlatView[] = c.views;
    // An output that shares a buffer with an input: read the input from a snapshot.
    const temps: WebGPUStorage[] = [];
    const buffers = inputs.map((i) => {
      const s = this.own(i.view.storage, name);
      if (s.buffer === out.storage.buffer) {
        const t = this.cloneBuffer(s);
        temps.push(t);
        return t.buffer!;
      }
      return s.buffer!;
    });
    buffers.push(out.storage.buffer!);
    const spec: EwSpec = {
      name,
      inputs: inputs.map((inp, i) => ({ type: inp.type, flat: isFlat(views[i]!) })),
      out: { type: out.type, flat: isFlat(views[inputs.length]!) },
      expr: expr.expr,
      resultType: expr.type,
      pre,
    };
    const key = `${ewKey(spec)}|${pre.length > 0 ? 'p' : ''}${spec.expr}`;
    const { grid, rowStride } = this.grid1d(n, this.wg);
    const p = new Uint32Array(EW.words);
    p[EW.n] = n;
    p[EW.rank] = c.shape.length;
    p[EW.rowStride] = rowStride;
    views.forEach((v, i) => {
      p[EW.offsets + i] = v.offset;
      v.strides.forEach((s, d) => (p[EW.strides + 8 * i + d] = s));
    });
    c.shape.forEach((s, d) => (p[EW.shape + d] = s));
    p[EW.a] = f32Bits(scalars.a ?? 0);
    p[EW.b] = f32Bits(scalars.b ?? 0);
    p[EW.ia] = i32Bits(scalars.ia ?? 0);
    p[EW.ib] = i32Bits(scalars.ib ?? 0);
    const wg = this.wg;
    this.dispatch({ key: `${key}|${wg}`, name, source: () => ewSource(spec, wg) }, buffers, p, grid);
    for (const t of temps) this.release(t);
  }

  private contiguousOut(out: Storage, shape: readonly number[], op: string): { storage: WebGPUStorage; strides: number[]; offset: number } {
    const s = this.own(out, op);
    const n = shape.reduce((p, d) => p * d, 1);
    if (s.size < n) throw new Error(`webgpu: ${op}: output has ${s.size} elements, shape ${shapeStr(shape)} needs ${n}`);
    const strides: number[] = new Array(shape.length);
    let acc = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      strides[d] = acc;
      acc *= shape[d]!;
    }
    return { storage: s, strides, offset: 0 };
  }

  /** Set every element of `out` to `value`. */
  fill(out: Storage, value: number): void {
    this.check();
    const s = this.own(out, 'fill');
    const t = wtype(s.dtype);
    const bits = t === 'i32' ? new Uint32Array(Int32Array.of(value).buffer)[0]! : f32Bits(value);
    const name = `fill_${t}`;
    const { grid, rowStride } = this.grid1d(s.size, this.wg);
    const p = new Uint32Array(EW.words);
    p[EW.n] = s.size;
    p[EW.rowStride] = rowStride;
    p[EW.a] = bits;
    const spec: EwSpec = { name, inputs: [], out: { type: t, flat: true }, expr: `bitcast<${t}>(pu(${EW.a}u))`, resultType: t };
    const wg = this.wg;
    this.dispatch({ key: `${ewKey(spec)}|${wg}`, name, source: () => ewSource(spec, wg) }, [s.buffer!], p, grid);
  }

  /** Copy (and cast) a strided view into another strided view of the same shape. */
  copy(src: View, dst: View): void {
    this.check();
    if (!sameShape(src.shape, dst.shape)) throw new Error(`webgpu: copy: shapes differ: ${shapeStr(src.shape)} vs ${shapeStr(dst.shape)}`);
    const d = this.own(dst.storage, 'copy');
    this.own(src.storage, 'copy');
    const st = wtype(src.storage.dtype);
    const dt = wtype(d.dtype);
    this.runElementwise(`copy_${st}_${dt}`, src.shape, [{ view: src, type: st }], { storage: d, type: dt, strides: dst.strides, offset: dst.offset }, { expr: 'x0', type: st }, '');
  }

  /** Elementwise `out = op(x)`. */
  unary(op: UnaryOp, x: View, out: Storage, params: UnaryParams = {}): void {
    this.check();
    const xs = this.own(x.storage, `unary ${op}`);
    const o = this.contiguousOut(out, x.shape, `unary ${op}`);
    const inT = wtype(xs.dtype);
    const outT = wtype(o.storage.dtype);
    let expr: { expr: string; type: WType };
    let scalars: { a?: number; b?: number; ia?: number; ib?: number } = { a: params.a ?? 0, b: params.b ?? 0 };
    if (inT === 'i32') {
      const ie = unaryIntExpr(op);
      if (ie) {
        expr = ie;
        const lo = params.a ?? -Infinity;
        const hi = params.b ?? Infinity;
        scalars = { ia: op === 'clamp' ? i32Bits(lo === -Infinity ? -2147483648 : lo) | 0 : (params.a ?? 0), ib: op === 'clamp' ? i32Bits(hi === Infinity ? 2147483647 : hi) | 0 : 0 };
      } else {
        const fe = unaryFloatExpr(op);
        expr = { expr: fe.expr.replace(/\bx0\b/g, 'f32(x0)'), type: fe.type };
      }
    } else {
      expr = unaryFloatExpr(op);
      if (op === 'clamp') scalars = { a: params.a ?? -Infinity, b: params.b ?? Infinity };
    }
    if (UNARY_INT_OUT.has(op) && outT !== 'i32') throw new Error(`webgpu: unary ${op}: output must be int32, got ${o.storage.dtype}`);
    this.runElementwise(`unary_${op}_${inT}_${outT}`, x.shape, [{ view: x, type: inT }], { ...o, type: outT }, expr, '', scalars);
  }

  /** Elementwise `out = op(a, b)` (inputs already broadcast to out's shape). */
  binary(op: BinaryOp, a: View, b: View, out: Storage): void {
    this.check();
    const as = this.own(a.storage, `binary ${op}`);
    const bs = this.own(b.storage, `binary ${op}`);
    if (!sameShape(a.shape, b.shape)) throw new Error(`webgpu: binary ${op}: shapes differ: ${shapeStr(a.shape)} vs ${shapeStr(b.shape)}`);
    if (as.dtype !== bs.dtype) throw new Error(`webgpu: binary ${op}: dtypes differ: ${as.dtype} vs ${bs.dtype}`);
    const t = wtype(as.dtype);
    const o = this.contiguousOut(out, a.shape, `binary ${op}`);
    const outT = wtype(o.storage.dtype);
    this.runElementwise(`binary_${op}_${t}_${outT}`, a.shape, [{ view: a, type: t }, { view: b, type: t }], { ...o, type: outT }, binaryExpr(op, t), binaryPre(op));
  }

  /** `out = cond != 0 ? a : b`. */
  where(cond: View, a: View, b: View, out: Storage): void {
    this.check();
    const cs = this.own(cond.storage, 'where');
    const as = this.own(a.storage, 'where');
    const bs = this.own(b.storage, 'where');
    if (!sameShape(cond.shape, a.shape) || !sameShape(a.shape, b.shape)) {
      throw new Error(`webgpu: where: shapes differ: cond ${shapeStr(cond.shape)}, a ${shapeStr(a.shape)}, b ${shapeStr(b.shape)}`);
    }
    if (as.dtype !== bs.dtype) throw new Error(`webgpu: where: dtypes differ: ${as.dtype} vs ${bs.dtype}`);
    const ct = wtype(cs.dtype);
    const t = wtype(as.dtype);
    const o = this.contiguousOut(out, a.shape, 'where');
    const outT = wtype(o.storage.dtype);
    const zero = ct === 'f32' ? '0.0' : '0';
    this.runElementwise(
      `where_${ct}_${t}_${outT}`,
      a.shape,
      [{ view: cond, type: ct }, { view: a, type: t }, { view: b, type: t }],
      { ...o, type: outT },
      { expr: `select(x2, x1, x0 != ${zero})`, type: t },
      '',
    );
  }

  // ------------------------------------------------------------------ rows

  private rowParams(rows: number, cols: number, offset: number, gridX: number, eps = 0): Uint32Array {
    const p = new Uint32Array(ROWS.words);
    p[ROWS.rows] = rows;
    p[ROWS.cols] = cols;
    p[ROWS.offset] = offset;
    p[ROWS.gridX] = gridX;
    p[ROWS.eps] = f32Bits(eps);
    return p;
  }

  private checkRows(op: string, x: WebGPUStorage, offset: number, rows: number, cols: number): void {
    if (offset + rows * cols > x.size) throw new Error(`webgpu: ${op}: rows ${rows} x cols ${cols} at offset ${offset} exceed the input's ${x.size} elements`);
  }

  /** Launch a row kernel: one workgroup per row (group) or one invocation per row. */
  private runRows(
    name: string,
    key: string,
    source: (group: boolean, wg: number) => string,
    rows: number,
    cols: number,
    buffers: GPUBuffer[],
    offset: number,
    forceGroup = false,
    eps = 0,
    extra: [number, number][] = [],
  ): void {
    if (rows === 0) return;
    const group = forceGroup || cols > SHORT_ROW;
    if (group) {
      const wg = rowWorkgroup(cols, this.wg);
      const { grid, gridX } = this.gridGroups(rows);
      const p = this.rowParams(rows, cols, offset, gridX, eps);
      for (const [w, bits] of extra) p[w] = bits;
      this.dispatch({ key: `${key}|g${wg}`, name, source: () => source(true, wg) }, buffers, p, grid);
    } else {
      const wg = Math.min(64, this.wg);
      const { grid } = this.grid1d(rows, wg);
      this.dispatch({ key: `${key}|t${wg}`, name, source: () => source(false, wg) }, buffers, this.rowParams(rows, cols, offset, grid[0], eps), grid);
    }
  }

  /** Reduce each row of contiguous `x [rows, cols]` into `out [rows]`. */
  reduce(op: ReduceOp, x: Storage, offset: number, rows: number, cols: number, out: Storage): void {
    this.check();
    const xs = this.own(x, `reduce ${op}`);
    const os = this.own(out, `reduce ${op}`);
    this.checkRows(`reduce ${op}`, xs, offset, rows, cols);
    if (os.size < rows) throw new Error(`webgpu: reduce ${op}: output has ${os.size} elements, need ${rows}`);
    if (cols === 0 && (op === 'argmax' || op === 'argmin' || op === 'max' || op === 'min')) throw new Error(`webgpu: reduce ${op}: cannot reduce an empty row (cols = 0)`);
    const t = wtype(xs.dtype);
    const ot = wtype(os.dtype);
    const name = `reduce_${op}_${t}_${ot}`;
    const { buffers, temps } = this.safeInputs([xs], [os.buffer!]);
    this.runRows(name, name, (g, wg) => reduceSource(op, t, ot, g, wg), rows, cols, [...buffers, os.buffer!], offset);
    for (const tmp of temps) this.release(tmp);
  }

  /** Softmax / log-softmax of each row of contiguous `x [rows, cols]`. */
  softmax(x: Storage, offset: number, rows: number, cols: number, out: Storage, log: boolean): void {
    this.check();
    const xs = this.own(x, 'softmax');
    const os = this.own(out, 'softmax');
    if (xs.dtype !== 'float32' || os.dtype !== 'float32') throw new Error(`webgpu: softmax: float32 only, got ${xs.dtype} -> ${os.dtype}`);
    this.checkRows('softmax', xs, offset, rows, cols);
    if (os.size < rows * cols) throw new Error(`webgpu: softmax: output has ${os.size} elements, need ${rows * cols}`);
    let xb = xs.buffer!;
    let temp: WebGPUStorage | null = null;
    if (xb === os.buffer) {
      temp = this.cloneBuffer(xs);
      xb = temp.buffer!;
    }
    const name = log ? 'log_softmax' : 'softmax';
    this.runRows(name, name, (g, wg) => softmaxSource(log, g, wg), rows, cols, [xb, os.buffer!], offset);
    if (temp) this.release(temp);
  }

  /** Fused LayerNorm over the last axis; writes out, mean and rstd. */
  layerNorm(x: Storage, weight: Storage | null, bias: Storage | null, rows: number, cols: number, eps: number, out: Storage, mean: Storage, rstd: Storage): void {
    this.check();
    const xs = this.own(x, 'layerNorm');
    this.checkRows('layerNorm', xs, 0, rows, cols);
    const all = [x, weight, bias, out, mean, rstd].filter((s): s is Storage => s !== null).map((s) => this.own(s, 'layerNorm'));
    if (all.some((s) => s.dtype !== 'float32')) throw new Error('webgpu: layerNorm: float32 only');
    if (weight && weight.size < cols) throw new Error(`webgpu: layerNorm: weight has ${weight.size} elements, need ${cols}`);
    if (bias && bias.size < cols) throw new Error(`webgpu: layerNorm: bias has ${bias.size} elements, need ${cols}`);
    if (out.size < rows * cols || mean.size < rows || rstd.size < rows) throw new Error(`webgpu: layerNorm: outputs too small for [${rows}, ${cols}] (out ${out.size}, mean ${mean.size}, rstd ${rstd.size})`);
    const outs = [this.buf(out, 'layerNorm'), this.buf(mean, 'layerNorm'), this.buf(rstd, 'layerNorm')];
    const ins = [xs, ...(weight ? [this.own(weight, 'layerNorm')] : []), ...(bias ? [this.own(bias, 'layerNorm')] : [])];
    const { buffers: inBufs, temps } = this.safeInputs(ins, outs);
    const stats = 'layer_norm_stats';
    this.runRows(stats, stats, (_g, wg) => layerNormStatsSource(wg), rows, cols, [inBufs[0]!, outs[1]!, outs[2]!], 0, true, eps);
    const name = `layer_norm${weight ? '_w' : ''}${bias ? '_b' : ''}`;
    this.runRows(name, name, (_g, wg) => layerNormApplySource(wg, weight !== null, bias !== null), rows, cols, [...inBufs, outs[0]!], 0, true, eps);
    for (const tmp of temps) this.release(tmp);
  }

  /** Fused RMSNorm over the last axis: `out = x * rstd * weight`; writes rstd. */
  rmsNorm(x: Storage, weight: Storage | null, rows: number, cols: number, eps: number, out: Storage, rstd: Storage): void {
    this.check();
    const xs = this.own(x, 'rmsNorm');
    this.checkRows('rmsNorm', xs, 0, rows, cols);
    const all = [x, weight, out, rstd].filter((s): s is Storage => s !== null).map((s) => this.own(s, 'rmsNorm'));
    if (all.some((s) => s.dtype !== 'float32')) throw new Error('webgpu: rmsNorm: float32 only');
    if (weight && weight.size < cols) throw new Error(`webgpu: rmsNorm: weight has ${weight.size} elements, need ${cols}`);
    if (out.size < rows * cols || rstd.size < rows) throw new Error(`webgpu: rmsNorm: outputs too small for [${rows}, ${cols}] (out ${out.size}, rstd ${rstd.size})`);
    const outs = [this.buf(out, 'rmsNorm'), this.buf(rstd, 'rmsNorm')];
    const { buffers, temps } = this.safeInputs([xs, ...(weight ? [this.own(weight, 'rmsNorm')] : [])], outs);
    const name = `rms_norm${weight ? '_w' : ''}`;
    this.runRows(name, name, (_g, wg) => rmsNormSource(wg, weight !== null), rows, cols, [...buffers, ...outs], 0, true, eps);
    for (const tmp of temps) this.release(tmp);
  }

  // ------------------------------------------------------------------ fused training kernels

  /** Own every storage, require float32 (int32 where listed), and return them. */
  private fusedStorages(op: string, list: (Storage | null)[], ints: Storage[] = []): (WebGPUStorage | null)[] {
    return list.map((s) => {
      if (s === null) return null;
      const w = this.own(s, op);
      const want = ints.includes(s) ? 'int32' : 'float32';
      if (w.dtype !== want) throw new Error(`webgpu: ${op}: expected a ${want} storage, got ${w.dtype} (${w.size} elements)`);
      return w;
    });
  }

  private needSize(op: string, what: string, s: WebGPUStorage | null, n: number): void {
    if (s && s.size < n) throw new Error(`webgpu: ${op}: ${what} has ${s.size} elements, needs ${n}`);
  }

  /** Fused LayerNorm backward: dx (row kernel) and dweight / dbias (column kernel). */
  layerNormBackward(
    x: Storage,
    mean: Storage,
    rstd: Storage,
    weight: Storage | null,
    grad: Storage,
    rows: number,
    cols: number,
    dx: Storage,
    dweight: Storage | null,
    dbias: Storage | null,
  ): void {
    this.normBackward('layerNormBackward', x, mean, rstd, weight, grad, rows, cols, dx, dweight, dbias);
  }

  /** Fused RMSNorm backward: dx (row kernel) and dweight (column kernel). */
  rmsNormBackward(x: Storage, rstd: Storage, weight: Storage | null, grad: Storage, rows: number, cols: number, dx: Storage, dweight: Storage | null): void {
    this.normBackward('rmsNormBackward', x, null, rstd, weight, grad, rows, cols, dx, dweight, null);
  }

  private normBackward(
    op: string,
    x: Storage,
    mean: Storage | null,
    rstd: Storage,
    weight: Storage | null,
    grad: Storage,
    rows: number,
    cols: number,
    dx: Storage,
    dweight: Storage | null,
    dbias: Storage | null,
  ): void {
    this.check();
    const [xs, ms, rs, ws, gs, dxs, dws, dbs] = this.fusedStorages(op, [x, mean, rstd, weight, grad, dx, dweight, dbias]);
    this.checkRows(op, xs!, 0, rows, cols);
    this.checkRows(`${op} grad`, gs!, 0, rows, cols);
    this.needSize(op, 'mean', ms, rows);
    this.needSize(op, 'rstd', rs, rows);
    this.needSize(op, 'weight', ws, cols);
    this.needSize(op, 'dx', dxs, rows * cols);
    this.needSize(op, 'dweight', dws, cols);
    this.needSize(op, 'dbias', dbs, cols);
    if (rows === 0 || cols === 0) return;
    const centered = ms !== null;
    const outs = [dxs!, dws, dbs].filter((s): s is WebGPUStorage => s !== null).map((s) => s.buffer!);
    const ins = [xs!, ms, rs!, ws, gs!].filter((s): s is WebGPUStorage => s !== null);
    const { buffers, temps } = this.safeInputs(ins, outs);
    const at = (s: WebGPUStorage | null) => (s === null ? null : buffers[ins.indexOf(s)]!);
    const stats = [at(ms), at(rs)].filter((b): b is GPUBuffer => b !== null);
    const base = centered ? 'layer_norm' : 'rms_norm';
    const dxName = `${base}_backward_dx${ws ? '_w' : ''}`;
    const dxBuffers = [at(xs)!, ...stats, ...(ws ? [at(ws)!] : []), at(gs)!, dxs!.buffer!];
    this.runRows(dxName, dxName, (_g, wg) => normBackwardDxSource(wg, centered, ws !== null), rows, cols, dxBuffers, 0, true);
    if (dws || dbs) {
      // Columns in parallel; long column sums split into chunks of rows whose partial sums a row
      // reduction finishes (deterministic order either way).
      const wg = Math.min(64, this.wg);
      const chunkRows = rows <= 256 ? rows : 128;
      const chunks = Math.min(Math.ceil(rows / chunkRows), this.maxGroups);
      const rowsPer = Math.ceil(rows / chunks);
      const { grid, rowStride } = this.grid1d(cols, wg);
      const p = new Uint32Array(COLS.words);
      p[COLS.rows] = rows;
      p[COLS.cols] = cols;
      p[COLS.rowStride] = rowStride;
      p[COLS.chunkRows] = rowsPer;
      p[COLS.chunks] = chunks;
      const partial = (s: WebGPUStorage | null) => (s === null ? null : chunks === 1 ? s : (this.allocate(cols * chunks, 'float32') as WebGPUStorage));
      const pw = partial(dws);
      const pb = partial(dbs);
      const name = `${base}_backward_params${dws ? '_dw' : ''}${dbs ? '_db' : ''}`;
      const bufs = [...(dws ? [at(xs)!, ...stats] : []), at(gs)!, ...(pw ? [pw.buffer!] : []), ...(pb ? [pb.buffer!] : [])];
      this.dispatch({ key: `${name}|${wg}`, name, source: () => normBackwardParamsSource(wg, centered, dws !== null, dbs !== null) }, bufs, p, [grid[0], grid[1], chunks]);
      for (const [part, final] of [[pw, dws], [pb, dbs]] as const) {
        if (part && final && part !== final) {
          this.reduce('sum', part, 0, cols, chunks, final);
          this.release(part);
        }
      }
    }
    for (const t of temps) this.release(t);
  }

  /** Fused cross-entropy rows: losses then logsumexps into `stats [2 rows]`; a bad target is reported at the next read. */
  crossEntropy(logits: Storage, targets: Storage, rows: number, cols: number, ignoreIndex: number, labelSmoothing: number, stats: Storage): void {
    const op = 'crossEntropy';
    this.check();
    const [xs, ts, ss] = this.fusedStorages(op, [logits, targets, stats], [targets]);
    this.checkRows(op, xs!, 0, rows, cols);
    this.needSize(op, 'targets', ts!, rows);
    this.needSize(op, 'stats', ss!, 2 * rows);
    if (rows === 0) return;
    const { buffers, temps } = this.safeInputs([xs!, ts!], [ss!.buffer!]);
    const extra: [number, number][] = [[CE.ignore, i32Bits(ignoreIndex)], [CE.smoothing, f32Bits(labelSmoothing)]];
    this.runRows('cross_entropy', 'cross_entropy', (_g, wg) => crossEntropySource(wg), rows, cols, [...buffers, ss!.buffer!, this.errorBuffer], 0, true, 0, extra);
    for (const t of temps) this.release(t);
  }

  /** Gradient of the cross-entropy rows with respect to the logits, from `grad [2 rows]`. */
  crossEntropyBackward(
    logits: Storage,
    targets: Storage,
    stats: Storage,
    grad: Storage,
    rows: number,
    cols: number,
    ignoreIndex: number,
    labelSmoothing: number,
    dx: Storage,
  ): void {
    const op = 'crossEntropyBackward';
    this.check();
    const [xs, ts, ss, gs, ds] = this.fusedStorages(op, [logits, targets, stats, grad, dx], [targets]);
    this.checkRows(op, xs!, 0, rows, cols);
    this.needSize(op, 'targets', ts!, rows);
    this.needSize(op, 'stats', ss!, 2 * rows);
    this.needSize(op, 'grad', gs!, 2 * rows);
    this.needSize(op, 'dx', ds!, rows * cols);
    if (rows === 0 || cols === 0) return;
    const { buffers, temps } = this.safeInputs([xs!, ts!, ss!, gs!], [ds!.buffer!]);
    const extra: [number, number][] = [[CE.ignore, i32Bits(ignoreIndex)], [CE.smoothing, f32Bits(labelSmoothing)]];
    const name = 'cross_entropy_backward';
    this.runRows(name, name, (_g, wg) => crossEntropyBackwardSource(wg), rows, cols, [...buffers, ds!.buffer!], 0, true, 0, extra);
    for (const t of temps) this.release(t);
  }

  /**
   * Fused attention forward (online softmax over key tiles in workgroup memory). Declines (returns
   * false) for head sizes above 256, tiles that do not fit the device's workgroup storage, or more
   * storage buffers than the device binds.
   */
  attention(q: View, k: View, v: View, mask: View | null, scale: number, out: Storage, lse: Storage): boolean {
    const op = 'attention';
    this.check();
    for (const [what, w] of [['q', q], ['k', k], ['v', v], ['mask', mask]] as const) {
      if (w && w.shape.length !== 4) throw new Error(`webgpu: ${op}: ${what} must be a rank-4 view, got ${shapeStr(w.shape)}`);
    }
    const [B, H, Lq, D] = q.shape as [number, number, number, number];
    const [B2, Hkv, Lk, D2] = k.shape as [number, number, number, number];
    const Dv = v.shape[3]!;
    if (B2 !== B || D2 !== D || Hkv === 0 || H % Hkv !== 0 || !sameShape(v.shape.slice(0, 3), k.shape.slice(0, 3))) {
      throw new Error(`webgpu: ${op}: incompatible q ${shapeStr(q.shape)}, k ${shapeStr(k.shape)}, v ${shapeStr(v.shape)}`);
    }
    if (mask && !sameShape(mask.shape, [B, H, Lq, Lk])) throw new Error(`webgpu: ${op}: mask view ${shapeStr(mask.shape)} must be [${B},${H},${Lq},${Lk}]`);
    const [qs, ks, vs, ms, os, ls] = this.fusedStorages(op, [q.storage, k.storage, v.storage, mask?.storage ?? null, out, lse]);
    this.needSize(op, 'out', os, B * H * Lq * Dv);
    this.needSize(op, 'lse', ls, B * H * Lq);
    const lim = this.device.limits;
    if (D < 1 || Dv < 1 || Lk < 1 || D > ATTENTION_MAX_HEAD || Dv > ATTENTION_MAX_HEAD) return false;
    if ((mask ? 6 : 5) > lim.maxStorageBuffersPerShaderStage) return false;
    const TK = Math.min(32, Math.floor(lim.maxComputeWorkgroupStorageSize / ((D + Dv) * 4)));
    if (TK < 1) return false;
    if (B * H * Lq === 0) return true;
    const wg = Math.min(this.wg, Lq <= 16 ? 16 : Lq <= 32 ? 32 : 64);
    const blocks = Math.ceil(Lq / wg);
    const groups = B * H * blocks;
    if (groups > this.maxGroups * this.maxGroups) return false;
    const { grid, gridX } = this.gridGroups(groups);
    const p = new Uint32Array(Math.ceil(ATT.words / 4) * 4);
    p[ATT.B] = B;
    p[ATT.H] = H;
    p[ATT.Hkv] = Hkv;
    p[ATT.Lq] = Lq;
    p[ATT.Lk] = Lk;
    p[ATT.gridX] = gridX;
    p[ATT.blocks] = blocks;
    p[ATT.scale] = f32Bits(scale);
    const put = (w: View, off: number, st: number) => {
      p[off] = w.offset;
      w.strides.forEach((s, i) => (p[st + i] = s));
    };
    put(q, ATT.qOff, ATT.qs);
    put(k, ATT.kOff, ATT.ks);
    put(v, ATT.vOff, ATT.vs);
    if (mask) put(mask, ATT.mOff, ATT.ms);
    const spec: AttentionSpec = { D, Dv, TK, wg, mask: mask !== null };
    const ins = [qs!, ks!, vs!, ...(ms ? [ms] : [])];
    const { buffers, temps } = this.safeInputs(ins, [os!.buffer!, ls!.buffer!]);
    const key = `attention|${D}|${Dv}|${TK}|${wg}|${spec.mask ? 'm' : ''}`;
    this.dispatch({ key, name: `attention_d${D}_dv${Dv}${spec.mask ? '_mask' : ''}`, source: () => attentionSource(spec) }, [...buffers, os!.buffer!, ls!.buffer!], p, grid);
    for (const t of temps) this.release(t);
    return true;
  }

  // ------------------------------------------------------------------ matmul

  /** Batched `out[b] = a[b] @ b[b]` for views `a [B, M, K]`, `b [B, K, N]`. */
  matmul(a: View, b: View, out: Storage): void {
    this.check();
    if (a.shape.length !== 3 || b.shape.length !== 3) throw new Error(`matmul: expected rank-3 views [B, M, K] x [B, K, N], got ${shapeStr(a.shape)} @ ${shapeStr(b.shape)}`);
    const [B, M, K] = a.shape as [number, number, number];
    const [B2, K2, N] = b.shape as [number, number, number];
    if (K !== K2) throw new Error(`matmul: inner dimensions differ: ${shapeStr(a.shape)} @ ${shapeStr(b.shape)}`);
    if (B !== B2) throw new Error(`matmul: batch dimensions differ: ${shapeStr(a.shape)} @ ${shapeStr(b.shape)}`);
    const as = this.own(a.storage, 'matmul');
    const bs = this.own(b.storage, 'matmul');
    const os = this.own(out, 'matmul');
    if (as.dtype !== bs.dtype || as.dtype !== os.dtype) throw new Error(`matmul: dtypes differ: ${as.dtype} @ ${bs.dtype} -> ${os.dtype}`);
    if (os.size < B * M * N) throw new Error(`matmul: output has ${os.size} elements, need ${B * M * N}`);
    if (B * M * N === 0) return;
    if (K === 0) {
      this.fill(os, 0);
      return;
    }
    const temps: WebGPUStorage[] = [];
    const contiguous = (v: View): View => {
      const [d0, d1, d2] = v.shape as [number, number, number];
      const t = this.allocate(d0 * d1 * d2, v.storage.dtype) as WebGPUStorage;
      const cv: View = { storage: t, shape: v.shape, strides: [d1 * d2, d2, 1], offset: 0 };
      this.copy(v, cv);
      temps.push(t);
      return cv;
    };
    // Layout of A: 'n' (k contiguous) or 't' (m contiguous); otherwise copy.
    let av = a;
    let aLayout: 'n' | 't';
    let lda: number;
    const [, sam, sak] = av.strides as [number, number, number];
    if (sak === 1 || K === 1) {
      aLayout = 'n';
      lda = M === 1 ? 0 : sam;
    } else if (sam === 1 || M === 1) {
      aLayout = 't';
      lda = K === 1 ? 0 : sak;
    } else {
      av = contiguous(a);
      aLayout = 'n';
      lda = K;
    }
    let bv = b;
    let bLayout: 'n' | 't';
    let ldb: number;
    const [, sbk, sbn] = bv.strides as [number, number, number];
    if (sbn === 1 || N === 1) {
      bLayout = 'n';
      ldb = K === 1 ? 0 : sbk;
    } else if (sbk === 1 || K === 1) {
      bLayout = 't';
      ldb = N === 1 ? 0 : sbn;
    } else {
      bv = contiguous(b);
      bLayout = 'n';
      ldb = N;
    }
    // An output that aliases an input: compute into a temporary.
    let target = os;
    if (os.buffer === (av.storage as WebGPUStorage).buffer || os.buffer === (bv.storage as WebGPUStorage).buffer) {
      target = this.allocate(B * M * N, os.dtype) as WebGPUStorage;
    }
    const aBatch = B === 1 ? 0 : av.strides[0]!;
    const bBatch = B === 1 ? 0 : bv.strides[0]!;
    const al4 = (x: number) => x % 4 === 0;
    const spec: MatmulSpec = {
      t: wtype(as.dtype),
      aLayout,
      bLayout,
      aVec4: al4(av.offset) && al4(aBatch) && al4(lda) && al4(aLayout === 'n' ? K : M),
      bVec4: bLayout === 'n' && al4(bv.offset) && al4(bBatch) && al4(ldb) && al4(N),
    };
    const cfg = this.mmConfig;
    const TM = cfg.wgY * cfg.rm;
    const TN = cfg.wgX * cfg.rn;
    const key = matmulKey(spec, cfg);
    const name = `matmul_${spec.t}_${aLayout}${bLayout}`;
    const kernel: Kernel = { key, name, source: () => matmulSource(spec, cfg) };
    const gx = Math.ceil(N / TN);
    const gy = Math.ceil(M / TM);
    if (gx > this.maxGroups || gy > this.maxGroups) throw new Error(`matmul: ${shapeStr(a.shape)} @ ${shapeStr(b.shape)} exceeds the dispatch limits`);
    const buffers = [(av.storage as WebGPUStorage).buffer!, (bv.storage as WebGPUStorage).buffer!, target.buffer!];
    for (let base = 0; base < B; base += this.maxGroups) {
      const nb = Math.min(this.maxGroups, B - base);
      const p = new Uint32Array(MM.words);
      p[MM.M] = M;
      p[MM.N] = N;
      p[MM.K] = K;
      p[MM.batchBase] = base;
      p[MM.aOff] = av.offset;
      p[MM.aBatch] = aBatch;
      p[MM.lda] = lda;
      p[MM.bOff] = bv.offset;
      p[MM.bBatch] = bBatch;
      p[MM.ldb] = ldb;
      this.dispatch(kernel, buffers, p, [gx, gy, nb]);
    }
    if (target !== os) {
      this.encoderForCopy().copyBufferToBuffer(target.buffer!, 0, os.buffer!, 0, B * M * N * 4);
      this.countCommand();
      this.release(target);
    }
    for (const t of temps) this.release(t);
  }

  // ------------------------------------------------------------------ indexing

  private rank3(v: View, what: string, op: string): [number, number, number] {
    if (v.shape.length !== 3) throw new Error(`webgpu: ${op}: ${what} must be a rank-3 view [outer, dim, inner], got ${shapeStr(v.shape)}`);
    return v.shape as [number, number, number];
  }

  /** `out[o, j, i] = x[o, index[o, j, i], i]`. */
  gather(x: View, index: View, out: Storage): void {
    this.check();
    const xs = this.own(x.storage, 'gather');
    const is = this.own(index.storage, 'gather');
    const os = this.own(out, 'gather');
    const [O, Dx, I] = this.rank3(x, 'x', 'gather');
    const [O2, Dj, I2] = this.rank3(index, 'index', 'gather');
    if (O !== O2 || I !== I2) throw new Error(`webgpu: gather: x ${shapeStr(x.shape)} and index ${shapeStr(index.shape)} differ outside the gathered dim`);
    if (is.dtype !== 'int32') throw new Error(`webgpu: gather: index must be int32, got ${is.dtype}`);
    if (xs.dtype !== os.dtype) throw new Error(`webgpu: gather: dtypes differ: ${xs.dtype} -> ${os.dtype}`);
    const n = O * Dj * I;
    if (os.size < n) throw new Error(`webgpu: gather: output has ${os.size} elements, need ${n}`);
    if (n === 0) return;
    const t = wtype(xs.dtype);
    const { grid, rowStride } = this.grid1d(n, this.wg);
    const p = this.ixParams(O, Dj, I, Dx, x, index, n, rowStride);
    const wg = this.wg;
    const { buffers, temps } = this.safeInputs([xs, is], [os.buffer!]);
    this.dispatch({ key: `gather|${t}|${wg}`, name: `gather_${t}`, source: () => gatherSource(t, wg) }, [...buffers, os.buffer!, this.errorBuffer], p, grid);
    for (const tmp of temps) this.release(tmp);
  }

  private ixParams(O: number, Dj: number, I: number, Dx: number, x: View, index: View, n: number, rowStride: number): Uint32Array {
    const p = new Uint32Array(IX.words);
    p[IX.O] = O;
    p[IX.Dj] = Dj;
    p[IX.I] = I;
    p[IX.Dx] = Dx;
    p[IX.xOff] = x.offset;
    p[IX.xs0] = x.strides[0]!;
    p[IX.xs1] = x.strides[1]!;
    p[IX.xs2] = x.strides[2]!;
    p[IX.iOff] = index.offset;
    p[IX.is0] = index.strides[0]!;
    p[IX.is1] = index.strides[1]!;
    p[IX.is2] = index.strides[2]!;
    p[IX.n] = n;
    p[IX.rowStride] = rowStride;
    return p;
  }

  /** `target[o, index[o, j, i], i] += src[o, j, i]`. */
  scatterAdd(target: Storage, index: View, src: View): void {
    this.check();
    const ts = this.own(target, 'scatterAdd');
    let is = this.own(index.storage, 'scatterAdd');
    let ss = this.own(src.storage, 'scatterAdd');
    const [O, Dj, I] = this.rank3(index, 'index', 'scatterAdd');
    if (!sameShape(index.shape, src.shape)) throw new Error(`webgpu: scatterAdd: index ${shapeStr(index.shape)} and src ${shapeStr(src.shape)} differ`);
    if (is.dtype !== 'int32') throw new Error(`webgpu: scatterAdd: index must be int32, got ${is.dtype}`);
    if (ss.dtype !== ts.dtype) throw new Error(`webgpu: scatterAdd: dtypes differ: src ${ss.dtype}, target ${ts.dtype}`);
    if (O * I === 0 || Dj === 0) return;
    if (ts.size % (O * I) !== 0) throw new Error(`webgpu: scatterAdd: target of ${ts.size} elements is not [${O}, Dt, ${I}]`);
    const Dt = ts.size / (O * I);
    const temps: WebGPUStorage[] = [];
    if (is.buffer === ts.buffer) temps.push((is = this.cloneBuffer(is)));
    if (ss.buffer === ts.buffer) temps.push((ss = this.cloneBuffer(ss)));
    const t = wtype(ts.dtype);
    const cols = O * I;
    const atomic = t === 'i32' || this.scatterMode === 'atomic' || (this.scatterMode === 'auto' && cols < 64 && Dj > 64);
    const wg = this.wg;
    const buffers = [ts.buffer!, is.buffer!, ss.buffer!, this.errorBuffer];
    if (atomic) {
      const n = O * Dj * I;
      const { grid, rowStride } = this.grid1d(n, wg);
      const p = this.ixParams(O, Dj, I, Dt, src, index, n, rowStride);
      this.dispatch({ key: `scatter_atomic|${t}|${wg}`, name: `scatter_add_atomic_${t}`, source: () => scatterAtomicSource(t, wg) }, buffers, p, grid);
    } else {
      const cwg = Math.min(64, wg);
      const { grid, rowStride } = this.grid1d(cols, cwg);
      const p = this.ixParams(O, Dj, I, Dt, src, index, cols, rowStride);
      this.dispatch({ key: `scatter_column|${t}|${cwg}`, name: `scatter_add_${t}`, source: () => scatterColumnSource(t, cwg) }, buffers, p, grid);
    }
    for (const tmp of temps) this.release(tmp);
  }
}
