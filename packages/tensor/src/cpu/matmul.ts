/**
 * Batched matrix multiply on the host.
 *
 * Floating dtypes use a GotoBLAS-style blocked GEMM: panels of A (MC x KC) and B (KC x NC) are
 * packed, from any strides, into reused float64 scratch buffers laid out for a 4 x 4
 * register-blocked micro-kernel (16 accumulators in locals, one multiply-add per pair of loads
 * per 4 x 4 outer product). Packing in float64 avoids a float32 -> float64 conversion per load in
 * the inner loop; products accumulate in float64 within a KC block. Tiny or skinny problems
 * (fewer than 4 rows or columns) use direct loops, chosen by the operands' strides. int32 uses
 * an exact wrap-around dot product.
 *
 * Large float32 problems go to a WebAssembly SIMD GEMM (`./wasm/`, generated at load time) when
 * the engine supports it: by default it accumulates in float32 lanes (f32x4), as BLAS libraries
 * (and so PyTorch) do on the CPU; `accumulate: 'float64'` uses float64 lanes (f64x2, about half
 * the speed, as accurate as the JS path). `setCpuMatmulKernel` or the
 * environment variables `UNIHETERO_CPU_MATMUL=js|wasm|auto` and
 * `UNIHETERO_CPU_MATMUL_ACCUMULATE=float64|float32` select the path. float64 (gradcheck) and int32
 * always use the JS paths.
 */
import type { TypedArray } from '../backend.js';
import { GEMM_BLOCKING, GEMM_SHAPES, GEMM_THREAD_MIN_WORK, WasmGemm, wasmSimdSupported } from './wasm/gemm.js';
import { gemmThreadsAvailable, hardwareThreads } from './wasm/gemm-threads.js';
import { GEMM_F32_TILES, type GemmTileCalibration, type GemmTileName, type GemmTileSetting, calibrateGemmTile, parseGemmTile } from './wasm/gemm-tile.js';
import type { GemmShape } from './wasm/gemm-module.js';

const MR = 4;
const NR = 4;
const KC = 256;
const MC = 64;
const NC = 512;
/** Problems with fewer multiply-adds than this skip packing. */
const SMALL_WORK = 8192;
/** In `'auto'` mode, float32 problems with at least this many multiply-adds use the WASM GEMM (it beat the JS GEMM from about 16^3 up). */
const WASM_MIN_WORK = SMALL_WORK;

/** Which float32 matmul path the CPU backend uses: always JS, always WASM SIMD, or WASM for large enough problems. */
export type CpuMatmulKernel = 'js' | 'wasm' | 'auto';
/** Precision of the WASM kernel's products and sums: float64 (default, the JS path's accuracy) or float32 (faster). */
export type CpuMatmulAccumulate = 'float64' | 'float32';

const KERNELS: readonly CpuMatmulKernel[] = ['js', 'wasm', 'auto'];
const ACCUMULATE: readonly CpuMatmulAccumulate[] = ['float64', 'float32'];

function parseChoice<T extends string>(choices: readonly T[], value: unknown, source: string): T {
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  throw new Error(`setCpuMatmulKernel: ${source} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
}

const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
const envKernel = env?.['UNIHETERO_CPU_MATMUL'];
const envAccumulate = env?.['UNIHETERO_CPU_MATMUL_ACCUMULATE'];
let kernelMode: CpuMatmulKernel = envKernel ? parseChoice(KERNELS, envKernel, 'UNIHETERO_CPU_MATMUL') : 'auto';
let accumulate: CpuMatmulAccumulate = envAccumulate ? parseChoice(ACCUMULATE, envAccumulate, 'UNIHETERO_CPU_MATMUL_ACCUMULATE') : 'float32';

/**
 * Select the CPU backend's float32 matmul path (initially `'auto'` / `'float64'`, or the
 * `UNIHETERO_CPU_MATMUL` / `UNIHETERO_CPU_MATMUL_ACCUMULATE` environment variables): `'wasm'`
 * throws if WebAssembly SIMD is unavailable, `'auto'` then silently uses JS.
 */
export function setCpuMatmulKernel(kind: CpuMatmulKernel, options: { accumulate?: CpuMatmulAccumulate } = {}): void {
  const k = parseChoice(KERNELS, kind, 'kind');
  const acc = options.accumulate === undefined ? accumulate : parseChoice(ACCUMULATE, options.accumulate, 'options.accumulate');
  if (k === 'wasm' && !wasmSimdSupported()) throw new Error("setCpuMatmulKernel: 'wasm' requested but this engine has no WebAssembly SIMD support");
  kernelMode = k;
  accumulate = acc;
}

/** The selected float32 matmul path, the WASM kernel's accumulation, and whether WebAssembly SIMD is available. */
export function cpuMatmulKernel(): { kind: CpuMatmulKernel; accumulate: CpuMatmulAccumulate; wasmAvailable: boolean } {
  return { kind: kernelMode, accumulate, wasmAvailable: wasmSimdSupported() };
}

const envThreads = env?.['UNIHETERO_CPU_THREADS'];

function parseThreads(value: unknown, source: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 64) return n;
  throw new Error(`setCpuThreads: ${source} must be 'auto' or an integer from 1 to 64, got ${JSON.stringify(value)}`);
}

const envTile = env?.['UNIHETERO_CPU_GEMM_TILE'];
let tileSetting: GemmTileSetting = envTile ? parseGemmTile(envTile, 'UNIHETERO_CPU_GEMM_TILE') : 'auto';
let calibration: GemmTileCalibration | null = null;

/** Runs the calibration's two probe products (a packed and an in-place one, about 4 million multiply-adds each) on one tile. */
function tileProbe(shape: GemmShape): () => void {
  const gemm = new WasmGemm([shape], GEMM_BLOCKING, 1);
  const [rows, K, N] = [128, 128, 256];
  const a = Float32Array.from({ length: rows * K }, (_, i) => ((i * 7) % 13) / 13 - 0.5);
  const b = Float32Array.from({ length: K * N }, (_, i) => ((i * 5) % 11) / 11 - 0.5);
  const out = new Float32Array(rows * N);
  const rowOff = Float64Array.from({ length: rows }, (_, r) => r * K);
  return () => {
    gemm.run('f32', a, rowOff, rows, 1, b, 0, N, 1, K, N, out, 0);
    // A k-major [rows=128, K=256] read in place (a weight gradient's layout), N = 64.
    gemm.runDense(b, 0, 1, 128, 128, a, 0, 64, 1, 256, 64, out, 0);
  };
}

/** The f32 tile in use: the setting, or for `'auto'` the fastest candidate here (timed on first need). */
function resolvedTile(): GemmTileName {
  if (tileSetting !== 'auto') return tileSetting;
  calibration ??= calibrateGemmTile({ '4x16': tileProbe(GEMM_F32_TILES['4x16']), '4x8': tileProbe(GEMM_F32_TILES['4x8']), '2x16': tileProbe(GEMM_F32_TILES['2x16']) }, 6);
  return calibration.tile;
}

/** The WASM GEMM's kernels for a tile: the float64-accumulating default and that float32 tile. */
function gemmShapes(tile: GemmTileName): GemmShape[] {
  return [GEMM_SHAPES.find((s) => s.elem === 'f64')!, GEMM_F32_TILES[tile]];
}

/**
 * The float32 micro-tile of the WASM GEMM (initially `'auto'`, or the `UNIHETERO_CPU_GEMM_TILE`
 * environment variable): `'4x16'`, `'4x8'` or `'2x16'` rows x columns per kernel call. `'auto'`
 * times the three once per process (about 40 ms, on the first large float32 matmul) and keeps the
 * fastest: which one wins depends on the CPU. Every tile sums in the same order, so results are
 * bitwise the same whichever is used.
 */
export function setCpuGemmTile(tile: GemmTileSetting): void {
  tileSetting = parseGemmTile(tile, 'tile');
}

/**
 * The tile setting and the tile it resolves to (timing the candidates now if `'auto'` has not yet
 * done so; `null` without WebAssembly SIMD), with the timings when `'auto'` chose (`ms`: each
 * candidate's best time on the probe products).
 */
export function cpuGemmTile(): { setting: GemmTileSetting; tile: GemmTileName | null; ms: Readonly<Record<GemmTileName, number>> | null } {
  const tile = wasmSimdSupported() ? resolvedTile() : null;
  return { setting: tileSetting, tile, ms: tileSetting === 'auto' ? (calibration?.ms ?? null) : null };
}

/** Most threads `'auto'` uses (beyond four, a product's packing on the calling thread dominates). */
const AUTO_MAX_THREADS = 4;
let threadSetting: number | 'auto' = envThreads ? parseThreads(envThreads, 'UNIHETERO_CPU_THREADS') : 'auto';
let threadedGemm: WasmGemm | null = null;
/** The f32 tile `threadedGemm` was built with. */
let threadedTile: GemmTileName | null = null;

/** The thread count the setting resolves to here. */
function resolvedThreads(): number {
  if (!gemmThreadsAvailable()) return 1;
  return threadSetting === 'auto' ? Math.min(hardwareThreads(), AUTO_MAX_THREADS) : threadSetting;
}

/**
 * Threads for large float32 products on the WASM GEMM (initially `'auto'`: the machine's hardware
 * threads, at most 4; or the `UNIHETERO_CPU_THREADS` environment variable). Products of at least
 * `2^21` multiply-adds are split by rows between the caller and worker threads; results are
 * bitwise identical for every count. Where worker threads are unavailable (browsers, for now)
 * everything runs on the calling thread. `1` turns threads off.
 */
export function setCpuThreads(threads: number | 'auto'): void {
  const t = parseThreads(threads, 'threads');
  threadSetting = t;
  if (threadedGemm && threadedGemm.threads !== resolvedThreads()) {
    threadedGemm.close();
    threadedGemm = null;
  }
}

/** The thread setting, the count it resolves to, and whether worker threads are available here. */
export function cpuThreads(): { setting: number | 'auto'; threads: number; available: boolean } {
  return { setting: threadSetting, threads: resolvedThreads(), available: gemmThreadsAvailable() };
}

/** The process-wide threaded GEMM (one set of workers for every CPU backend), or null when running on one thread. */
function sharedThreadedGemm(): WasmGemm | null {
  const t = resolvedThreads();
  if (t <= 1) return null;
  const tile = resolvedTile();
  if (threadedGemm === null || threadedGemm.threads !== t || threadedTile !== tile) {
    threadedGemm?.close();
    threadedGemm = new WasmGemm(gemmShapes(tile), GEMM_BLOCKING, t);
    threadedTile = tile;
    if (threadedGemm.threads <= 1) {
      threadedGemm = null;
      return null;
    }
  }
  return threadedGemm;
}

/** Whether a float32 problem of this size goes to the WASM GEMM under the current mode. */
function useWasm(M: number, K: number, N: number): boolean {
  if (kernelMode === 'js') return false;
  if (kernelMode === 'wasm') return true;
  return M >= MR && N >= NR && M * N * K >= WASM_MIN_WORK && wasmSimdSupported();
}

/** Reused scratch buffers for `matmulHost` (one per backend). */
export class MatmulWorkspace {
  /** Packed A block, `MC x KC` in 4-row panels. */
  ap = new Float64Array(0);
  /** Packed B block, `KC x NC` in 4-column panels. */
  bp = new Float64Array(0);
  /** Element offset of each logical row of A. */
  rowOff = new Float64Array(0);
  /** Row accumulator of the direct path. */
  acc = new Float64Array(0);
  /** Edge tile of the micro-kernel. */
  readonly tile = new Float64Array(MR * NR);
  /** The WASM SIMD GEMM instance (created on first use, with its own growable memory). */
  wasm: WasmGemm | null = null;
  /** The f32 tile `wasm` was built with (it is rebuilt when the tile setting changes). */
  wasmTile: GemmTileName | null = null;

  /** Grow (never shrink) the buffers to the given sizes. */
  ensure(ap: number, bp: number, rows: number, acc: number): void {
    if (this.ap.length < ap) this.ap = new Float64Array(ap);
    if (this.bp.length < bp) this.bp = new Float64Array(bp);
    if (this.rowOff.length < rows) this.rowOff = new Float64Array(rows);
    if (this.acc.length < acc) this.acc = new Float64Array(acc);
  }

  /** Drop the buffers. */
  clear(): void {
    this.ap = new Float64Array(0);
    this.bp = new Float64Array(0);
    this.rowOff = new Float64Array(0);
    this.acc = new Float64Array(0);
    this.wasm = null;
    this.wasmTile = null;
  }
}

/** Geometry of one strided rank-3 matmul operand. */
export interface MatOperand {
  readonly data: TypedArray;
  readonly offset: number;
  /** Strides `[batch, row, col]`. */
  readonly strides: readonly number[];
}

/**
 * `out[b, i, j] = sum_k A[b, i, k] * B[b, k, j]` for `A [B, M, K]`, `B [B, K, N]` (any strides,
 * batch stride 0 allowed), writing contiguous `out [B, M, N]` from element 0.
 */
export function matmulHost(a: MatOperand, b: MatOperand, batch: number, M: number, K: number, N: number, out: TypedArray, ws: MatmulWorkspace): void {
  const total = batch * M * N;
  if (total === 0) return;
  if (K === 0) {
    out.fill(0, 0, total);
    return;
  }
  const [sa0, sa1, sa2] = a.strides as [number, number, number];
  const [sb0, sb1, sb2] = b.strides as [number, number, number];
  if (out instanceof Int32Array) {
    matmulInt(a.data, a.offset, sa0, sa1, sa2, b.data, b.offset, sb0, sb1, sb2, batch, M, K, N, out);
    return;
  }
  if (out instanceof Float32Array && a.data instanceof Float32Array && b.data instanceof Float32Array && useWasm(M, K, N)) {
    matmulWasm(a.data, a.offset, sa0, sa1, sa2, b.data, b.offset, sb0, sb1, sb2, batch, M, K, N, out, ws);
    return;
  }
  if (M < MR || N < NR || M * N * K < SMALL_WORK) {
    ws.ensure(0, 0, 0, N);
    for (let bi = 0; bi < batch; bi++) {
      matmulDirect(a.data, a.offset + bi * sa0, sa1, sa2, b.data, b.offset + bi * sb0, sb1, sb2, M, K, N, out, bi * M * N, ws.acc);
    }
    return;
  }
  // When B is shared across the batch, fold the batch into the rows of one big GEMM so B is packed once.
  const fold = batch > 1 && sb0 === 0;
  const rows = fold ? batch * M : M;
  const calls = fold ? 1 : batch;
  ws.ensure(MC * Math.min(KC, K), Math.min(KC, K) * (Math.ceil(Math.min(NC, N) / NR) * NR), rows, 0);
  const rowOff = ws.rowOff;
  for (let c = 0; c < calls; c++) {
    if (fold) {
      for (let bi = 0, r = 0; bi < batch; bi++) for (let i = 0; i < M; i++, r++) rowOff[r] = a.offset + bi * sa0 + i * sa1;
    } else {
      for (let i = 0; i < M; i++) rowOff[i] = a.offset + c * sa0 + i * sa1;
    }
    gemm(a.data, rowOff, sa2, b.data, b.offset + c * sb0, sb1, sb2, out, c * M * N, rows, K, N, ws);
  }
}

/** The workspace's single-thread GEMM, built (again) for the current tile. */
function workspaceGemm(ws: MatmulWorkspace): WasmGemm {
  const tile = resolvedTile();
  if (ws.wasm === null || ws.wasmTile !== tile) {
    ws.wasm = new WasmGemm(gemmShapes(tile));
    ws.wasmTile = tile;
  }
  return ws.wasm;
}

/** float32 matmul on the WASM SIMD GEMM (accumulating per `accumulate`); a batch-shared B (stride 0) folds the batch into the rows. */
function matmulWasm(
  ad: Float32Array, ao: number, sa0: number, sa1: number, sa2: number,
  bd: Float32Array, bo: number, sb0: number, sb1: number, sb2: number,
  batch: number, M: number, K: number, N: number, out: Float32Array, ws: MatmulWorkspace,
): void {
  const gemm = (M * N * K >= GEMM_THREAD_MIN_WORK ? sharedThreadedGemm() : null) ?? workspaceGemm(ws);
  const acc = accumulate === 'float32' ? 'f32' : 'f64';
  const fold = batch > 1 && sb0 === 0;
  const rows = fold ? batch * M : M;
  if (acc === 'f32') {
    // Dense operands go to the unpacked kernel: A copied whole instead of packed per block.
    if (batch === 1 || (fold && sa2 === 1 && sa1 === K && sa0 === M * K)) {
      if (gemm.runDense(ad, ao, fold ? K : sa1, sa2, rows, bd, bo, sb1, sb2, K, N, out, 0)) return;
    } else if (!fold) {
      // A batch of small products (attention heads) split across threads by whole products.
      const denseBatch = sa0 === M * K && ((sa2 === 1 && sa1 === K) || (sa1 === 1 && sa2 === M)) && sb0 === K * N && sb1 === N && sb2 === 1;
      if (denseBatch && batch * M * N * K >= GEMM_THREAD_MIN_WORK && sharedThreadedGemm()?.runDenseBatch(ad, ao, sa1, sa2, M, bd, bo, K, N, out, 0, batch)) return;
      let bi = 0;
      while (bi < batch && gemm.runDense(ad, ao + bi * sa0, sa1, sa2, M, bd, bo + bi * sb0, sb1, sb2, K, N, out, bi * M * N)) bi++;
      if (bi === batch) return;
      if (bi > 0) throw new Error(`matmulWasm: the dense kernel stopped at batch ${bi} of ${batch} (internal error)`);
    }
  }
  ws.ensure(0, 0, rows, 0);
  const rowOff = ws.rowOff;
  if (fold) {
    for (let bi = 0, r = 0; bi < batch; bi++) for (let i = 0; i < M; i++, r++) rowOff[r] = ao + bi * sa0 + i * sa1;
    gemm.run(acc, ad, rowOff, rows, sa2, bd, bo, sb1, sb2, K, N, out, 0);
    return;
  }
  for (let bi = 0; bi < batch; bi++) {
    for (let i = 0; i < M; i++) rowOff[i] = ao + bi * sa0 + i * sa1;
    gemm.run(acc, ad, rowOff, M, sa2, bd, bo + bi * sb0, sb1, sb2, K, N, out, bi * M * N);
  }
}

/** Exact int32 matmul (wrap-around), a dot product per output element. */
function matmulInt(
  ad: TypedArray, ao: number, sa0: number, sa1: number, sa2: number,
  bd: TypedArray, bo: number, sb0: number, sb1: number, sb2: number,
  batch: number, M: number, K: number, N: number, out: TypedArray,
): void {
  let o = 0;
  for (let bi = 0; bi < batch; bi++) {
    for (let i = 0; i < M; i++) {
      const arow = ao + bi * sa0 + i * sa1;
      for (let j = 0; j < N; j++, o++) {
        let acc = 0;
        let pa = arow;
        let pb = bo + bi * sb0 + j * sb2;
        for (let k = 0; k < K; k++, pa += sa2, pb += sb1) acc = (acc + Math.imul(ad[pa]!, bd[pb]!)) | 0;
        out[o] = acc;
      }
    }
  }
}

/** Direct loops for small or skinny float problems: dot products when B is contiguous along K, else i-k-j. */
function matmulDirect(
  ad: TypedArray, ao: number, sam: number, sak: number,
  bd: TypedArray, bo: number, sbk: number, sbn: number,
  M: number, K: number, N: number, out: TypedArray, co: number, acc: Float64Array,
): void {
  if (sbk === 1 && sbn !== 1) {
    for (let i = 0; i < M; i++) {
      const arow = ao + i * sam;
      for (let j = 0; j < N; j++) {
        let s0 = 0;
        let s1 = 0;
        let pa = arow;
        let pb = bo + j * sbn;
        let k = 0;
        for (; k + 1 < K; k += 2, pa += 2 * sak, pb += 2) {
          s0 += ad[pa]! * bd[pb]!;
          s1 += ad[pa + sak]! * bd[pb + 1]!;
        }
        if (k < K) s0 += ad[pa]! * bd[pb]!;
        out[co + i * N + j] = s0 + s1;
      }
    }
    return;
  }
  for (let i = 0; i < M; i++) {
    acc.fill(0, 0, N);
    let pa = ao + i * sam;
    for (let k = 0; k < K; k++, pa += sak) {
      const av = ad[pa]!;
      let pb = bo + k * sbk;
      for (let j = 0; j < N; j++, pb += sbn) acc[j] = acc[j]! + av * bd[pb]!;
    }
    const ro = co + i * N;
    for (let j = 0; j < N; j++) out[ro + j] = acc[j]!;
  }
}

/**
 * Blocked GEMM: `C[co + i * N + j] = sum_k A[rowOff[i] + k * sak] * B[bo + k * sbk + j * sbn]`
 * for i < M (C is overwritten).
 */
function gemm(
  ad: TypedArray, rowOff: Float64Array, sak: number,
  bd: TypedArray, bo: number, sbk: number, sbn: number,
  C: TypedArray, co: number, M: number, K: number, N: number, ws: MatmulWorkspace,
): void {
  C.fill(0, co, co + M * N);
  const ap = ws.ap;
  const bp = ws.bp;
  const tile = ws.tile;
  for (let j0 = 0; j0 < N; j0 += NC) {
    const nc = Math.min(NC, N - j0);
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = Math.min(KC, K - k0);
      packB(bd, bo + k0 * sbk + j0 * sbn, sbk, sbn, kc, nc, bp);
      for (let i0 = 0; i0 < M; i0 += MC) {
        const mc = Math.min(MC, M - i0);
        packA(ad, rowOff, i0, k0 * sak, sak, mc, kc, ap);
        for (let jp = 0; jp < nc; jp += NR) {
          const nr = Math.min(NR, nc - jp);
          const pb = jp * kc;
          for (let ip = 0; ip < mc; ip += MR) {
            const mr = Math.min(MR, mc - ip);
            const c0 = co + (i0 + ip) * N + j0 + jp;
            if (mr === MR && nr === NR) kernel4x4(ap, ip * kc, bp, pb, kc, C, c0, N);
            else kernelEdge(ap, ip * kc, bp, pb, kc, C, c0, N, mr, nr, tile);
          }
        }
      }
    }
  }
}

/** Pack rows `i0 .. i0 + mc` of A, columns `k0 .. k0 + kc`, into 4-row panels `[panel][k][4]` (zero-padded). */
function packA(ad: TypedArray, rowOff: Float64Array, i0: number, kOff: number, sak: number, mc: number, kc: number, ap: Float64Array): void {
  for (let ip = 0; ip < mc; ip += MR) {
    const base = ip * kc;
    for (let ii = 0; ii < MR; ii++) {
      let q = base + ii;
      if (ip + ii < mc) {
        let p = rowOff[i0 + ip + ii]! + kOff;
        if (sak === 1) for (let k = 0; k < kc; k++, q += MR) ap[q] = ad[p + k]!;
        else for (let k = 0; k < kc; k++, q += MR, p += sak) ap[q] = ad[p]!;
      } else {
        for (let k = 0; k < kc; k++, q += MR) ap[q] = 0;
      }
    }
  }
}

/** Pack a `kc x nc` block of B (from element `p0`) into 4-column panels `[panel][k][4]` (zero-padded). */
function packB(bd: TypedArray, p0: number, sbk: number, sbn: number, kc: number, nc: number, bp: Float64Array): void {
  for (let jp = 0; jp < nc; jp += NR) {
    const base = jp * kc;
    if (jp + NR <= nc && sbn === 1) {
      for (let k = 0, q = base, p = p0 + jp; k < kc; k++, q += NR, p += sbk) {
        bp[q] = bd[p]!;
        bp[q + 1] = bd[p + 1]!;
        bp[q + 2] = bd[p + 2]!;
        bp[q + 3] = bd[p + 3]!;
      }
      continue;
    }
    for (let jj = 0; jj < NR; jj++) {
      let q = base + jj;
      if (jp + jj < nc) {
        let p = p0 + (jp + jj) * sbn;
        for (let k = 0; k < kc; k++, q += NR, p += sbk) bp[q] = bd[p]!;
      } else {
        for (let k = 0; k < kc; k++, q += NR) bp[q] = 0;
      }
    }
  }
}

/** 4 x 4 micro-kernel: `C[c0 + r * ldc + s] += sum_k ap[pa + 4k + r] * bp[pb + 4k + s]`. */
function kernel4x4(ap: Float64Array, pa: number, bp: Float64Array, pb: number, kc: number, C: TypedArray, c0: number, ldc: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let k = 0; k < kc; k++, pa += 4, pb += 4) {
    const a0 = ap[pa]!, a1 = ap[pa + 1]!, a2 = ap[pa + 2]!, a3 = ap[pa + 3]!;
    const b0 = bp[pb]!, b1 = bp[pb + 1]!, b2 = bp[pb + 2]!, b3 = bp[pb + 3]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  let c = c0;
  C[c] += c00; C[c + 1] += c01; C[c + 2] += c02; C[c + 3] += c03;
  c += ldc;
  C[c] += c10; C[c + 1] += c11; C[c + 2] += c12; C[c + 3] += c13;
  c += ldc;
  C[c] += c20; C[c + 1] += c21; C[c + 2] += c22; C[c + 3] += c23;
  c += ldc;
  C[c] += c30; C[c + 1] += c31; C[c + 2] += c32; C[c + 3] += c33;
}

/** Edge micro-kernel: a full 4 x 4 product into `tile`, then only the `mr x nr` corner is added to C. */
function kernelEdge(
  ap: Float64Array, pa: number, bp: Float64Array, pb: number, kc: number,
  C: TypedArray, c0: number, ldc: number, mr: number, nr: number, tile: Float64Array,
): void {
  tile.fill(0);
  for (let k = 0; k < kc; k++, pa += 4, pb += 4) {
    for (let r = 0; r < 4; r++) {
      const av = ap[pa + r]!;
      const t = r * 4;
      tile[t] += av * bp[pb]!;
      tile[t + 1] += av * bp[pb + 1]!;
      tile[t + 2] += av * bp[pb + 2]!;
      tile[t + 3] += av * bp[pb + 3]!;
    }
  }
  for (let r = 0; r < mr; r++) for (let s = 0; s < nr; s++) C[c0 + r * ldc + s] += tile[r * 4 + s]!;
}
