/**
 * Test helpers: one shared WebGPU backend per test file, a CPU reference backend, strided view
 * construction, running the same kernel calls on both backends, and tolerance checks.
 */
import { afterAll, beforeAll } from 'vitest';
import { CpuBackend, Generator, contiguousStrides, getDefaultBackend, setDefaultBackend, type Backend, type DType, type Storage, type TypedArray, type View, kernels } from '@unihetero/tensor';
import { initWebGPU, type InitWebGPUOptions, type WebGPUBackend } from '../src/index.js';

/** Handles filled in by `useBackends()` before the tests of a file run. */
export interface Backends {
  gpu: WebGPUBackend;
  cpu: Backend;
}

/**
 * Create one WebGPU backend (and a CPU reference) for the whole file; destroyed in afterAll, after
 * the default backend (which tests may set) is restored.
 */
export function useBackends(options: InitWebGPUOptions = {}): Backends {
  const b = {} as Backends;
  let previous: Backend;
  beforeAll(async () => {
    previous = getDefaultBackend();
    b.gpu = await initWebGPU(options);
    b.cpu = new CpuBackend();
  });
  afterAll(() => {
    setDefaultBackend(previous);
    b.gpu?.destroy();
    b.cpu?.destroy();
  });
  return b;
}

/** A view (contiguous unless strides are given). */
export function view(storage: Storage, shape: readonly number[], strides?: readonly number[], offset = 0): View {
  return { storage, shape, strides: strides ?? contiguousStrides(shape), offset };
}

/** The same view description on another storage. */
export function rebase(v: View, storage: Storage): View {
  return { storage, shape: v.shape, strides: v.strides, offset: v.offset };
}

/** Deterministic host data. */
export const gen = new Generator(20240601);
/** n normal samples (times `scale`). */
export const normals = (n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => gen.normal() * scale);
/** n uniform samples in [lo, hi). */
export const uniforms = (n: number, lo: number, hi: number): Float32Array => Float32Array.from({ length: n }, () => lo + (hi - lo) * gen.uniform());
/** n integers in [lo, hi). */
export const ints = (n: number, lo: number, hi: number): Int32Array => Int32Array.from({ length: n }, () => lo + gen.int(hi - lo));

/** Storage bookkeeping for one backend inside `onBoth`. */
export interface Ctx {
  be: Backend;
  up(data: TypedArray, dtype?: DType): Storage;
  alloc(size: number, dtype?: DType): Storage;
}

/**
 * Run `body` on the GPU and on the CPU with fresh storages, read the storages it returns and
 * release everything it made. Returns [gpu results, cpu results].
 */
export async function onBoth(b: Backends, body: (c: Ctx) => Storage[]): Promise<[TypedArray[], TypedArray[]]> {
  const run = async (be: Backend): Promise<TypedArray[]> => {
    const made: Storage[] = [];
    const ctx: Ctx = {
      be,
      up: (data, dtype) => {
        const s = be.upload(data, dtype ?? (data instanceof Int32Array ? 'int32' : 'float32'));
        made.push(s);
        return s;
      },
      alloc: (size, dtype = 'float32') => {
        const s = be.allocate(size, dtype);
        kernels.fill(be, s, 0);
        made.push(s);
        return s;
      },
    };
    const outs = body(ctx);
    const results = await Promise.all(outs.map((s) => be.read(s)));
    for (const s of made) be.release(s);
    return results;
  };
  return [await run(b.gpu), await run(b.cpu)];
}

/** Tolerances: |got - want| <= atol + rtol * |want| (NaN matches NaN, infinities must match). */
export interface Tol {
  rtol: number;
  atol: number;
}

/** Elementwise float32 ops: different libm / operation order, a few ulp. */
export const ELEMENTWISE: Tol = { rtol: 1e-5, atol: 1e-6 };
/** Reductions and matmul: different summation orders. */
export const ACCUMULATE: Tol = { rtol: 1e-4, atol: 1e-5 };
/** Exact (integers, copies, comparisons, gathers). */
export const EXACT: Tol = { rtol: 0, atol: 0 };

/** Throw a descriptive error at the first element out of tolerance. */
export function expectClose(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: Tol): void {
  if (got.length !== want.length) throw new Error(`${what}: length ${got.length} vs ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w) ? Number.isNaN(g) : g === w || Math.abs(g - w) <= tol.atol + tol.rtol * Math.abs(w)) continue;
    throw new Error(`${what}[${i}]: webgpu ${g} vs cpu ${w} (rtol ${tol.rtol}, atol ${tol.atol})`);
  }
}
