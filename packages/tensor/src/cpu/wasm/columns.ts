/**
 * WebAssembly SIMD form of `sumColumns` (`../reduce.ts`): the sum over the rows of a contiguous
 * float32 `[rows, cols]` block in the arena, in float64 lanes (`f64x2`), with exactly the
 * JavaScript kernel's accumulation order: four float64 accumulators per column taking the rows by
 * index mod 4, the rows past the last multiple of 4 into the first, combined as
 * `(s0 + s1) + (s2 + s3)` and rounded once to float32. Widening float32 to float64 is exact and
 * every add is an IEEE float64 add, so the result is bitwise the JavaScript kernel's.
 */
import type { Arena } from './arena.js';
import { ModuleBuilder, ValType } from './emitter.js';
import { wasmApi, type WasmModule } from './wasm-api.js';
import { emitZeroScratch, withArenaScratch } from './scratch.js';

const { i32 } = ValType;

/** The module: imports `env.memory`, exports `sum_columns(px, rows, cols, pacc, pout)` (byte addresses; `pacc` holds `32 * cols` bytes of scratch). */
export function sumColumnsModuleBytes(): Uint8Array {
  const mb = new ModuleBuilder();
  mb.importMemory('env', 'memory', 1);
  const { index, body: f } = mb.func([i32, i32, i32, i32, i32]);
  const [px, rows, cols, pacc, pout] = f.params();
  const [r, end4, a, xr, c, pairBytes, rowBytes, accRow] = f.locals(i32, 8);
  // Zero the four accumulator rows (32 * cols bytes).
  emitZeroScratch(f, pacc, cols, 32);
  // Rows: accumulator r & 3 below the last multiple of 4, the first one after it.
  f.get(rows).i32Const(-4).i32And().set(end4);
  f.get(cols).i32Const(-2).i32And().i32Const(4).i32Mul().set(pairBytes);
  f.get(cols).i32Const(4).i32Mul().set(rowBytes);
  f.get(cols).i32Const(8).i32Mul().set(accRow);
  f.get(px).set(xr);
  f.i32Const(0).set(r);
  f.block().loop();
  f.get(r).get(rows).i32GeU().brIf(1);
  // a = pacc + (r < end4 ? r & 3 : 0) * accRow
  f.get(pacc);
  f.get(r).get(end4).i32LtU();
  f.get(r).i32Const(3).i32And().i32Mul(); // (r < end4) * (r & 3)
  f.get(accRow).i32Mul().i32Add().set(a);
  // Pairs of columns: acc[c, c + 1] += widen(x[c, c + 1])
  f.i32Const(0).set(c);
  f.block().loop();
  f.get(c).get(pairBytes).i32GeU().brIf(1);
  f.get(a).get(c).i32Const(2).i32Mul().i32Add(); // store address
  f.get(a).get(c).i32Const(2).i32Mul().i32Add().v128Load(0);
  f.get(xr).get(c).i32Add().v128Load64Zero(0).f64x2PromoteLowF32x4();
  f.f64x2Add().v128Store(0);
  f.get(c).i32Const(8).i32Add().set(c);
  f.br(0).end().end();
  // An odd last column, in scalar float64.
  f.block();
  f.get(cols).i32Const(1).i32And().i32Eqz().brIf(0);
  f.get(a).get(c).i32Const(2).i32Mul().i32Add();
  f.get(a).get(c).i32Const(2).i32Mul().i32Add().f64Load(0);
  f.get(xr).get(c).i32Add().f32Load(0).f64PromoteF32();
  f.f64Add().f64Store(0);
  f.end();
  f.get(xr).get(rowBytes).i32Add().set(xr);
  f.get(r).i32Const(1).i32Add().set(r);
  f.br(0).end().end();
  // out[c] = float32((s0 + s1) + (s2 + s3)), two columns at a time, then an odd last one.
  f.i32Const(0).set(c);
  f.block().loop();
  f.get(c).get(pairBytes).i32GeU().brIf(1);
  f.get(pout).get(c).i32Add(); // store address
  f.get(pacc).get(c).i32Const(2).i32Mul().i32Add().set(a);
  f.get(a).v128Load(0);
  f.get(a).get(accRow).i32Add().v128Load(0);
  f.f64x2Add();
  f.get(a).get(accRow).i32Const(2).i32Mul().i32Add().v128Load(0);
  f.get(a).get(accRow).i32Const(3).i32Mul().i32Add().v128Load(0);
  f.f64x2Add();
  f.f64x2Add().f32x4DemoteF64x2Zero().v128Store64Lane(0, 0);
  f.get(c).i32Const(8).i32Add().set(c);
  f.br(0).end().end();
  f.block();
  f.get(cols).i32Const(1).i32And().i32Eqz().brIf(0);
  f.get(pout).get(c).i32Add();
  f.get(pacc).get(c).i32Const(2).i32Mul().i32Add().set(a);
  f.get(a).f64Load(0);
  f.get(a).get(accRow).i32Add().f64Load(0);
  f.f64Add();
  f.get(a).get(accRow).i32Const(2).i32Mul().i32Add().f64Load(0);
  f.get(a).get(accRow).i32Const(3).i32Mul().i32Add().f64Load(0);
  f.f64Add();
  f.f64Add().f32DemoteF64().f32Store(0);
  f.end();
  mb.exportFunc('sum_columns', index);
  return mb.encode();
}

let compiled: WasmModule | null = null;

type SumColumnsFn = (px: number, rows: number, cols: number, pacc: number, pout: number) => void;

/** The SIMD column sums of one arena (its scratch comes from the arena, per call). */
export class WasmColumns {
  private readonly fn: SumColumnsFn;

  constructor(private readonly arena: Arena) {
    const wa = wasmApi()!;
    compiled ??= new wa.Module(sumColumnsModuleBytes());
    this.fn = new wa.Instance(compiled, { env: { memory: arena.memory } }).exports['sum_columns'] as SumColumnsFn;
  }

  /**
   * `out[c] = sum_r x[r, c]` for float32 arena storages (byte addresses `px` of the block's first
   * element, `pout`); false (having done nothing) when the scratch cannot be allocated.
   */
  run(px: number, rows: number, cols: number, pout: number): boolean {
    return withArenaScratch(this.arena, Math.max(16, 32 * cols), (pacc) => this.fn(px, rows, cols, pacc, pout));
  }
}
