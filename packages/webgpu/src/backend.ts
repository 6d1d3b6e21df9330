/**
 * The WebGPU backend: the tensor contract's memory services and primitives on a `GpuRuntime`
 * (device, queue, errors, pipelines, uniforms, submission) and a `BufferPool`, with one launcher
 * per kernel family in `kernels/` (beside its WGSL) and the fused kernels registered as overrides.
 */
import type { Backend, BackendInfo, BackendMemory, BackendOverrides, DType, OverrideName, Program, ReduceOp, Storage, TypedArray, View } from '@unihetero/tensor';
import type { LaunchContext } from './runtime/context.js';
import { bucketBytes } from './runtime/pool.js';
import { GpuRuntime, ownStorage } from './runtime/runtime.js';
import { WebGPUStorage } from './runtime/storage.js';
import { launchElementwise } from './kernels/elementwise.js';
import { launchLayerNorm, launchLogsumexp, launchReduce, launchRmsNorm, launchSoftmax } from './kernels/rows.js';
import { FUSED_STORAGE_BUFFERS, launchAttention, launchCrossEntropy, launchCrossEntropyBackward, launchLayerNormBackward, launchRmsNormBackward, launchSumColumns } from './kernels/fused.js';
import { launchMatmul } from './kernels/matmul.js';
import { isSoftwareAdapter } from './adapter-kind.js';
import { launchRope } from './kernels/rope.js';

import { launchGather, launchScatterAdd, type ScatterAddMode } from './kernels/indexing.js';
import { DEFAULT_MATMUL, LARGE_MATMUL, TALL_MATMUL, pickMatmulTileOf, type MatmulConfig } from './kernels/matmul-wgsl.js';
import { rowPerInvocation } from './kernels/rows-wgsl.js';

export { WebGPUStorage } from './runtime/storage.js';
export { bucketBytes } from './runtime/pool.js';
export { FUSED_STORAGE_BUFFERS } from './kernels/fused.js';
export type { ScatterAddMode } from './kernels/indexing.js';

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
  /**
   * Matmul tile configuration for every product. Default: 8x8 invocations of 8x8 blocks, K step
   * 32, and on a software adapter (llvmpipe, SwiftShader) `LARGE_MATMUL` (16x16 blocks, where the
   * device allows 32 KiB of workgroup memory) or `TALL_MATMUL` (16x8 blocks) for products they
   * cover with at most an eighth more padding (`pickMatmulTileOf`).
   */
  matmul?: Partial<MatmulConfig>;
  /** Destroy the device in `destroy()` (default true; false for a device the caller owns). */
  ownsDevice?: boolean;
  /**
   * Switch individual overrides off (`{ attention: false }`): the tensor front end then composes
   * those ops from the primitives. All are on by default where the device can bind them (see
   * `FUSED_STORAGE_BUFFERS`).
   */
  fused?: Partial<Record<OverrideName, boolean>>;
}

const MAP_WRITE_SRC_USAGE = 0x4; /* COPY_SRC (mappedAtCreation) */

function typedFor(dtype: DType, buf: ArrayBuffer, length: number): TypedArray {
  return dtype === 'int32' ? new Int32Array(buf, 0, length) : new Float32Array(buf, 0, length);
}

/** The WebGPU implementation of the tensor `Backend` contract (create it with `initWebGPU`). */
export class WebGPUBackend implements Backend {
  readonly name = 'webgpu';
  readonly info: BackendInfo;
  /** The device all work runs on. */
  readonly device: GPUDevice;
  /** The fused kernels this device can run (see `FUSED_STORAGE_BUFFERS` and the `fused` option). */
  readonly overrides: BackendOverrides;
  /** Distinct buffers one elementwise kernel may bind. */
  readonly maxElementwiseOperands: number;

  private readonly rt: GpuRuntime;
  private readonly ctx: LaunchContext;
  private readonly scatterMode: ScatterAddMode;
  private readonly mmConfig: MatmulConfig;
  /** Larger tiles to prefer where they pay, largest first (software adapters without an explicit `matmul` option), else none. */
  private readonly mmTiles: MatmulConfig[];
  private readonly ownsDevice: boolean;
  private readonly live = new Set<WebGPUStorage>();
  private liveBytes = 0;

  /** Wrap a device; prefer `initWebGPU()`, which finds an adapter and requests proper limits. */
  constructor(device: GPUDevice, info: BackendInfo, options: WebGPUBackendOptions = {}) {
    this.device = device;
    this.info = info;
    this.rt = new GpuRuntime(device, { maxCommandsPerSubmit: options.maxCommandsPerSubmit });
    this.scatterMode = options.scatterAdd ?? 'auto';
    this.mmConfig = { ...DEFAULT_MATMUL, ...options.matmul };
    const software = isSoftwareAdapter(info);
    const large = device.limits.maxComputeWorkgroupStorageSize >= 32768 ? [LARGE_MATMUL] : [];
    this.mmTiles = options.matmul === undefined && software ? [...large, TALL_MATMUL] : [];
    this.ownsDevice = options.ownsDevice ?? true;
    this.maxElementwiseOperands = device.limits.maxStorageBuffersPerShaderStage;
    this.ctx = {
      rt: this.rt,
      own: (s, op) => ownStorage(this, s, op),
      temp: (size, dtype) => this.allocate(size, dtype) as WebGPUStorage,
      free: (s) => this.release(s),
      rowPerInvocation: (rows, cols) => rowPerInvocation(rows, cols, software),
    };
    const ctx = this.ctx;
    const all: Required<BackendOverrides> = {
      softmax: (a) => (this.rt.check(), launchSoftmax(ctx, a)),
      logsumexp: (a) => (this.rt.check(), launchLogsumexp(ctx, a)),
      layerNorm: (a) => (this.rt.check(), launchLayerNorm(ctx, a)),
      rmsNorm: (a) => (this.rt.check(), launchRmsNorm(ctx, a)),
      layerNormBackward: (a) => (this.rt.check(), launchLayerNormBackward(ctx, a)),
      rmsNormBackward: (a) => (this.rt.check(), launchRmsNormBackward(ctx, a)),
      crossEntropy: (a) => (this.rt.check(), launchCrossEntropy(ctx, a)),
      crossEntropyBackward: (a) => (this.rt.check(), launchCrossEntropyBackward(ctx, a)),
      attention: (a) => (this.rt.check(), launchAttention(ctx, a)),
      rope: (a) => (this.rt.check(), launchRope(ctx, a)),
      sumColumns: (a) => (this.rt.check(), launchSumColumns(ctx, a)),
    };
    const offered: BackendOverrides = {};
    const maxStorage = device.limits.maxStorageBuffersPerShaderStage;
    for (const name of Object.keys(all) as OverrideName[]) {
      if (options.fused?.[name] === false || FUSED_STORAGE_BUFFERS[name] > maxStorage) continue;
      (offered as Record<string, unknown>)[name] = all[name];
    }
    this.overrides = offered;
  }

  /** Number of queue submissions so far (for tests and diagnostics). */
  get submissions(): number {
    return this.rt.submissions;
  }

  /** Number of compute dispatches recorded so far (dispatches per training step: the difference across a step). */
  get dispatches(): number {
    return this.rt.dispatches;
  }

  /** Number of storage GPUBuffers created so far; the rest of the allocations were served by the pool. */
  get buffersCreated(): number {
    return this.rt.pool.created;
  }

  /** Commands recorded per submission (default 64; larger batches mean fewer submits). */
  get maxCommandsPerSubmit(): number {
    return this.rt.maxCommands;
  }
  set maxCommandsPerSubmit(n: number) {
    this.rt.maxCommands = Math.max(1, Math.floor(n));
  }

  /** float32 and int32 (no float64 on WebGPU). */
  supportsDType(dtype: DType): boolean {
    return dtype === 'float32' || dtype === 'int32';
  }

  // ------------------------------------------------------------------ memory

  /** A new storage of `size` elements (contents undefined). */
  allocate(size: number, dtype: DType): Storage {
    this.rt.check();
    if (!this.supportsDType(dtype)) throw new Error(`webgpu: dtype ${dtype} is not supported (use the cpu backend)`);
    if (!Number.isInteger(size) || size < 0) throw new Error(`webgpu: allocate: size must be a non-negative integer, got ${size}`);
    const need = size * 4;
    const max = Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
    if (need > max) throw new Error(`webgpu: allocate: ${size} ${dtype} elements (${need} bytes) exceed the device's maxStorageBufferBindingSize (${max} bytes)`);
    const bytes = Math.min(bucketBytes(need), max);
    const s = new WebGPUStorage(this, dtype, size, this.rt.pool.acquire(bytes), bytes);
    this.live.add(s);
    this.liveBytes += bytes;
    return s;
  }

  /** A new storage holding a copy of `data`. */
  upload(data: TypedArray, dtype: DType): Storage {
    const s = this.allocate(data.length, dtype);
    this.write(s, data);
    return s;
  }

  /** Release a storage; its buffer returns to the pool after the next submit. */
  release(storage: Storage): void {
    const s = ownStorage(this, storage, 'release');
    if (this.rt.isDestroyed) return;
    const buffer = s.buffer!;
    s.buffer = null;
    this.live.delete(s);
    this.liveBytes -= s.bytes;
    this.rt.pool.give(buffer, s.bytes, this.rt.recording);
  }

  /** Destroy the pooled (unused) buffers, returning their memory to the driver. */
  emptyCache(): void {
    this.rt.check();
    this.rt.pool.empty();
  }

  /** Overwrite a whole storage from host data of the same length (ordered after queued kernels). */
  write(storage: Storage, data: TypedArray): void {
    this.rt.check();
    const s = ownStorage(this, storage, 'write');
    if (data.length !== s.size) throw new Error(`webgpu: write: data has ${data.length} elements, storage has ${s.size}`);
    if (data instanceof Float64Array) throw new Error('webgpu: write: Float64Array data is not supported (float64 is cpu-only)');
    const expected = s.dtype === 'int32' ? Int32Array : Float32Array;
    const src = data instanceof expected ? data : expected.from(data as ArrayLike<number>);
    if (src.length === 0) return;
    const bytes = src.length * 4;
    if (!this.rt.recording) {
      this.device.queue.writeBuffer(s.buffer!, 0, src.buffer, src.byteOffset, bytes);
      return;
    }
    // Kernels are recorded but not yet submitted: writeBuffer would overtake them, so copy from a
    // staging buffer inside the encoder instead.
    const staging = this.device.createBuffer({ label: 'unihetero write staging', size: bytes, usage: MAP_WRITE_SRC_USAGE, mappedAtCreation: true });
    new Uint8Array(staging.getMappedRange()).set(new Uint8Array(src.buffer, src.byteOffset, bytes));
    staging.unmap();
    this.rt.copyBuffer(staging, 0, s.buffer!, 0, bytes);
    this.rt.destroyAfterSubmit(staging);
  }

  /** Read a whole storage back to the host (flushes queued work). */
  async read(storage: Storage): Promise<TypedArray> {
    this.rt.check();
    const s = ownStorage(this, storage, 'read');
    const raw = await this.rt.readBack(s.buffer!, s.size * 4);
    return typedFor(s.dtype, raw, s.size);
  }

  /** Memory counters: live storages, their bytes, and pooled bytes (including releases awaiting submit). */
  memory(): BackendMemory {
    return { storages: this.live.size, bytesInUse: this.liveBytes, bytesPooled: this.rt.pool.bytesPooled() };
  }

  /** Submit the recorded commands now. */
  flush(): void {
    this.rt.check();
    this.rt.submit();
  }

  /** Wait until all submitted work has completed; throws errors reported by earlier kernels. */
  async sync(): Promise<void> {
    this.rt.check();
    await this.rt.syncErrors();
  }

  /** Free every buffer and (when owned) the device. Safe to call twice. */
  destroy(): void {
    if (this.rt.isDestroyed) return;
    for (const s of this.live) {
      s.buffer?.destroy();
      s.buffer = null;
    }
    this.live.clear();
    this.liveBytes = 0;
    this.rt.destroy();
    if (this.ownsDevice) this.device.destroy();
  }

  /**
   * Compile a WGSL compute kernel (entry point `main`) and wait for the verdict; throws an error
   * naming the kernel with the compiler's message. Internal: used by tests and diagnostics.
   */
  compileKernel(name: string, wgsl: string): Promise<GPUComputePipeline> {
    return this.rt.compileKernel(name, wgsl);
  }

  // ------------------------------------------------------------------ primitives

  /** Evaluate an expression program at every element (one generated WGSL kernel). */
  elementwise(program: Program, inputs: readonly View[], outputs: readonly View[], scalars: ArrayLike<number>): void {
    this.rt.check();
    launchElementwise(this.ctx, { program, inputs, outputs, scalars });
  }

  /** Reduce each row of contiguous `x [rows, cols]` into `out [rows]`. */
  reduce(op: ReduceOp, x: Storage, offset: number, rows: number, cols: number, out: Storage): void {
    this.rt.check();
    launchReduce(this.ctx, { op, x, offset, rows, cols, out });
  }

  /** The tile configuration this backend uses for a product of `M` rows and `N` columns (see the `matmul` option; without `N`, rows decide). */
  matmulTile(M: number, N?: number): MatmulConfig {
    return pickMatmulTileOf(M, N, this.mmConfig, this.mmTiles);
  }

  /** Batched `out[b] = a[b] @ b[b]` for views `a [B, M, K]`, `b [B, K, N]`. */
  matmul(a: View, b: View, out: Storage): void {
    this.rt.check();
    launchMatmul(this.ctx, { a, b, out, config: this.matmulTile(a.shape[1]!, b.shape[2]!) });
  }

  /** `out[o, j, i] = x[o, index[o, j, i], i]`. */
  gather(x: View, index: View, out: Storage): void {
    this.rt.check();
    launchGather(this.ctx, { x, index, out });
  }

  /** `target[o, index[o, j, i], i] += src[o, j, i]`. */
  scatterAdd(target: Storage, index: View, src: View): void {
    this.rt.check();
    launchScatterAdd(this.ctx, { target, index, src, mode: this.scatterMode });
  }
}
