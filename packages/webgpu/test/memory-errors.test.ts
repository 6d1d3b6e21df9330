/**
 * Memory pool, batched submission, write ordering, device discovery and error paths.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CpuBackend, kernels } from '@unihetero/tensor';
import { WebGPUBackend, bucketBytes, createBackend, initWebGPU, isSoftwareAdapter } from '../src/index.js';
import { view } from './helpers.js';

let gpu: WebGPUBackend;
beforeAll(async () => {
  gpu = await initWebGPU();
});
afterAll(() => gpu?.destroy());

describe('device', () => {
  it('describes the adapter and the limits it got', () => {
    expect(gpu.name).toBe('webgpu');
    expect(gpu.info.kind).toBe('webgpu');
    expect(gpu.info.description.length).toBeGreaterThan(0);
    const limits = gpu.info.details!.limits as Record<string, number>;
    expect(limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(256);
    expect(limits.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(4);
    expect(['core', 'compatibility']).toContain(gpu.info.details!.featureLevel);
  });

  it('supports float32 and int32 but not float64', () => {
    expect(gpu.supportsDType('float32')).toBe(true);
    expect(gpu.supportsDType('int32')).toBe(true);
    expect(gpu.supportsDType('float64')).toBe(false);
    expect(() => gpu.allocate(4, 'float64')).toThrow('webgpu: dtype float64 is not supported (use the cpu backend)');
  });
});

describe('memory pool', () => {
  it('buckets sizes (min 256 bytes, quarter-octave steps)', () => {
    // [requested bytes, bucket]
    const buckets: [number, number][] = [[1, 256], [256, 256], [257, 512], [1024, 1024], [1100, 1280], [4097, 5120]];
    expect(buckets.map(([n]) => bucketBytes(n))).toEqual(buckets.map(([, b]) => b));
  });

  it('keeps bytesInUse flat over 1,000 allocate/compute/release cycles and reuses buffers', async () => {
    const x = gpu.upload(Float32Array.from({ length: 1000 }, (_, i) => i), 'float32');
    await gpu.sync();
    const base = gpu.memory();
    const created = gpu.buffersCreated;
    let peakPooled = 0;
    for (let i = 0; i < 1000; i++) {
      const y = gpu.allocate(1000, 'float32');
      kernels.unary(gpu, 'mul_scalar', view(x, [1000]), y, { a: 2 });
      const z = gpu.allocate(1000 - (i % 7), 'float32');
      kernels.unary(gpu, 'exp', view(y, [1000 - (i % 7)]), z);
      gpu.release(y);
      gpu.release(z);
      peakPooled = Math.max(peakPooled, gpu.memory().bytesPooled);
      expect(gpu.memory().bytesInUse).toBe(base.bytesInUse);
    }
    await gpu.sync();
    const after = gpu.memory();
    expect(after.storages).toBe(base.storages);
    expect(after.bytesInUse).toBe(base.bytesInUse);
    // 2,000 allocations (4 KiB and 3-4 KiB requests share a bucket) were served by a handful of buffers.
    expect(gpu.buffersCreated - created).toBeLessThanOrEqual(2 * 64 + 4);
    // Buffers are recycled: the pool never holds more than a couple of submissions' worth.
    expect(peakPooled).toBeLessThanOrEqual(2 * 64 * 4096 + base.bytesPooled);
    gpu.release(x);
  });

  it('batches many dispatches per submission', async () => {
    const x = gpu.upload(new Float32Array(64).fill(1), 'float32');
    await gpu.sync();
    const before = gpu.submissions;
    for (let i = 0; i < 640; i++) kernels.unary(gpu, 'add_scalar', view(x, [64]), x, { a: 1 });
    const r = await gpu.read(x);
    expect(r[0]).toBe(641);
    expect(gpu.submissions - before).toBeLessThanOrEqual(11);
    gpu.release(x);
  });

  it('orders host writes after queued kernels', async () => {
    const x = gpu.upload(Float32Array.from([1, 2, 3]), 'float32');
    const y = gpu.allocate(3, 'float32');
    kernels.unary(gpu, 'neg', view(x, [3]), y); // recorded, not submitted
    gpu.write(x, Float32Array.from([10, 20, 30])); // must not overtake the kernel
    kernels.unary(gpu, 'add_scalar', view(x, [3]), x, { a: 0.5 });
    expect(Array.from(await gpu.read(y))).toEqual([-1, -2, -3]);
    expect(Array.from(await gpu.read(x))).toEqual([10.5, 20.5, 30.5]);
    gpu.release(x);
    gpu.release(y);
  });

  it('handles outputs that alias inputs', async () => {
    const x = gpu.upload(Float32Array.from([1, 2, 3, 4]), 'float32');
    kernels.copy(gpu, view(x, [2], [1], 0), view(x, [2], [1], 2)); // [1, 2, 1, 2]
    kernels.binary(gpu, 'mul', view(x, [4]), view(x, [4]), x);
    expect(Array.from(await gpu.read(x))).toEqual([1, 4, 1, 4]);
    gpu.release(x);
  });

  it('computes in place (outputs that are also inputs of row kernels)', async () => {
    const data = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const x = gpu.upload(data, 'float32');
    kernels.softmax(gpu, x, 0, 2, 3, x, true);
    const lse = (a: number[]) => Math.log(a.reduce((p, v) => p + Math.exp(v), 0));
    const want = [...[1, 2, 3].map((v) => v - lse([1, 2, 3])), ...[4, 5, 6].map((v) => v - lse([4, 5, 6]))];
    Array.from(await gpu.read(x)).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    const y = gpu.upload(data, 'float32');
    const r = gpu.allocate(2, 'float32');
    gpu.overrides.rmsNorm!({ x: y, weight: null, rows: 2, cols: 3, eps: 0, out: y, rstd: r });
    const rs = [Math.sqrt(14 / 3), Math.sqrt(77 / 3)];
    Array.from(await gpu.read(y)).forEach((v, i) => expect(v).toBeCloseTo(data[i]! / rs[Math.floor(i / 3)]!, 5));
    for (const s of [x, y, r]) gpu.release(s);
  });

  it('reads empty storages and round-trips int32', async () => {
    const e = gpu.allocate(0, 'float32');
    expect((await gpu.read(e)).length).toBe(0);
    const i = gpu.upload(Int32Array.from([-2147483648, 2147483647, 0]), 'int32');
    const r = await gpu.read(i);
    expect(r).toBeInstanceOf(Int32Array);
    expect(Array.from(r)).toEqual([-2147483648, 2147483647, 0]);
    gpu.release(e);
    gpu.release(i);
  });
});

describe('errors', () => {
  it('release-then-read and double release throw', async () => {
    const s = gpu.upload(Float32Array.from([1]), 'float32');
    gpu.release(s);
    await expect(gpu.read(s)).rejects.toThrow(/read: storage was released/);
    expect(() => gpu.release(s)).toThrow(/release: storage was released/);
  });

  it('rejects storages of another backend and mismatched shapes', () => {
    const cpu = new CpuBackend();
    const c = cpu.upload(Float32Array.from([1, 2]), 'float32');
    const g = gpu.allocate(2, 'float32');
    expect(() => kernels.unary(gpu, 'neg', view(c, [2]), g)).toThrow(/storage belongs to another backend/);
    expect(() => gpu.matmul(view(g, [1, 1, 2]), view(g, [1, 1, 2]), g)).toThrow('matmul: inner dimensions differ: [1,1,2] @ [1,1,2]');
    gpu.release(g);
  });

  it('a broken WGSL kernel throws an error naming the kernel', async () => {
    await expect(gpu.compileKernel('broken_kernel', '@compute @workgroup_size(1) fn main() { let x: f32 = undefined_thing; }')).rejects.toThrow(
      /kernel broken_kernel failed to compile: .*undefined_thing/s,
    );
  });

  it('a failing submission names the kernels it contained', async () => {
    const g2 = await initWebGPU();
    try {
      const out = g2.allocate(4, 'float32');
      const kernel = { key: 'too_many_groups', name: 'too_many_groups', source: () => '@group(0) @binding(0) var<storage, read_write> o: array<f32>;\n@group(0) @binding(1) var<uniform> p: vec4<u32>;\n@compute @workgroup_size(1) fn main() { o[0] = f32(p.x); }' };
      // dispatch is internal; a grid over maxComputeWorkgroupsPerDimension fails validation at submit
      (g2 as unknown as { rt: { dispatch(d: unknown): void } }).rt.dispatch({ kernel, buffers: [(out as unknown as { buffer: GPUBuffer }).buffer], params: new Uint32Array(4), grid: [1e6, 1, 1] });
      await expect(g2.read(out)).rejects.toThrow(/submission with kernels \[too_many_groups\] failed/);
      // the error is reported once; later work succeeds
      kernels.fill(g2, out, 2);
      expect(Array.from(await g2.read(out))).toEqual([2, 2, 2, 2]);
    } finally {
      g2.destroy();
    }
  });

  it("several backends on one device, and the application's own listener, all hear its uncaptured errors", async () => {
    const g2 = await initWebGPU();
    const g3 = await initWebGPU({ device: g2.device });
    const heard: string[] = [];
    const own = (ev: Event) => heard.push((ev as GPUUncapturedErrorEvent).error.message);
    g2.device.addEventListener('uncapturederror', own);
    try {
      const provoke = async () => {
        g2.device.createBuffer({ size: 4, usage: 0xffffff }); // invalid usage, outside any error scope
        await g2.device.queue.onSubmittedWorkDone();
        await new Promise((r) => setTimeout(r, 50));
      };
      await provoke();
      expect(heard.length).toBe(1);
      for (const g of [g2, g3]) expect(() => g.allocate(1, 'float32')).toThrow(/^webgpu: GPUValidationError after kernel .*usage/is);
      // reported once per backend; both work again
      for (const g of [g2, g3]) g.release(g.allocate(1, 'float32'));
      // destroying one backend (the device is not its own) removes its own listener only
      const removed = vi.spyOn(g2.device, 'removeEventListener');
      g3.destroy();
      expect(removed.mock.calls.map((c) => c[0])).toEqual(['uncapturederror']);
      expect(removed.mock.calls[0]![1]).not.toBe(own);
      removed.mockRestore();
      await provoke();
      expect(heard.length).toBe(2);
      expect(() => g2.allocate(1, 'float32')).toThrow(/GPUValidationError/);
    } finally {
      g2.device.removeEventListener('uncapturederror', own);
      g3.destroy();
      g2.destroy();
    }
  });

  it('createBackend validates its argument and UNIHETERO_BACKEND', async () => {
    await expect(createBackend('tpu')).rejects.toThrow("createBackend: unknown backend 'tpu'; expected 'auto', 'webgpu' or 'cpu'");
    vi.stubEnv('UNIHETERO_BACKEND', 'gpu');
    try {
      await expect(createBackend()).rejects.toThrow(/unknown backend 'gpu' \(from UNIHETERO_BACKEND\)/);
      vi.stubEnv('UNIHETERO_BACKEND', 'cpu');
      const cpu = await createBackend();
      expect(cpu.name).toBe('cpu');
      cpu.destroy();
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("createBackend('webgpu') gives this machine's adapter; 'auto' passes over a software one", async () => {
    const w = await createBackend('webgpu');
    expect(w.name).toBe('webgpu');
    const software = isSoftwareAdapter(w.info);
    expect(software).toBe(/llvmpipe|swiftshader|lavapipe/i.test(w.info.description));
    w.destroy();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const a = await createBackend('auto');
      expect(a.name).toBe(software ? 'cpu' : 'webgpu');
      if (software) expect(warn.mock.calls[0]![0]).toMatch(/the only WebGPU adapter is a software rasterizer \(.*\); using the CPU backend/);
      a.destroy();
      const b = await createBackend('auto', { allowSoftwareAdapter: true });
      expect(b.name).toBe('webgpu');
      b.destroy();
    } finally {
      warn.mockRestore();
    }
  });

  it('a destroyed backend throws on every call', async () => {
    const g2 = await initWebGPU();
    const s = g2.upload(Float32Array.from([1]), 'float32');
    g2.destroy();
    expect(() => g2.allocate(1, 'float32')).toThrow('webgpu: the backend was destroyed');
    await expect(g2.read(s)).rejects.toThrow(/destroyed|released/);
    g2.destroy(); // idempotent
  });

  it('device loss makes every call throw with the reason', async () => {
    const device = gpu.device;
    void device;
    const g3 = await initWebGPU();
    g3.device.destroy(); // simulate a loss the backend did not cause
    await g3.device.lost;
    await new Promise((r) => setTimeout(r, 0));
    expect(() => g3.allocate(1, 'float32')).toThrow(/webgpu: device lost \(destroyed\)/);
    g3.destroy();
  });
});
