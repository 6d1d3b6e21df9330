/**
 * Generates the WebAssembly SIMD GEMM module: per element type (f32x4 or f64x2 lanes) an
 * `mr x nr` register-blocked micro-kernel (`mr * nr / lanes` vector accumulators held in locals,
 * one `v128.load32_splat` / `load64_splat` of A per row and `nr / lanes` `v128.load`s of B per k
 * step, K unrolled by `ku`) and a macro-kernel that sweeps it over a packed block. Operands are
 * packed by the host (see `gemm.ts`):
 *
 * - A block: `mTiles` panels of `mr` rows, each `[k][mr]` (row-interleaved), `kc` steps long;
 * - B block: `nTiles` panels of `nr` columns, each `[k][nr]`;
 * - C block: row-major, of the kernel's element type, row pitch `ldc` bytes; the kernel adds into it.
 *
 * All sizes the kernel sees are padded (rows to `mr`, columns to `nr`, `kc` to a positive multiple
 * of `ku`) with zeros by the packer, so the generated code has no edge cases.
 *
 * A companion module (`gemmStridedModuleBytes`) holds the same micro-kernel reading A and B in place
 * through byte strides (no packing, K not unrolled), for operands the host copies whole.
 */
import { type FunctionBody, ModuleBuilder, ValType } from './emitter.js';

/** Element type of a generated kernel: f32x4 or f64x2 lanes. */
export type GemmElem = 'f32' | 'f64';

/** Micro-tile geometry of a generated GEMM kernel. */
export interface GemmShape {
  /** Element type of the packed operands, the accumulators and C. */
  readonly elem: GemmElem;
  /** Rows of the micro-tile. */
  readonly mr: number;
  /** Columns of the micro-tile (a multiple of the lanes per vector: 4 for f32, 2 for f64). */
  readonly nr: number;
  /** K unroll of the micro-kernel; packed `kc` is a positive multiple of it. */
  readonly ku: number;
}

/** Bytes per element of `elem`. */
export function elemBytes(elem: GemmElem): number {
  return elem === 'f32' ? 4 : 8;
}

const { i32, v128 } = ValType;

/**
 * The module bytes: one kernel per entry of `shapes`, all on one own memory, exported as `memory`
 * (or, with `sharedMaxPages`, on an imported shared memory `env.memory` of that maximum, which
 * worker threads instantiate the same module on). Exports, for each shape `s`,
 * `gemm_<s.elem>(pa, pb, pc, mTiles, nTiles, kc, ldc)`: `C += A_packed * B_packed` over the whole
 * block (byte addresses; `mTiles, nTiles >= 1`; `kc` a positive multiple of `ku`; `ldc` in bytes),
 * and `gemm_<s.elem>_set` with the same arguments, which writes `C = A_packed * B_packed`.
 * Shapes must have distinct element types.
 */
export function gemmModuleBytes(shapes: readonly GemmShape[], sharedMaxPages: number | null = null): Uint8Array {
  const mb = new ModuleBuilder();
  if (sharedMaxPages === null) {
    mb.memory(1);
    mb.exportMemory('memory');
  } else mb.importMemory('env', 'memory', 1, sharedMaxPages);
  const seen = new Set<GemmElem>();
  for (const shape of shapes) {
    const { elem, mr, nr, ku } = shape;
    const lanes = 16 / elemBytes(elem);
    if (!(mr >= 1 && nr >= lanes && nr % lanes === 0 && ku >= 1) || ![mr, nr, ku].every(Number.isInteger)) {
      throw new Error(`gemmModuleBytes: bad ${elem} micro-tile mr=${mr} nr=${nr} ku=${ku} (need integers, mr >= 1, nr a positive multiple of ${lanes}, ku >= 1)`);
    }
    if (seen.has(elem)) throw new Error(`gemmModuleBytes: two ${elem} kernels requested`);
    seen.add(elem);
    emitMacro(mb, emitKernel(mb, shape, true), shape, `gemm_${elem}`);
    emitMacro(mb, emitKernel(mb, shape, false), shape, `gemm_${elem}_set`);
  }
  return mb.encode();
}

/**
 * `kernel(pa, pb, pc, kc, ldc)`: one `mr x nr` tile, `C[pc + r * ldc + c] += sum_k A[k][r] * B[k][c]`
 * (with `accumulate`), or `=` (without: the first K block needs no zeroed C).
 */
function emitKernel(mb: ModuleBuilder, { elem, mr: MR, nr: NR, ku: KU }: GemmShape, accumulate: boolean): number {
  const { index, body: f } = mb.func([i32, i32, i32, i32, i32]);
  const [pa, pb, pc, kc, ldc] = f.params();
  const E = elemBytes(elem);
  const lanes = 16 / E;
  const NV = NR / lanes;
  const acc = f.locals(v128, MR * NV);
  const bv = f.locals(v128, NV);
  const av = f.local(v128);
  const splat = (offset: number) => (elem === 'f32' ? f.v128Load32Splat(offset) : f.v128Load64Splat(offset));
  const fma = () => (elem === 'f32' ? f.f32x4Mul().f32x4Add() : f.f64x2Mul().f64x2Add());

  // Accumulators are zero-initialised locals; do { KU rank-1 updates } while (kc -= KU).
  f.loop();
  for (let u = 0; u < KU; u++) {
    for (let v = 0; v < NV; v++) f.get(pb).v128Load((u * NR + lanes * v) * E).set(bv[v]!);
    for (let r = 0; r < MR; r++) {
      f.get(pa);
      splat((u * MR + r) * E).set(av);
      for (let v = 0; v < NV; v++) {
        const c = acc[r * NV + v]!;
        f.get(c).get(av).get(bv[v]!);
        fma().set(c);
      }
    }
  }
  f.get(pa).i32Const(KU * MR * E).i32Add().set(pa);
  f.get(pb).i32Const(KU * NR * E).i32Add().set(pb);
  f.get(kc).i32Const(KU).i32Sub().tee(kc).brIf(0);
  f.end();

  emitTileStore(f, elem, acc, MR, NV, pc, ldc, accumulate);
  return index;
}

/** Write (or, with `accumulate`, add) the `MR x NV` vector accumulators `acc` into the C tile at `pc` (row pitch `ldc` bytes); moves `pc`. */
function emitTileStore(f: FunctionBody, elem: GemmElem, acc: readonly number[], MR: number, NV: number, pc: number, ldc: number, accumulate: boolean): void {
  for (let r = 0; r < MR; r++) {
    for (let v = 0; v < NV; v++) {
      if (accumulate) {
        f.get(pc).get(pc).v128Load(16 * v).get(acc[r * NV + v]!);
        if (elem === 'f32') f.f32x4Add();
        else f.f64x2Add();
        f.v128Store(16 * v);
      } else f.get(pc).get(acc[r * NV + v]!).v128Store(16 * v);
    }
    if (r + 1 < MR) f.get(pc).get(ldc).i32Add().set(pc);
  }
}

/** `gemm(pa, pb, pc, mTiles, nTiles, kc, ldc)`: column panels of B outside, row panels of A inside; exported as `exportName`. */
function emitMacro(mb: ModuleBuilder, kernel: number, { elem, mr: MR, nr: NR }: GemmShape, exportName: string): void {
  const E = elemBytes(elem);
  const { index, body: f } = mb.func([i32, i32, i32, i32, i32, i32, i32]);
  const [pa, pb, pc, mTiles, nTiles, kc, ldc] = f.params();
  const [aStep, bStep, cStep, ai, ci, i] = f.locals(i32, 6);

  f.get(kc).i32Const(MR * E).i32Mul().set(aStep);
  f.get(kc).i32Const(NR * E).i32Mul().set(bStep);
  f.get(ldc).i32Const(MR).i32Mul().set(cStep);
  f.loop();
  {
    f.get(pa).set(ai);
    f.get(pc).set(ci);
    f.get(mTiles).set(i);
    f.loop();
    {
      f.get(ai).get(pb).get(ci).get(kc).get(ldc).call(kernel);
      f.get(ai).get(aStep).i32Add().set(ai);
      f.get(ci).get(cStep).i32Add().set(ci);
      f.get(i).i32Const(1).i32Sub().tee(i).brIf(0);
    }
    f.end();
    f.get(pb).get(bStep).i32Add().set(pb);
    f.get(pc).i32Const(NR * E).i32Add().set(pc);
    f.get(nTiles).i32Const(1).i32Sub().tee(nTiles).brIf(0);
  }
  f.end();
  mb.exportFunc(exportName, index);
}

/**
 * The strided companion module of one shape's kernel, on the GEMM module's memory (imported as
 * `env.memory`: shared with `sharedMaxPages`, as the GEMM module's own, else the one it exports).
 * It is a module of its own so that each stays under the 4 KiB browsers compile synchronously.
 * Exports `gemm_<elem>_strided(pa, sra, ska, pb, skb, bStep, pc, mTiles, nTiles, kc, ldc)`:
 * `C += A B` over operands read in place with byte strides (see `emitStridedKernel`; `kc >= 1`,
 * any value), and `gemm_<elem>_strided_set`, which writes `C = A B`.
 */
export function gemmStridedModuleBytes(shape: GemmShape, sharedMaxPages: number | null = null): Uint8Array {
  const mb = new ModuleBuilder();
  mb.importMemory('env', 'memory', 1, sharedMaxPages);
  emitStridedMacro(mb, emitStridedKernel(mb, shape, true), shape, `gemm_${shape.elem}_strided`);
  emitStridedMacro(mb, emitStridedKernel(mb, shape, false), shape, `gemm_${shape.elem}_strided_set`);
  return mb.encode();
}

/**
 * `kernel(pa, sra, ska, pb, skb, pc, kc, ldc)`: one `mr x nr` tile over operands in place, no
 * packing: A's element `(r, k)` at byte `pa + r * sra + k * ska` (row-major, k-major or packed
 * alike), B's row `k` of `nr` contiguous elements at `pb + k * skb`; `C[pc + r * ldc + c] +=` (with
 * `accumulate`) or `=` the sum over `kc >= 1` steps. The products and sums run in the same order as
 * the packed kernel's, so both give bitwise the same C.
 */
function emitStridedKernel(mb: ModuleBuilder, { elem, mr: MR, nr: NR }: GemmShape, accumulate: boolean): number {
  const { index, body: f } = mb.func([i32, i32, i32, i32, i32, i32, i32, i32]);
  const [pa, sra, ska, pb, skb, pc, kc, ldc] = f.params();
  const lanes = 16 / elemBytes(elem);
  const NV = NR / lanes;
  const acc = f.locals(v128, MR * NV);
  const bv = f.locals(v128, NV);
  const av = f.local(v128);
  const rowPtr = f.locals(i32, MR);
  const splat = () => (elem === 'f32' ? f.v128Load32Splat(0) : f.v128Load64Splat(0));
  const fma = () => (elem === 'f32' ? f.f32x4Mul().f32x4Add() : f.f64x2Mul().f64x2Add());

  f.get(pa).set(rowPtr[0]!);
  for (let r = 1; r < MR; r++) f.get(rowPtr[r - 1]!).get(sra).i32Add().set(rowPtr[r]!);
  f.loop();
  for (let v = 0; v < NV; v++) f.get(pb).v128Load(16 * v).set(bv[v]!);
  for (let r = 0; r < MR; r++) {
    f.get(rowPtr[r]!);
    splat().set(av);
    f.get(rowPtr[r]!).get(ska).i32Add().set(rowPtr[r]!);
    for (let v = 0; v < NV; v++) {
      const c = acc[r * NV + v]!;
      f.get(c).get(av).get(bv[v]!);
      fma().set(c);
    }
  }
  f.get(pb).get(skb).i32Add().set(pb);
  f.get(kc).i32Const(1).i32Sub().tee(kc).brIf(0);
  f.end();

  emitTileStore(f, elem, acc, MR, NV, pc, ldc, accumulate);
  return index;
}

/**
 * `gemm(pa, sra, ska, pb, skb, bStep, pc, mTiles, nTiles, kc, ldc)`: the strided kernel swept over
 * `mTiles` row tiles (A advancing `mr * sra` bytes) inside `nTiles` column panels (B advancing
 * `bStep` bytes, C `nr` elements); exported as `exportName`.
 */
function emitStridedMacro(mb: ModuleBuilder, kernel: number, { elem, mr: MR, nr: NR }: GemmShape, exportName: string): void {
  const E = elemBytes(elem);
  const { index, body: f } = mb.func([i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32]);
  const [pa, sra, ska, pb, skb, bStep, pc, mTiles, nTiles, kc, ldc] = f.params();
  const [aStep, cStep, ai, ci, i] = f.locals(i32, 5);

  f.get(sra).i32Const(MR).i32Mul().set(aStep);
  f.get(ldc).i32Const(MR).i32Mul().set(cStep);
  f.loop();
  {
    f.get(pa).set(ai);
    f.get(pc).set(ci);
    f.get(mTiles).set(i);
    f.loop();
    {
      f.get(ai).get(sra).get(ska).get(pb).get(skb).get(ci).get(kc).get(ldc).call(kernel);
      f.get(ai).get(aStep).i32Add().set(ai);
      f.get(ci).get(cStep).i32Add().set(ci);
      f.get(i).i32Const(1).i32Sub().tee(i).brIf(0);
    }
    f.end();
    f.get(pb).get(bStep).i32Add().set(pb);
    f.get(pc).i32Const(NR * E).i32Add().set(pc);
    f.get(nTiles).i32Const(1).i32Sub().tee(nTiles).brIf(0);
  }
  f.end();
  mb.exportFunc(exportName, index);
}

/** A minimal module using `f32x4.splat`, `f32x4.mul` and `v128.load`: `WebAssembly.validate` of it tells whether SIMD is supported. */
export function simdProbeBytes(): Uint8Array {
  const mb = new ModuleBuilder();
  mb.memory(1);
  const { body: f } = mb.func([i32, ValType.f32]);
  f.get(0).v128Load(0).get(1).f32x4Splat().f32x4Mul().drop();
  return mb.encode();
}
