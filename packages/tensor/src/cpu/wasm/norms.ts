/**
 * WebAssembly form of the LayerNorm / RMSNorm forward rows (`normRows` in `../reduce.ts`) on
 * float32 arena blocks, with a weight and an optional bias, computing in float64 exactly as the
 * JavaScript kernel does: the mean as four accumulators by index mod 4 (two `f64x2` vectors) with
 * the tail into the first and `(s0 + s1) + (s2 + s3)`, the variance as one sequential sum, `rstd =
 * 1 / sqrt(var / cols + eps)`, and `out = (x - mean) * rstd * weight + bias` per element (two lanes
 * at a time), each value rounded once to float32 on its store. Every step is the same IEEE
 * float64 operation in the same order, so the results are bitwise the JavaScript kernel's.
 */
import type { Arena } from './arena.js';
import { ModuleBuilder, ValType } from './emitter.js';
import { wasmApi, type WasmModule } from './wasm-api.js';
import { emitZeroScratch, withArenaScratch } from './scratch.js';

const { i32, f64, v128 } = ValType;

/**
 * The module: imports `env.memory`, exports `norm_rows(px, pw, pb, rows, cols, eps, pout, pmean,
 * prstd)` (byte addresses; `pb` 0 for no bias; `pmean` 0 for RMSNorm, which centres at 0).
 */
export function normRowsModuleBytes(): Uint8Array {
  const mb = new ModuleBuilder();
  mb.importMemory('env', 'memory', 1);
  const { index, body: f } = mb.func([i32, i32, i32, i32, i32, f64, i32, i32, i32]);
  const [px, pw, pb, rows, cols, eps, pout, pmean, prstd] = f.params();
  const [r, xr, orow, c, end4b, endb, pairb] = f.locals(i32, 7);
  const [mu, v, rs, s0, d, colsF] = f.locals(f64, 6);
  const [v01, v23, muV, rsV] = f.locals(v128, 4);
  const zero = new Array<number>(16).fill(0);
  f.get(cols).f64ConvertI32().set(colsF);
  f.get(cols).i32Const(-4).i32And().i32Const(4).i32Mul().set(end4b);
  f.get(cols).i32Const(-2).i32And().i32Const(4).i32Mul().set(pairb);
  f.get(cols).i32Const(4).i32Mul().set(endb);
  f.get(px).set(xr);
  f.get(pout).set(orow);
  f.i32Const(0).set(r);
  f.block().loop();
  f.get(r).get(rows).i32GeU().brIf(1);
  // mu: 0 (RMSNorm), else the four-accumulator row sum / cols
  f.f64Const(0).set(mu);
  f.block();
  f.get(pmean).i32Eqz().brIf(0);
  f.v128Const(zero).set(v01);
  f.v128Const(zero).set(v23);
  f.i32Const(0).set(c);
  f.block().loop();
  f.get(c).get(end4b).i32GeU().brIf(1);
  f.get(v01).get(xr).get(c).i32Add().v128Load64Zero(0).f64x2PromoteLowF32x4().f64x2Add().set(v01);
  f.get(v23).get(xr).get(c).i32Add().v128Load64Zero(8).f64x2PromoteLowF32x4().f64x2Add().set(v23);
  f.get(c).i32Const(16).i32Add().set(c);
  f.br(0).end().end();
  f.get(v01).f64x2ExtractLane(0).set(s0);
  f.block().loop();
  f.get(c).get(endb).i32GeU().brIf(1);
  f.get(s0).get(xr).get(c).i32Add().f32Load(0).f64PromoteF32().f64Add().set(s0);
  f.get(c).i32Const(4).i32Add().set(c);
  f.br(0).end().end();
  // (s0 + s1) + (s2 + s3)
  f.get(s0).get(v01).f64x2ExtractLane(1).f64Add();
  f.get(v23).f64x2ExtractLane(0).get(v23).f64x2ExtractLane(1).f64Add();
  f.f64Add().get(colsF).f64Div().set(mu);
  f.get(pmean).get(r).i32Const(4).i32Mul().i32Add().get(mu).f32DemoteF64().f32Store(0);
  f.end();
  // v = sum (x - mu)^2, sequentially
  f.f64Const(0).set(v);
  f.i32Const(0).set(c);
  f.block().loop();
  f.get(c).get(endb).i32GeU().brIf(1);
  f.get(xr).get(c).i32Add().f32Load(0).f64PromoteF32().get(mu).f64Sub().set(d);
  f.get(v).get(d).get(d).f64Mul().f64Add().set(v);
  f.get(c).i32Const(4).i32Add().set(c);
  f.br(0).end().end();
  // rs = 1 / sqrt(v / cols + eps)
  f.f64Const(1).get(v).get(colsF).f64Div().get(eps).f64Add().f64Sqrt().f64Div().set(rs);
  f.get(prstd).get(r).i32Const(4).i32Mul().i32Add().get(rs).f32DemoteF64().f32Store(0);
  f.get(mu).f64x2Splat().set(muV);
  f.get(rs).f64x2Splat().set(rsV);
  // out = (x - mu) * rs * w (+ b), two lanes at a time, then an odd last column
  f.i32Const(0).set(c);
  f.block().loop();
  f.get(c).get(pairb).i32GeU().brIf(1);
  f.get(orow).get(c).i32Add();
  f.get(xr).get(c).i32Add().v128Load64Zero(0).f64x2PromoteLowF32x4().get(muV).f64x2Sub().get(rsV).f64x2Mul();
  f.get(pw).get(c).i32Add().v128Load64Zero(0).f64x2PromoteLowF32x4().f64x2Mul();
  f.set(v01);
  f.block();
  f.get(pb).i32Eqz().brIf(0);
  f.get(v01).get(pb).get(c).i32Add().v128Load64Zero(0).f64x2PromoteLowF32x4().f64x2Add().set(v01);
  f.end();
  f.get(v01).f32x4DemoteF64x2Zero().v128Store64Lane(0, 0);
  f.get(c).i32Const(8).i32Add().set(c);
  f.br(0).end().end();
  f.block();
  f.get(c).get(endb).i32GeU().brIf(0);
  f.get(orow).get(c).i32Add();
  f.get(xr).get(c).i32Add().f32Load(0).f64PromoteF32().get(mu).f64Sub().get(rs).f64Mul();
  f.get(pw).get(c).i32Add().f32Load(0).f64PromoteF32().f64Mul().set(d);
  f.block();
  f.get(pb).i32Eqz().brIf(0);
  f.get(d).get(pb).get(c).i32Add().f32Load(0).f64PromoteF32().f64Add().set(d);
  f.end();
  f.get(d).f32DemoteF64().f32Store(0);
  f.end();
  f.get(xr).get(endb).i32Add().set(xr);
  f.get(orow).get(endb).i32Add().set(orow);
  f.get(r).i32Const(1).i32Add().set(r);
  f.br(0).end().end();
  mb.exportFunc('norm_rows', index);
  return mb.encode();
}

let compiled: WasmModule | null = null;

type NormRowsFn = (px: number, pw: number, pb: number, rows: number, cols: number, eps: number, pout: number, pmean: number, prstd: number) => void;

/** The norm rows kernel of one arena. */
export class WasmNorms {
  /** `norm_rows` (see `normRowsModuleBytes`). */
  readonly normRows: NormRowsFn;

  constructor(arena: Arena) {
    const wa = wasmApi()!;
    compiled ??= new wa.Module(normRowsModuleBytes());
    this.normRows = new wa.Instance(compiled, { env: { memory: arena.memory } }).exports['norm_rows'] as NormRowsFn;
  }
}

/**
 * The module of the norm backward rows (`normBackwardRows` in `../fused.ts`) with a weight and its
 * gradient: exports `norm_backward_rows(px, pmean, prstd, pw, pg, rows, cols, pdx, pdw, pdb, pacc)`
 * (byte addresses; `pmean` 0 for RMSNorm, `pdb` 0 without a bias gradient; `pacc` holds
 * `16 * cols` bytes of float64 scratch for the weight and bias sums). Per row, in float64 as the
 * JavaScript kernel: `xh = (x - mean) * rstd`, `gh = g * w`, the sums `a += gh`, `b += gh * xh`,
 * `dw += g * xh`, `db += g` in column order, then `a = mean ? a / cols : 0`, `b /= cols` and
 * `dx = rstd * (gh - a - xh * b)` (two lanes at a time); the weight and bias gradients are rounded
 * to float32 at the end. Bitwise the JavaScript kernel's results.
 */
export function normBackwardModuleBytes(): Uint8Array {
  const mb = new ModuleBuilder();
  mb.importMemory('env', 'memory', 1);
  const { index, body: f } = mb.func([i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32]);
  const [px, pmean, prstd, pw, pg, rows, cols, pdx, pdw, pdb, pacc] = f.params();
  const [r, xr, gr, dxr, c, c2, endb, pairb, dbOff] = f.locals(i32, 9);
  const [mu, rs, a, b, xh, g, gh, colsF] = f.locals(f64, 8);
  const [muV, rsV, aV, bV, xhV, ghV] = f.locals(v128, 6);
  f.get(cols).f64ConvertI32().set(colsF);
  f.get(cols).i32Const(4).i32Mul().set(endb);
  f.get(cols).i32Const(-2).i32And().i32Const(4).i32Mul().set(pairb);
  f.get(cols).i32Const(8).i32Mul().set(dbOff); // db scratch after dw
  // zero the scratch (16 * cols bytes)
  emitZeroScratch(f, pacc, cols, 16);
  f.get(px).set(xr);
  f.get(pg).set(gr);
  f.get(pdx).set(dxr);
  f.i32Const(0).set(r);
  f.block().loop();
  f.get(r).get(rows).i32GeU().brIf(1);
  // mu (0 without means), rs
  f.f64Const(0).set(mu);
  f.block();
  f.get(pmean).i32Eqz().brIf(0);
  f.get(pmean).get(r).i32Const(4).i32Mul().i32Add().f32Load(0).f64PromoteF32().set(mu);
  f.end();
  f.get(prstd).get(r).i32Const(4).i32Mul().i32Add().f32Load(0).f64PromoteF32().set(rs);
  // the sums, column by column
  f.f64Const(0).set(a);
  f.f64Const(0).set(b);
  f.i32Const(0).set(c);
  f.i32Const(0).set(c2);
  f.block().loop();
  f.get(c).get(endb).i32GeU().brIf(1);
  f.get(xr).get(c).i32Add().f32Load(0).f64PromoteF32().get(mu).f64Sub().get(rs).f64Mul().set(xh);
  f.get(gr).get(c).i32Add().f32Load(0).f64PromoteF32().set(g);
  f.get(g).get(pw).get(c).i32Add().f32Load(0).f64PromoteF32().f64Mul().set(gh);
  f.get(a).get(gh).f64Add().set(a);
  f.get(b).get(gh).get(xh).f64Mul().f64Add().set(b);
  f.get(pacc).get(c2).i32Add();
  f.get(pacc).get(c2).i32Add().f64Load(0).get(g).get(xh).f64Mul().f64Add().f64Store(0);
  f.block();
  f.get(pdb).i32Eqz().brIf(0);
  f.get(pacc).get(dbOff).i32Add().get(c2).i32Add();
  f.get(pacc).get(dbOff).i32Add().get(c2).i32Add().f64Load(0).get(g).f64Add().f64Store(0);
  f.end();
  f.get(c).i32Const(4).i32Add().set(c);
  f.get(c2).i32Const(8).i32Add().set(c2);
  f.br(0).end().end();
  // a = mean ? a / cols : 0; b /= cols
  f.block();
  f.get(pmean).i32Eqz().brIf(0);
  f.get(a).get(colsF).f64Div().set(a);
  f.end();
  f.block();
  f.get(pmean).i32Eqz().i32Eqz().brIf(0);
  f.f64Const(0).set(a);
  f.end();
  f.get(b).get(colsF).f64Div().set(b);
  f.get(mu).f64x2Splat().set(muV);
  f.get(rs).f64x2Splat().set(rsV);
  f.get(a).f64x2Splat().set(aV);
  f.get(b).f64x2Splat().set(bV);
  // dx = rs * (gh - a - xh * b), two lanes at a time, then an odd last column
  f.i32Const(0).set(c);
  f.block().loop();
  f.get(c).get(pairb).i32GeU().brIf(1);
  f.get(xr).get(c).i32Add().v128Load64Zero(0).f64x2PromoteLowF32x4().get(muV).f64x2Sub().get(rsV).f64x2Mul().set(xhV);
  f.get(gr).get(c).i32Add().v128Load64Zero(0).f64x2PromoteLowF32x4();
  f.get(pw).get(c).i32Add().v128Load64Zero(0).f64x2PromoteLowF32x4().f64x2Mul().set(ghV);
  f.get(dxr).get(c).i32Add();
  f.get(rsV).get(ghV).get(aV).f64x2Sub().get(xhV).get(bV).f64x2Mul().f64x2Sub().f64x2Mul();
  f.f32x4DemoteF64x2Zero().v128Store64Lane(0, 0);
  f.get(c).i32Const(8).i32Add().set(c);
  f.br(0).end().end();
  f.block();
  f.get(c).get(endb).i32GeU().brIf(0);
  f.get(xr).get(c).i32Add().f32Load(0).f64PromoteF32().get(mu).f64Sub().get(rs).f64Mul().set(xh);
  f.get(gr).get(c).i32Add().f32Load(0).f64PromoteF32().get(pw).get(c).i32Add().f32Load(0).f64PromoteF32().f64Mul().set(gh);
  f.get(dxr).get(c).i32Add();
  f.get(rs).get(gh).get(a).f64Sub().get(xh).get(b).f64Mul().f64Sub().f64Mul().f32DemoteF64().f32Store(0);
  f.end();
  f.get(xr).get(endb).i32Add().set(xr);
  f.get(gr).get(endb).i32Add().set(gr);
  f.get(dxr).get(endb).i32Add().set(dxr);
  f.get(r).i32Const(1).i32Add().set(r);
  f.br(0).end().end();
  // the weight and bias gradients, rounded once
  f.i32Const(0).set(c);
  f.i32Const(0).set(c2);
  f.block().loop();
  f.get(c).get(endb).i32GeU().brIf(1);
  f.get(pdw).get(c).i32Add().get(pacc).get(c2).i32Add().f64Load(0).f32DemoteF64().f32Store(0);
  f.block();
  f.get(pdb).i32Eqz().brIf(0);
  f.get(pdb).get(c).i32Add().get(pacc).get(dbOff).i32Add().get(c2).i32Add().f64Load(0).f32DemoteF64().f32Store(0);
  f.end();
  f.get(c).i32Const(4).i32Add().set(c);
  f.get(c2).i32Const(8).i32Add().set(c2);
  f.br(0).end().end();
  mb.exportFunc('norm_backward_rows', index);
  return mb.encode();
}

let compiledBackward: WasmModule | null = null;

type NormBackwardFn = (px: number, pmean: number, prstd: number, pw: number, pg: number, rows: number, cols: number, pdx: number, pdw: number, pdb: number, pacc: number) => void;

/** The norm backward rows kernel of one arena, with its scratch. */
export class WasmNormBackward {
  private readonly fn: NormBackwardFn;

  constructor(private readonly arena: Arena) {
    const wa = wasmApi()!;
    compiledBackward ??= new wa.Module(normBackwardModuleBytes());
    this.fn = new wa.Instance(compiledBackward, { env: { memory: arena.memory } }).exports['norm_backward_rows'] as NormBackwardFn;
  }

  /** Run it (see `normBackwardModuleBytes`); false (having done nothing) when the scratch cannot be allocated. */
  run(px: number, pmean: number, prstd: number, pw: number, pg: number, rows: number, cols: number, pdx: number, pdw: number, pdb: number): boolean {
    return withArenaScratch(this.arena, Math.max(16, 16 * cols), (pacc) => this.fn(px, pmean, prstd, pw, pg, rows, cols, pdx, pdw, pdb, pacc));
  }
}
