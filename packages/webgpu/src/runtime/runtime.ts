/**
 * The WebGPU runtime under every kernel launcher: the device and its queue, errors (compile
 * errors through error scopes, validation errors per submission, device loss, GPU-side index
 * errors), the pipeline cache, the per-dispatch uniform arena, the shared command encoder /
 * compute pass with batched submission, and the buffer pool's recycling at each submit.
 */
import { BufferPool, STORAGE_BUFFER_USAGE } from './pool.js';
import { WebGPUStorage } from './storage.js';

const UNIFORM_USAGE = 0x40 /* UNIFORM */ | 0x8; /* COPY_DST */
const MAP_READ_USAGE = 0x1 /* MAP_READ */ | 0x8; /* COPY_DST */
const MAP_MODE_READ = 0x1;

/** Codes the indexing and cross-entropy kernels write into the error buffer. */
export const ERR_CODES: Record<number, string> = { 1: 'gather', 2: 'scatterAdd', 3: 'crossEntropy (target)' };

/** A compute kernel: cache key, name for labels and errors, WGSL source (built on first use). */
export interface Kernel {
  key: string;
  name: string;
  source: () => string;
}

/** One dispatch: a kernel, its storage buffers (bindings 0..n-1; the uniform comes after), its uniform words and its grid. */
export interface Dispatch {
  kernel: Kernel;
  buffers: readonly GPUBuffer[];
  params: Uint32Array;
  grid: readonly [number, number, number];
}

/** f32 bits of a number. */
export const f32Bits = (v: number): number => new Uint32Array(Float32Array.of(v).buffer)[0]!;
/**
 * The uniform words of a launch: each of `values` at its word in `layout` (a kernel's table of word
 * indices plus its length `words`), in whole vec4s, every other word 0.
 */
export function uniformWords<L extends { readonly words: number }>(layout: L, values: { readonly [K in Exclude<keyof L, 'words'>]?: number }): Uint32Array {
  const p = new Uint32Array(Math.ceil(layout.words / 4) * 4);
  const at = layout as unknown as Record<string, number>;
  for (const [k, v] of Object.entries(values) as [string, number][]) p[at[k]!] = v;
  return p;
}
/** i32 bits of a number (truncated, saturated, NaN to 0). */
export const i32Bits = (v: number): number => {
  const c = Number.isNaN(v) ? 0 : Math.max(-2147483648, Math.min(2147483647, Math.trunc(v)));
  return c >>> 0;
};

/** Device, queue, errors, pipelines, uniforms and submission (see the module comment). */
export class GpuRuntime {
  readonly pool: BufferPool;
  /** Largest workgroup size the launchers use (<= 256). */
  readonly wg: number;
  /** `maxComputeWorkgroupsPerDimension`. */
  readonly maxGroups: number;
  /** The error buffer the indexing / cross-entropy kernels report out-of-range indices into. */
  readonly errorBuffer: GPUBuffer;
  /** Queue submissions so far. */
  submissions = 0;
  /** Compute dispatches recorded so far. */
  dispatches = 0;
  /** Submit after this many recorded commands. */
  maxCommands: number;

  private readonly uniformAlign: number;
  private readonly uniformCapacity = 64 * 1024;
  private readonly uniformBuffer: GPUBuffer;
  private readonly uniformData: ArrayBuffer;
  private readonly uniformWords: Uint32Array;
  private uniformUsed = 0;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private commands = 0;
  private readonly batchKernels = new Set<string>();
  private lastKernel = '(none)';
  private pendingDestroy: GPUBuffer[] = [];
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly pendingChecks = new Set<Promise<void>>();
  private deferredError: Error | null = null;
  private lostInfo: { reason: string; message: string } | null = null;
  private destroyed = false;

  constructor(
    readonly device: GPUDevice,
    options: { maxCommandsPerSubmit?: number },
  ) {
    this.pool = new BufferPool(device);
    this.maxCommands = Math.max(1, options.maxCommandsPerSubmit ?? 64);
    const lim = device.limits;
    this.wg = Math.min(256, lim.maxComputeInvocationsPerWorkgroup, lim.maxComputeWorkgroupSizeX);
    this.maxGroups = lim.maxComputeWorkgroupsPerDimension;
    this.uniformAlign = Math.max(16, lim.minUniformBufferOffsetAlignment);
    this.uniformBuffer = device.createBuffer({ label: 'unihetero uniforms', size: this.uniformCapacity, usage: UNIFORM_USAGE });
    this.uniformData = new ArrayBuffer(this.uniformCapacity);
    this.uniformWords = new Uint32Array(this.uniformData);
    this.errorBuffer = device.createBuffer({ label: 'unihetero kernel errors', size: 256, usage: STORAGE_BUFFER_USAGE });
    device.lost.then((info) => {
      this.lostInfo = { reason: String(info.reason), message: info.message };
    });
    // A listener, not `device.onuncapturederror`: several backends on one device (and the
    // application's own handler) each hear the device's errors.
    device.addEventListener('uncapturederror', this.onUncapturedError);
  }

  private readonly onUncapturedError = (ev: Event): void => {
    const error = (ev as GPUUncapturedErrorEvent).error;
    // Follow-up errors ("... is invalid due to a previous error") are skipped: the root cause
    // (a kernel that failed to compile) arrives through its error scope and names the kernel.
    if (/due to a previous error/.test(error.message)) return;
    this.deferredError ??= new Error(`webgpu: ${error.constructor?.name ?? 'error'} after kernel ${this.lastKernel}: ${error.message}`);
  };

  // ------------------------------------------------------------------ errors and lifetime

  /** Throw when the backend is unusable or an earlier asynchronous GPU error is pending. */
  check(): void {
    if (this.destroyed) throw new Error('webgpu: the backend was destroyed');
    if (this.lostInfo) throw new Error(`webgpu: device lost (${this.lostInfo.reason}): ${this.lostInfo.message}`);
    if (this.deferredError) {
      const e = this.deferredError;
      this.deferredError = null;
      throw e;
    }
  }

  /** True once `destroy()` ran. */
  get isDestroyed(): boolean {
    return this.destroyed;
  }

  private track(p: Promise<void>): void {
    const q = p.finally(() => this.pendingChecks.delete(q));
    this.pendingChecks.add(q);
  }

  /** Wait for outstanding error-scope results, then throw any error they reported. */
  async settle(): Promise<void> {
    while (this.pendingChecks.size > 0) await Promise.all([...this.pendingChecks]);
    this.check();
  }

  /** Throw the index error the kernels recorded (the first 3 words of the error buffer), if any. */
  throwKernelError(words: Uint32Array): void {
    if (words[0] === 0) return;
    const kernel = ERR_CODES[words[0]!] ?? `kernel ${words[0]}`;
    throw new Error(`webgpu: ${kernel}: index ${words[1]! | 0} is out of range for a dimension of size ${words[2]} (detected on the GPU)`);
  }

  /** Stop everything: drop the encoder, destroy the pool, the uniform and error buffers. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.device.removeEventListener('uncapturederror', this.onUncapturedError);
    this.pass = null;
    this.encoder = null;
    this.pool.destroy();
    for (const b of this.pendingDestroy) b.destroy();
    this.pendingDestroy = [];
    this.uniformBuffer.destroy();
    this.errorBuffer.destroy();
    this.pipelines.clear();
  }

  // ------------------------------------------------------------------ recording and submission

  /** True while commands are recorded and not yet submitted. */
  get recording(): boolean {
    return this.encoder !== null;
  }

  private ensureEncoder(): GPUCommandEncoder {
    if (this.encoder === null) this.encoder = this.device.createCommandEncoder({ label: 'unihetero batch' });
    return this.encoder;
  }

  /** The shared encoder with no compute pass open (for copies and clears). */
  encoderForCopy(): GPUCommandEncoder {
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

  /** Count one recorded command; submit when the batch is full. */
  countCommand(): void {
    if (++this.commands >= this.maxCommands) this.submit();
  }

  /** Destroy `buffer` after the next submit (a staging buffer the recorded commands still use). */
  destroyAfterSubmit(buffer: GPUBuffer): void {
    this.pendingDestroy.push(buffer);
  }

  /** Submit the recorded commands (with their uniform range), then recycle released buffers. */
  submit(): void {
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
    this.pool.recycle();
    for (const b of this.pendingDestroy) b.destroy();
    this.pendingDestroy = [];
  }

  /** Submit, then copy the error words into a mappable buffer and wait for them; throws recorded errors. */
  async syncErrors(): Promise<void> {
    await this.mapWithErrors(null, 0, 'sync failed');
  }

  /** Read `bytes` of `buffer` back (plus the error words), after submitting the recorded work. */
  async readBack(buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    return this.mapWithErrors(buffer, bytes, 'read: mapping the result failed');
  }

  /**
   * Submit the recorded work with a copy of `bytes` of `buffer` (none when null) followed by the
   * error words, map it, clear the error words and throw any recorded kernel error.
   */
  private async mapWithErrors(buffer: GPUBuffer | null, bytes: number, failure: string): Promise<ArrayBuffer> {
    const staging = this.device.createBuffer({ label: buffer ? 'unihetero read staging' : 'unihetero sync staging', size: bytes + 16, usage: MAP_READ_USAGE });
    const enc = this.encoderForCopy();
    if (buffer && bytes > 0) enc.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
    enc.copyBufferToBuffer(this.errorBuffer, 0, staging, bytes, 16);
    enc.clearBuffer(this.errorBuffer, 0, 16);
    this.submit();
    try {
      await staging.mapAsync(MAP_MODE_READ);
    } catch (e) {
      staging.destroy();
      await this.settle();
      throw new Error(`webgpu: ${failure}: ${(e as Error).message}`);
    }
    const raw = staging.getMappedRange().slice(0);
    staging.unmap();
    staging.destroy();
    await this.settle();
    this.throwKernelError(new Uint32Array(raw, bytes, 4));
    return raw;
  }

  // ------------------------------------------------------------------ pipelines and dispatch

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

  /** Compile a WGSL kernel (entry point `main`) and wait for the verdict; throws naming the kernel. */
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

  /** Reserve a uniform range for one dispatch (submitting first when the arena is full). */
  private uniformSlot(params: Uint32Array): number {
    const size = Math.ceil(params.byteLength / this.uniformAlign) * this.uniformAlign;
    if (this.uniformUsed + size > this.uniformCapacity) this.submit();
    const off = this.uniformUsed;
    this.uniformWords.set(params, off / 4);
    this.uniformUsed += size;
    return off;
  }

  /** Record one dispatch: storage buffers at bindings 0.., the params uniform after them. */
  dispatch(d: Dispatch): void {
    const { kernel: k, buffers, params, grid } = d;
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
    this.dispatches++;
    this.countCommand();
  }

  /** Record a buffer-to-buffer copy. */
  copyBuffer(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    if (bytes === 0) return;
    this.encoderForCopy().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.countCommand();
  }

  /** A 1-D launch of `threads` invocations in workgroups of `wg`, as a 2-D grid when needed. */
  grid1d(threads: number, wg: number): { grid: [number, number, number]; rowStride: number } {
    const groups = Math.ceil(threads / wg);
    if (groups <= this.maxGroups) return { grid: [groups, 1, 1], rowStride: groups * wg };
    const y = Math.ceil(groups / this.maxGroups);
    const x = Math.ceil(groups / y);
    if (y > this.maxGroups) throw new Error(`webgpu: ${threads} invocations exceed the dispatch limits`);
    return { grid: [x, y, 1], rowStride: x * wg };
  }

  /** One workgroup per item as a 2-D grid; returns the grid and its x extent. */
  gridGroups(items: number): { grid: [number, number, number]; gridX: number } {
    if (items <= this.maxGroups) return { grid: [items, 1, 1], gridX: items };
    const y = Math.ceil(items / this.maxGroups);
    const x = Math.ceil(items / y);
    return { grid: [x, y, 1], gridX: x };
  }
}

/** Throw unless `s` is a live storage of `owner`. */
export function ownStorage(owner: unknown, s: unknown, op: string): WebGPUStorage {
  if (!(s instanceof WebGPUStorage) || s.backend !== owner) {
    throw new Error(`webgpu: ${op}: storage belongs to another backend (${(s as { backend?: { name?: string } })?.backend?.name ?? 'unknown'})`);
  }
  if (s.buffer === null) throw new Error(`webgpu: ${op}: storage was released (size ${s.size}, ${s.dtype})`);
  return s;
}
