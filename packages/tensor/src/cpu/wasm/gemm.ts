/**
 * Host side of the WebAssembly SIMD float32 GEMM: compiles the generated module (synchronously;
 * it is well below the 4 KiB limit browsers put on synchronous compiles on the main thread),
 * owns one instance and its memory, packs A / B blocks from any strides into that memory (as f64
 * or f32, per the kernel), runs the macro-kernel and copies the finished rows out.
 *
 * Blocking is GotoBLAS-style: a `KC x NC` block of B (the macro-kernel's working set, streamed from
 * L2/L3) and an `MC x KC` block of A (kept in L2) per call, the C block for `RC` rows x `NC` columns
 * resident in WASM memory while K is swept, so its memory stays bounded (a few MiB) for any problem
 * size. The f64 kernel multiplies and sums in float64 (`f64x2.mul`, `f64x2.add`) over the whole of
 * K and rounds once; the f32 kernel multiplies and sums in float32 (`f32x4.mul`, `f32x4.add`, no
 * fused multiply-add), an error of a few float32 ulps of `sum_k |a_ik b_kj|`.
 *
 * `runDense` skips the packing where it costs most: a dense A (row-major for narrow products,
 * k-major always) and a dense row-major B are copied whole into the memory (one `set` each) and
 * read in place by the strided companion kernel, with bitwise the packed path's result.
 */
import { type GemmElem, type GemmShape, elemBytes, gemmModuleBytes, gemmStridedModuleBytes, simdProbeBytes } from './gemm-module.js';
import { type WasmInstance, type WasmMemory, type WasmModule, type WasmNamespace, wasmApi } from './wasm-api.js';
import { type GemmJob, GemmPool, type GemmPoolModule, gemmThreadsAvailable } from './gemm-threads.js';

/** Cache blocking of `WasmGemm` (in elements). */
export interface GemmBlocking {
  /** K extent of a packed block. */
  readonly kc: number;
  /** Rows of a packed A block (rounded to the micro-tile). */
  readonly mc: number;
  /** Columns of a packed B block (rounded to the micro-tile). */
  readonly nc: number;
  /** Upper bound on the float32 elements of the resident C block. */
  readonly cElements: number;
}

/** Default blocking: 64 KiB A block, B block up to 1 MiB, C block up to 4 MiB. */
export const GEMM_BLOCKING: GemmBlocking = { kc: 256, mc: 64, nc: 1024, cElements: 1 << 20 };

const PAGE = 65536;

let simdSupport: boolean | undefined;

/** Whether this engine runs WebAssembly with 128-bit SIMD (validates a tiny SIMD module once). */
export function wasmSimdSupported(): boolean {
  if (simdSupport === undefined) {
    const wa = wasmApi();
    simdSupport = wa !== null && wa.validate(simdProbeBytes());
  }
  return simdSupport;
}

/**
 * The default kernels: float32 operands packed as f64 and accumulated in f64x2 lanes on a 4 x 8
 * tile (16 accumulators; `accumulate: 'float64'`, the accuracy of the JS path), and f32x4 lanes on a
 * 4 x 16 tile (16 accumulators; `accumulate: 'float32'`, about twice as fast). Both K-unrolled by 2;
 * each measured fastest of the tiles tried (4 x 4 ... 8 x 8, K unrolled by 2 / 4 / 8) in Node 20's
 * V8 on an AMD EPYC, although their live vectors exceed x64's 16 SIMD registers. The CPU backend
 * picks its f32 tile per machine (`gemm-tile.ts`: on an Intel Xeon 4 x 8 and 2 x 16 are faster).
 */
export const GEMM_SHAPES: readonly GemmShape[] = [
  { elem: 'f64', mr: 4, nr: 8, ku: 2 },
  { elem: 'f32', mr: 4, nr: 16, ku: 2 },
];

const modules = new Map<string, WasmModule>();

/** Pages (64 KiB) a threaded GEMM's shared memory may grow to: 1 GiB of address space, reserved, not committed. */
const SHARED_MAX_PAGES = 16384;

/** Compile (once per set of shapes and memory kind) the generated GEMM module. */
function compiled(wa: WasmNamespace, shapes: readonly GemmShape[], shared: boolean): WasmModule {
  const key = shapes.map((s) => `${s.elem}:${s.mr}x${s.nr}x${s.ku}`).join(',') + (shared ? '|shared' : '');
  let mod = modules.get(key);
  if (mod === undefined) {
    const bytes = gemmModuleBytes(shapes, shared ? SHARED_MAX_PAGES : null);
    if (!wa.validate(bytes)) throw new Error(`WasmGemm: the generated GEMM module (${key}) does not validate although SIMD is supported (emitter bug)`);
    mod = new wa.Module(bytes);
    modules.set(key, mod);
  }
  return mod;
}

/** Compile (once per f32 shape and memory kind) the strided companion module. */
function compiledStrided(wa: WasmNamespace, shape: GemmShape, shared: boolean): WasmModule {
  const key = `strided:${shape.elem}:${shape.mr}x${shape.nr}` + (shared ? '|shared' : '');
  let mod = modules.get(key);
  if (mod === undefined) {
    const bytes = gemmStridedModuleBytes(shape, shared ? SHARED_MAX_PAGES : null);
    if (!wa.validate(bytes)) throw new Error(`WasmGemm: the generated strided GEMM module (${key}) does not validate although SIMD is supported (emitter bug)`);
    mod = new wa.Module(bytes);
    modules.set(key, mod);
  }
  return mod;
}

type GemmFn = (pa: number, pb: number, pc: number, mTiles: number, nTiles: number, kc: number, ldc: number) => void;
type GemmStridedFn = (pa: number, sra: number, ska: number, pb: number, skb: number, bStep: number, pc: number, mTiles: number, nTiles: number, kc: number, ldc: number) => void;

/** Elements up to which `runDense` copies a dense operand into the instance's memory whole (16 MiB of float32). */
export const GEMM_DENSE_MAX_ELEMENTS = 1 << 22;

/**
 * Widest N for which `runDense` takes a row-major A: packing A costs about as much as 25 / N of the
 * product, the unpacked kernel's row-major loads 10-20% (measured crossover between N = 96 and
 * 192 at K = 64-128); a k-major A is always read in place (its packing is a strided gather).
 */
export const GEMM_DENSE_ROW_MAJOR_MAX_N = 96;

/**
 * Tiles of at most this many elements (4 x 8, 2 x 16) read a row-major A in place at every N: with
 * their fewer live vectors the in-place kernel was 1.15-1.5x faster than packing at N = 128-512,
 * K = 128-512 on an Intel Xeon (docs/benchmarks.md); `GEMM_DENSE_ROW_MAJOR_MAX_N` applies to larger
 * tiles (4 x 16).
 */
export const GEMM_DENSE_ANY_N_MAX_TILE = 32;

/**
 * Deepest K for which `runDense` still takes a row-major A wider than `GEMM_DENSE_ROW_MAJOR_MAX_N`
 * when N is off the 16-column tile (and K, N fit one block): its C then leaves in one copy instead
 * of row by row, which pays while the rows are cheap to compute (97 x 16 x 97, attention scores:
 * 1.8x).
 */
export const GEMM_DENSE_TIGHT_MAX_K = 64;

const roundUp = (x: number, m: number): number => Math.ceil(x / m) * m;

/** One kernel of the instance with its blocking rounded to its micro-tile. */
interface Kernel {
  readonly shape: GemmShape;
  /** `C += A B` on a block. */
  readonly fn: GemmFn;
  /** `C = A B` on a block (the first K block: no zeroed C needed). */
  readonly set: GemmFn;
  /** `C += A B` over operands read in place with byte strides (f32 only, else null). */
  readonly strided: GemmStridedFn | null;
  /** `C = A B`, strided (f32 only, else null). */
  readonly stridedSet: GemmStridedFn | null;
  readonly E: number;
  readonly mc: number;
  readonly nc: number;
}

/** Multiply-adds (`rows * N * K`) from which a threaded `WasmGemm` splits a product across its threads. */
export const GEMM_THREAD_MIN_WORK = 1 << 21;

/**
 * One instance of the SIMD GEMM module (an f64- and an f32-accumulating kernel) with its growable
 * memory; with `threads > 1` (where `gemmThreadsAvailable()`), the memory is shared with
 * `threads - 1` worker threads and large products are split by row tiles between them and the
 * caller. Every output element is computed by one thread with the same kernel and summation
 * order, so results are bitwise identical for any thread count.
 */
export class WasmGemm {
  private readonly memory: WasmMemory;
  private readonly kernels = new Map<GemmElem, Kernel>();
  private f32: Float32Array;
  private f64: Float64Array;
  private pool: GemmPool | null = null;
  /** What the worker threads instantiate, and their kernels' names in the order the pool numbers them. */
  private readonly poolArgs: { modules: GemmPoolModule[]; kernels: string[] } | null = null;
  /** Threads this instance computes with (1 when threads are unavailable or not asked for). */
  readonly threads: number;

  /** Instantiates the module for `shapes` (throws if WebAssembly SIMD is unavailable: check `wasmSimdSupported()` first). */
  constructor(
    shapes: readonly GemmShape[] = GEMM_SHAPES,
    readonly blocking: GemmBlocking = GEMM_BLOCKING,
    threads = 1,
  ) {
    const wa = wasmApi();
    if (wa === null || !wasmSimdSupported()) throw new Error('WasmGemm: WebAssembly SIMD is not available in this engine');
    const { kc, mc, nc, cElements } = blocking;
    if (!(kc >= 1 && mc >= 1 && nc >= 1 && cElements >= 1)) throw new Error(`WasmGemm: bad blocking kc=${kc} mc=${mc} nc=${nc} cElements=${cElements}`);
    if (!(Number.isInteger(threads) && threads >= 1)) throw new Error(`WasmGemm: threads must be a positive integer, got ${threads}`);
    this.threads = threads > 1 && gemmThreadsAvailable() && typeof wa.Memory === 'function' ? threads : 1;
    let inst: WasmInstance;
    if (this.threads > 1) {
      const module = compiled(wa, shapes, true);
      this.memory = new wa.Memory({ initial: 1, maximum: SHARED_MAX_PAGES, shared: true });
      inst = new wa.Instance(module, { env: { memory: this.memory } });
      const modules: GemmPoolModule[] = [{ module, exports: shapes.flatMap((s) => [`gemm_${s.elem}`, `gemm_${s.elem}_set`]) }];
      const f32 = shapes.find((s) => s.elem === 'f32');
      if (f32) modules.push({ module: compiledStrided(wa, f32, true), exports: ['gemm_f32_strided', 'gemm_f32_strided_set'] });
      this.poolArgs = { modules, kernels: modules.flatMap((m) => m.exports) };
    } else {
      inst = new wa.Instance(compiled(wa, shapes, false), {});
      this.memory = inst.exports['memory'] as WasmMemory;
    }
    for (const shape of shapes) {
      const fn = inst.exports[`gemm_${shape.elem}`] as GemmFn;
      const set = inst.exports[`gemm_${shape.elem}_set`] as GemmFn;
      // The f32 kernel's strided companion (runDense), on the same memory.
      const side = shape.elem === 'f32' ? new wa.Instance(compiledStrided(wa, shape, this.threads > 1), { env: { memory: this.memory } }) : null;
      const strided = side ? (side.exports[`gemm_f32_strided`] as GemmStridedFn) : null;
      const stridedSet = side ? (side.exports[`gemm_f32_strided_set`] as GemmStridedFn) : null;
      this.kernels.set(shape.elem, { shape, fn, set, strided, stridedSet, E: elemBytes(shape.elem), mc: roundUp(mc, shape.mr), nc: roundUp(nc, shape.nr) });
    }
    this.f32 = new Float32Array(this.memory.buffer);
    this.f64 = new Float64Array(this.memory.buffer);
  }

  /** Current size of the instance's memory in bytes. */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Grow the memory to at least `bytes`. */
  private reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (have < bytes) this.memory.grow(Math.ceil((bytes - have) / PAGE));
    if (this.f32.buffer !== this.memory.buffer) {
      this.f32 = new Float32Array(this.memory.buffer);
      this.f64 = new Float64Array(this.memory.buffer);
    }
  }

  /**
   * `out[co + r * N + j] = sum_k A[rowOff[r] + k * sak] * B[bo + k * sbk + j * sbn]` for `r < rows`,
   * `j < N` (out is overwritten; `rows, K, N >= 1`), accumulating in `acc` (`'f64'`: float64
   * products and sums, one rounding to float32 at the end; `'f32'`: float32 products and sums).
   */
  run(
    acc: GemmElem,
    ad: Float32Array, rowOff: Float64Array, rows: number, sak: number,
    bd: Float32Array, bo: number, sbk: number, sbn: number,
    K: number, N: number, out: Float32Array, co: number,
  ): void {
    const kernel = this.kernels.get(acc);
    if (kernel === undefined) throw new Error(`WasmGemm.run: no ${acc} kernel in this instance`);
    const { shape: { mr, nr, ku }, fn: gemm, set: gemmSet, E, mc: MC, nc: NC } = kernel;
    const KC = this.blocking.kc;
    const kcMax = roundUp(Math.min(KC, K), ku);
    const ncMax = roundUp(Math.min(NC, N), nr);
    const RC = Math.max(MC, Math.floor(this.blocking.cElements / ncMax / MC) * MC);
    const mcMax = roundUp(Math.min(MC, rows), mr);
    const rcMax = roundUp(Math.min(RC, rows), mr);
    const threads = this.threads > 1 && rows > mr && rows * N * K >= GEMM_THREAD_MIN_WORK ? this.threads : 1;
    const pool = threads > 1 ? this.threadPool() : null;
    // Element offsets of the regions, 64-byte aligned; split across threads, A holds every row panel of a C block.
    const align = 64 / E;
    const aOff = 0;
    const bOff = roundUp(aOff + (pool ? rcMax : mcMax) * kcMax, align);
    const cOff = roundUp(bOff + ncMax * kcMax, align);
    this.reserve((cOff + rcMax * ncMax) * E);
    const mem = acc === 'f32' ? this.f32 : this.f64;
    for (let r0 = 0; r0 < rows; r0 += RC) {
      const rc = Math.min(RC, rows - r0);
      for (let j0 = 0; j0 < N; j0 += NC) {
        const nc = Math.min(NC, N - j0);
        const ncp = roundUp(nc, nr);
        for (let k0 = 0; k0 < K; k0 += KC) {
          const kc = Math.min(KC, K - k0);
          const kcp = roundUp(kc, ku);
          const fn = k0 === 0 ? gemmSet : gemm;
          packB(bd, bo + k0 * sbk + j0 * sbn, sbk, sbn, kc, kcp, nc, nr, mem, bOff);
          if (pool) {
            packA(ad, rowOff, r0, rc, k0 * sak, sak, kc, kcp, mr, mem, aOff);
            this.splitBlock(pool, kernel, k0 === 0, threads, roundUp(rc, mr) / mr, aOff * E, bOff * E, cOff * E, kcp, ncp);
            continue;
          }
          for (let i0 = 0; i0 < rc; i0 += MC) {
            const mc = Math.min(MC, rc - i0);
            const mcp = roundUp(mc, mr);
            packA(ad, rowOff, r0 + i0, mc, k0 * sak, sak, kc, kcp, mr, mem, aOff);
            fn(aOff * E, bOff * E, (cOff + i0 * ncp) * E, mcp / mr, ncp / nr, kcp, ncp * E);
          }
        }
        copyOut(mem, cOff, ncp, rc, nc, out, co + r0 * N + j0, N);
      }
    }
  }

  /**
   * `out[co + r * N + j] = sum_k A[ao + r * sar + k * sak] * B[bo + k * sbk + j * sbn]` for `r < rows`,
   * `j < N` in float32 (`'f32'` accumulation), without packing A, when A is a dense row-major
   * (`sak = 1, sar = K`) or k-major (`sar = 1, sak = rows`) block: A is copied into the instance's
   * memory in one piece and the strided kernel reads it in place; so is B when it is dense
   * row-major (`sbn = 1, sbk = N`), else B is packed per block as in `run`. Bitwise the same
   * result as `run`. Returns false (having done nothing) when the operands do not qualify, when
   * packing pays (a row-major A with `N > GEMM_DENSE_ROW_MAJOR_MAX_N` on a tile larger than `GEMM_DENSE_ANY_N_MAX_TILE`, unless its C can leave in
   * one copy and `K <= GEMM_DENSE_TIGHT_MAX_K` on one thread), or when an operand is larger
   * than `GEMM_DENSE_MAX_ELEMENTS`. Large products are split by row tiles across the instance's
   * threads, as in `run` (the copies in and out stay on the caller).
   */
  runDense(
    ad: Float32Array, ao: number, sar: number, sak: number, rows: number,
    bd: Float32Array, bo: number, sbk: number, sbn: number,
    K: number, N: number, out: Float32Array, co: number,
  ): boolean {
    const kernel = this.kernels.get('f32');
    if (kernel === undefined || kernel.strided === null || kernel.stridedSet === null || rows < 1 || K < 1 || N < 1) return false;
    const threads = this.threads > 1 && rows > kernel.shape.mr && rows * N * K >= GEMM_THREAD_MIN_WORK ? this.threads : 1;
    const aRowMajor = sak === 1 && sar === K;
    if (!aRowMajor && !(sar === 1 && sak === rows)) return false;
    const { shape: { mr, nr, ku }, mc: MC, nc: NC } = kernel;
    const KC = this.blocking.kc;
    // One K block, one N block, N off the tile: C gets the row pitch N itself, so it leaves in one
    // copy. The partial last panel is computed first; what it writes past column N lands in the
    // next row's first columns (the last row's in the slack), which the full first panel then
    // overwrites (every panel is written, not accumulated, in a single K block). Not when split
    // across threads: a share's spill would land in the next share's first row.
    const tight = threads === 1 && K <= KC && N <= NC && N > nr && N % nr !== 0;
    const maxRowMajorN = mr * nr <= GEMM_DENSE_ANY_N_MAX_TILE ? Infinity : GEMM_DENSE_ROW_MAJOR_MAX_N;
    if (aRowMajor && N > maxRowMajorN && !(tight && K <= GEMM_DENSE_TIGHT_MAX_K)) return false;
    const bInPlace = sbn === 1 && sbk === N;
    if (rows * K > GEMM_DENSE_MAX_ELEMENTS || (bInPlace && K * N > GEMM_DENSE_MAX_ELEMENTS)) return false;
    const strided = kernel.strided;
    const stridedSet = kernel.stridedSet;
    const pool = threads > 1 ? this.threadPool() : null;
    const E = 4;
    const kcMax = roundUp(Math.min(KC, K), ku);
    const ncMax = roundUp(Math.min(NC, N), nr);
    const RC = Math.max(MC, Math.floor(this.blocking.cElements / ncMax / MC) * MC);
    const rcMax = roundUp(Math.min(RC, rows), mr);
    // Regions (elements, 64-byte aligned): A whole (the last row tile reads up to mr - 1 rows past
    // the end, whose C rows are dropped), B whole or one packed block, the C block.
    const aOff = 0;
    const aLen = rows * K + (aRowMajor ? (mr - 1) * K : mr - 1);
    const bOff = roundUp(aOff + aLen, 16);
    const bLen = bInPlace ? K * N + nr : ncMax * kcMax;
    const cOff = roundUp(bOff + bLen, 16);
    this.reserve((cOff + (tight ? rcMax * N + nr : rcMax * ncMax)) * E);
    const mem = this.f32;
    mem.set(ad.subarray(ao, ao + rows * K), aOff);
    if (bInPlace) mem.set(bd.subarray(bo, bo + K * N), bOff);
    const sra = sar * E;
    const ska = sak * E;
    for (let r0 = 0; r0 < rows; r0 += RC) {
      const rc = Math.min(RC, rows - r0);
      const mTiles = roundUp(rc, mr) / mr;
      for (let j0 = 0; j0 < N; j0 += NC) {
        const nc = Math.min(NC, N - j0);
        const ncp = roundUp(nc, nr);
        const pitch = tight ? N : ncp;
        for (let k0 = 0; k0 < K; k0 += KC) {
          const kc = Math.min(KC, K - k0);
          const fn = k0 === 0 ? stridedSet : strided;
          const pa = (aOff + r0 * sar + k0 * sak) * E;
          let pb: number;
          let skb: number;
          let bStep: number;
          if (bInPlace) {
            pb = (bOff + k0 * N + j0) * E;
            skb = N * E;
            bStep = nr * E;
          } else {
            const kcp = roundUp(kc, ku);
            packB(bd, bo + k0 * sbk + j0 * sbn, sbk, sbn, kc, kcp, nc, nr, mem, bOff);
            pb = bOff * E;
            skb = nr * E;
            bStep = kcp * nr * E;
          }
          if (tight) {
            const last = ncp / nr - 1;
            fn(pa, sra, ska, pb + last * bStep, skb, bStep, (cOff + last * nr) * E, mTiles, 1, kc, pitch * E);
            fn(pa, sra, ska, pb, skb, bStep, cOff * E, mTiles, last, kc, pitch * E);
          } else if (pool) {
            const name = k0 === 0 ? 'gemm_f32_strided_set' : 'gemm_f32_strided';
            // gemm(pa, sra, ska, pb, skb, bStep, pc, mTiles, nTiles, kc, ldc)
            this.splitRows(pool, name, fn, [pa, sra, ska, pb, skb, bStep, cOff * E, mTiles, ncp / nr, kc, pitch * E], 0, 6, 7, kernel, threads, mr * sra, mr * pitch * E);
          } else fn(pa, sra, ska, pb, skb, bStep, cOff * E, mTiles, ncp / nr, kc, pitch * E);
        }
        copyOut(mem, cOff, pitch, rc, nc, out, co + r0 * N + j0, N);
      }
    }
    return true;
  }

  /**
   * A batch of small products split across threads by whole products: `out[co + b*rows*N + r*N + j]
   * = sum_k A_b[r, k] B_b[k, j]` for `b < batch`, A_b at `ao + b * rows * K` dense row-major
   * (`sak = 1, sar = K`) or k-major (`sar = 1, sak = rows`), B_b at `bo + b * K * N` dense row-major;
   * the whole batch is copied in at once, the caller and the workers each compute a contiguous
   * share of the products with the in-place kernel, and C leaves in one copy. Each product is
   * computed as `runDense` computes it on one thread, so the result is bitwise the same. Returns
   * false (having done nothing) without worker threads, when the batch is below
   * `GEMM_THREAD_MIN_WORK` multiply-adds, when a product would not fit one K block, one N block or
   * one C block, when `runDense` would not take a product alone, or when the batch is larger than
   * `GEMM_DENSE_MAX_ELEMENTS` per operand.
   */
  runDenseBatch(
    ad: Float32Array, ao: number, sar: number, sak: number, rows: number,
    bd: Float32Array, bo: number, K: number, N: number,
    out: Float32Array, co: number, batch: number,
  ): boolean {
    const kernel = this.kernels.get('f32');
    if (this.threads < 2 || batch < 2 || kernel === undefined || kernel.strided === null || kernel.stridedSet === null || rows < 1 || K < 1 || N < 1) return false;
    if (batch * rows * N * K < GEMM_THREAD_MIN_WORK) return false;
    const { shape: { mr, nr }, mc: MC, nc: NC } = kernel;
    const aRowMajor = sak === 1 && sar === K;
    if (!aRowMajor && !(sar === 1 && sak === rows)) return false;
    const maxRowMajorN = mr * nr <= GEMM_DENSE_ANY_N_MAX_TILE ? Infinity : GEMM_DENSE_ROW_MAJOR_MAX_N;
    if (aRowMajor && N > maxRowMajorN) return false;
    const ncp = roundUp(N, nr);
    const RC = Math.max(MC, Math.floor(this.blocking.cElements / ncp / MC) * MC);
    if (K > this.blocking.kc || N > NC || rows > RC || batch * rows * K > GEMM_DENSE_MAX_ELEMENTS || batch * K * N > GEMM_DENSE_MAX_ELEMENTS) return false;
    const E = 4;
    const rowsP = roundUp(rows, mr);
    // Regions (elements, 64-byte aligned): every A (the last row tile of the last one reads up to
    // mr - 1 rows past the end), every B, every C block (rowsP x ncp each).
    const aOff = 0;
    const aLen = batch * rows * K + (aRowMajor ? (mr - 1) * K : mr - 1);
    const bOff = roundUp(aOff + aLen, 16);
    const cOff = roundUp(bOff + batch * K * N + nr, 16);
    this.reserve((cOff + batch * rowsP * ncp) * E);
    const mem = this.f32;
    mem.set(ad.subarray(ao, ao + batch * rows * K), aOff);
    mem.set(bd.subarray(bo, bo + batch * K * N), bOff);
    const pool = this.threadPool();
    const kernelIndex = this.poolArgs!.kernels.indexOf('gemm_f32_strided_set');
    const mTiles = rowsP / mr;
    const aItem = rows * K * E;
    const bItem = K * N * E;
    const cItem = rowsP * ncp * E;
    const chunkTiles = MC / mr;
    // gemm(pa, sra, ska, pb, skb, bStep, pc, mTiles, nTiles, kc, ldc)
    const args = (b: number) => [(aOff * E) + b * aItem, sar * E, sak * E, (bOff * E) + b * bItem, N * E, nr * E, (cOff * E) + b * cItem, mTiles, ncp / nr, K, ncp * E];
    const per = Math.ceil(batch / this.threads);
    const jobs: GemmJob[] = [];
    for (let b0 = per; b0 < batch; b0 += per) {
      jobs.push({
        kernel: kernelIndex, args: args(b0), paArg: 0, pcArg: 6, mTilesArg: 7, mTiles, chunkTiles, aChunkBytes: chunkTiles * mr * sar * E, cChunkBytes: chunkTiles * mr * ncp * E,
        items: { count: Math.min(per, batch - b0), pbArg: 3, aItemBytes: aItem, bItemBytes: bItem, cItemBytes: cItem },
      });
    }
    pool.post(jobs);
    const fn = kernel.stridedSet;
    for (let b = 0; b < Math.min(per, batch); b++) {
      const a = args(b);
      for (let t = 0; t < mTiles; t += chunkTiles) {
        fn(a[0]! + t * mr * sar * E, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]! + t * mr * ncp * E, Math.min(chunkTiles, mTiles - t), a[8]!, a[9]!, a[10]!);
      }
    }
    pool.wait();
    if (rowsP === rows && ncp === N) out.set(mem.subarray(cOff, cOff + batch * rows * N), co);
    else for (let b = 0; b < batch; b++) copyOut(mem, cOff + b * rowsP * ncp, ncp, rows, N, out, co + b * rows * N, N);
    return true;
  }

  /** The worker threads (started on the first threaded product). */
  private threadPool(): GemmPool {
    return (this.pool ??= new GemmPool(this.poolArgs!.modules, this.memory, this.threads - 1));
  }

  /** One packed block (`tiles` row tiles of A at byte `pa`, B at `pb`, C at `pc`) split across threads by `splitRows`. */
  private splitBlock(pool: GemmPool, kernel: Kernel, first: boolean, threads: number, tiles: number, pa: number, pb: number, pc: number, kcp: number, ncp: number): void {
    const { shape: { mr, nr, elem }, E } = kernel;
    const name = first ? `gemm_${elem}_set` : `gemm_${elem}`;
    // gemm(pa, pb, pc, mTiles, nTiles, kc, ldc)
    this.splitRows(pool, name, first ? kernel.set : kernel.fn, [pa, pb, pc, tiles, ncp / nr, kcp, ncp * E], 0, 2, 3, kernel, threads, mr * kcp * E, mr * ncp * E);
  }

  /**
   * Runs the macro-kernel `fn` (named `name` in the pool) on `args`, whose row tiles (`args[mArg]`
   * of them, A at byte `args[paArg]`, C at `args[pcArg]`) are split across threads: the workers
   * each take a contiguous share, the caller the first, all in `MC`-row chunks (A advancing
   * `aTile`, C `cTile` bytes per row tile); returns when every share is done. Each C element is
   * computed by one thread with the same kernel, so the result does not depend on the split.
   */
  private splitRows(pool: GemmPool, name: string, fn: (...args: number[]) => void, args: number[], paArg: number, pcArg: number, mArg: number, kernel: Kernel, threads: number, aTile: number, cTile: number): void {
    const tiles = args[mArg]!;
    const kernelIndex = this.poolArgs!.kernels.indexOf(name);
    const per = Math.ceil(tiles / Math.min(threads, tiles));
    const chunkTiles = kernel.mc / kernel.shape.mr;
    const jobs: GemmJob[] = [];
    const pa = args[paArg]!;
    const pc = args[pcArg]!;
    for (let t0 = per; t0 < tiles; t0 += per) {
      const share = args.slice();
      share[paArg] = pa + t0 * aTile;
      share[pcArg] = pc + t0 * cTile;
      jobs.push({ kernel: kernelIndex, args: share, paArg, pcArg, mTilesArg: mArg, mTiles: Math.min(per, tiles - t0), chunkTiles, aChunkBytes: chunkTiles * aTile, cChunkBytes: chunkTiles * cTile });
    }
    pool.post(jobs);
    const mine = Math.min(per, tiles);
    const own = args.slice();
    for (let t = 0; t < mine; t += chunkTiles) {
      own[paArg] = pa + t * aTile;
      own[pcArg] = pc + t * cTile;
      own[mArg] = Math.min(chunkTiles, mine - t);
      fn(...own);
    }
    pool.wait();
  }

  /** Stop this instance's worker threads (they start again on the next threaded product). */
  close(): void {
    this.pool?.close();
    this.pool = null;
  }
}

/**
 * Copy `rows x cols` of the C block (row pitch `pitch` from `src`) to `out` (row pitch `ldo` from
 * `dst`): one copy when both are dense, else row by row (short rows element by element, which is
 * cheaper than a typed-array view per row).
 */
function copyOut(mem: Float32Array | Float64Array, src: number, pitch: number, rows: number, cols: number, out: Float32Array, dst: number, ldo: number): void {
  if (pitch === cols && ldo === cols) {
    out.set(mem.subarray(src, src + rows * cols), dst);
    return;
  }
  for (let i = 0; i < rows; i++, src += pitch, dst += ldo) {
    if (cols >= 32) out.set(mem.subarray(src, src + cols), dst);
    else for (let j = 0; j < cols; j++) out[dst + j] = mem[src + j]!;
  }
}

/**
 * Pack rows `r0 .. r0 + mc` of A (row `r` starts at `rowOff[r] + kOff`, stride `sak` along K) into
 * `mr`-row panels `[panel][k][mr]` of `kcp` steps at `dst[off]`, zero-padding rows and steps.
 */
function packA(
  ad: Float32Array, rowOff: Float64Array, r0: number, mc: number, kOff: number, sak: number,
  kc: number, kcp: number, mr: number, dst: Float32Array | Float64Array, off: number,
): void {
  for (let ip = 0; ip < mc; ip += mr) {
    const base = off + ip * kcp;
    for (let ii = 0; ii < mr; ii++) {
      let q = base + ii;
      if (ip + ii < mc) {
        let p = rowOff[r0 + ip + ii]! + kOff;
        if (sak === 1) for (let k = 0; k < kc; k++, q += mr) dst[q] = ad[p + k]!;
        else for (let k = 0; k < kc; k++, q += mr, p += sak) dst[q] = ad[p]!;
        for (let k = kc; k < kcp; k++, q += mr) dst[q] = 0;
      } else {
        for (let k = 0; k < kcp; k++, q += mr) dst[q] = 0;
      }
    }
  }
}

/**
 * Pack a `kc x nc` block of B (element `p0` is `B[0, 0]`, strides `sbk`, `sbn`) into `nr`-column
 * panels `[panel][k][nr]` of `kcp` steps at `dst[off]`, zero-padding columns and steps.
 */
function packB(
  bd: Float32Array, p0: number, sbk: number, sbn: number, kc: number, kcp: number, nc: number, nr: number,
  dst: Float32Array | Float64Array, off: number,
): void {
  for (let jp = 0; jp < nc; jp += nr) {
    const base = off + jp * kcp;
    if (sbn === 1 && jp + nr <= nc) {
      for (let k = 0, q = base, p = p0 + jp; k < kc; k++, q += nr, p += sbk) {
        for (let jj = 0; jj < nr; jj++) dst[q + jj] = bd[p + jj]!;
      }
      dst.fill(0, base + kc * nr, base + kcp * nr);
      continue;
    }
    for (let jj = 0; jj < nr; jj++) {
      let q = base + jj;
      if (jp + jj < nc) {
        let p = p0 + (jp + jj) * sbn;
        for (let k = 0; k < kc; k++, q += nr, p += sbk) dst[q] = bd[p]!;
        for (let k = kc; k < kcp; k++, q += nr) dst[q] = 0;
      } else {
        for (let k = 0; k < kcp; k++, q += nr) dst[q] = 0;
      }
    }
  }
}
