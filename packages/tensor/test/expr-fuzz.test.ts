/**
 * Expression kernels against the reference semantics: random expression trees (fuzz) evaluated by
 * the interpreter (`evalProgram`), the generated JavaScript kernels (exactly equal) and the
 * WebAssembly SIMD kernels (float32 lanes: within a few ulps of a float32 evaluation), plus the
 * accuracy of the SIMD exp / log / tanh over wide ranges.
 */
import { erf, erfc } from '../src/cpu/special.js';
import { describe, expect, it } from 'vitest';
import { CpuBackend, Generator, evalProgram, expr, type Expr, type Program } from '../src/index.js';
import { CpuStorage } from '../src/cpu/storage.js';
import { WasmElementwise, setSimdElementwise } from '../src/cpu/wasm/expr-kernels.js';
import { sharedArena } from '../src/cpu/wasm/arena.js';
import { wasmSupports } from '../src/cpu/wasm/expr-module.js';
import { kernels } from '../src/runtime/kernels.js';

const gen = new Generator(4242);
const pick = <T>(xs: readonly T[]): T => xs[gen.int(xs.length)]!;

const F_UNARY = ['neg', 'abs', 'sqrt', 'exp', 'log', 'tanh', 'erf', 'erfc', 'floor', 'ceil', 'round', 'sin', 'cos', 'log1p'] as const;
/** How many of `F_UNARY` (from the start) have a SIMD form. */
const SIMD_UNARY = 11;
const F_BINARY = ['add', 'sub', 'mul', 'div', 'max', 'min', 'pow', 'atan2'] as const;
const CMP = ['lt', 'le', 'eq', 'ne'] as const;

/** A random float32 expression of depth <= `depth` over `nIn` inputs and 2 scalars. */
function randomF32(depth: number, nIn: number, simdOnly: boolean): Expr {
  const leaf = (): Expr => {
    const r = gen.uniform();
    if (r < 0.6) return expr.input(gen.int(nIn), 'float32');
    if (r < 0.8) return expr.scalar(gen.int(2), 'float32');
    return expr.constant(Math.round((gen.uniform() * 6 - 3) * 4) / 4, 'float32');
  };
  if (depth === 0) return leaf();
  const r = gen.uniform();
  const sub = () => randomF32(depth - 1, nIn, simdOnly);
  if (r < 0.35) {
    const ops = simdOnly ? F_UNARY.slice(0, SIMD_UNARY) : F_UNARY;
    return expr.unary(pick(ops), sub());
  }
  if (r < 0.8) {
    const ops = simdOnly ? F_BINARY.slice(0, 6) : F_BINARY;
    return expr.binary(pick(ops), sub(), sub());
  }
  if (r < 0.9) {
    const c = expr.binary(pick(CMP), sub(), sub());
    return expr.where(gen.uniform() < 0.3 ? expr.unary('not', c) : c, sub(), sub());
  }
  // int32 round trip: cast to int32, integer arithmetic, back
  const i = expr.cast(sub(), 'int32');
  const j = expr.binary(pick(['add', 'sub', 'mul', 'max', 'min'] as const), i, expr.cast(sub(), 'int32'));
  return expr.cast(j, 'float32');
}

const N = 301; // not a multiple of 4: the SIMD tail runs too
const be = new CpuBackend();

function inputs(nIn: number): CpuStorage[] {
  return Array.from({ length: nIn }, () => be.upload(Float32Array.from({ length: N }, () => (gen.uniform() < 0.05 ? pick([0, -0, 1e-3, 40, -40, 100]) : gen.normal() * 2)), 'float32') as CpuStorage);
}
const view = (s: CpuStorage) => ({ storage: s, shape: [N], strides: [1], offset: 0 });

function reference(p: Program, ins: CpuStorage[], scalars: number[]): number[][] {
  const cols = ins.map((s) => s.data);
  const out = p.outputs.map(() => new Array<number>(N));
  const x = new Array<number>(ins.length);
  for (let i = 0; i < N; i++) {
    for (let k = 0; k < ins.length; k++) x[k] = cols[k]![i]!;
    evalProgram(p, x, scalars).forEach((v, k) => (out[k]![i] = Math.fround(v)));
  }
  return out;
}

/** Same or both NaN, or within `ulps` float32 ulps of `want` (plus a small absolute floor). */
function close(got: number, want: number, rel: number, abs: number): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  return Math.abs(got - want) <= abs + rel * Math.abs(want);
}

describe('expression kernels: fuzz against the reference', () => {
  it('generated JavaScript kernels equal the interpreter exactly (48 random programs, transposed and broadcast operands)', () => {
    setSimdElementwise(false);
    try {
      const R = 7;
      const C = 43;
      for (let t = 0; t < 48; t++) {
        const nIn = 1 + gen.int(3);
        const outs = [randomF32(1 + gen.int(4), nIn, false), ...(gen.uniform() < 0.3 ? [randomF32(2, nIn, false)] : [])];
        const p = expr.program(outs, Array.from({ length: nIn }, () => 'float32' as const));
        // each input: contiguous [R, C], transposed (a [C, R] storage), a broadcast row, or a broadcast scalar
        const kinds = Array.from({ length: nIn }, () => gen.int(4));
        const sizes = kinds.map((kd) => (kd < 2 ? R * C : kd === 2 ? C : 1));
        const ins = sizes.map((n) => be.upload(Float32Array.from({ length: n }, () => gen.normal() * 2), 'float32') as CpuStorage);
        const views = kinds.map((kd, i) => ({ storage: ins[i]!, shape: [R, C], strides: kd === 0 ? [C, 1] : kd === 1 ? [1, R] : kd === 2 ? [0, 1] : [0, 0], offset: 0 }));
        const scalars = [gen.normal(), gen.uniform() * 3];
        const got = p.outputs.map(() => be.allocate(R * C, 'float32') as CpuStorage);
        be.elementwise(p, views, got.map((g) => ({ storage: g, shape: [R, C], strides: [C, 1], offset: 0 })), scalars);
        const x = new Array<number>(nIn);
        for (let r = 0; r < R; r++) {
          for (let c = 0; c < C; c++) {
            views.forEach((v, i) => (x[i] = ins[i]!.data[r * v.strides[0]! + c * v.strides[1]!]!));
            const want = evalProgram(p, x, scalars).map(Math.fround);
            got.forEach((g, k) => {
              const d = g.data[r * C + c]!;
              if (!Object.is(d, want[k]) && !(Number.isNaN(d) && Number.isNaN(want[k]))) {
                throw new Error(`program ${t} output ${k} [${r},${c}]: js ${d} vs reference ${want[k]}: ${expr.show(p.outputs[k]!)}`);
              }
            });
          }
        }
        for (const s of [...ins, ...got]) be.release(s);
      }
    } finally {
      setSimdElementwise(true);
    }
  });

  it('WebAssembly SIMD kernels agree with a float32 evaluation within a few ulps (48 random programs)', () => {
    const arena = sharedArena();
    if (!arena) return; // no WebAssembly SIMD here: nothing to compare
    const simd = new WasmElementwise(arena);
    let ran = 0;
    for (let t = 0; t < 48; t++) {
      const nIn = 1 + gen.int(3);
      const p = expr.program([randomF32(1 + gen.int(3), nIn, true)], Array.from({ length: nIn }, () => 'float32' as const));
      expect(wasmSupports(p)).toBe(true);
      const ins = inputs(nIn);
      const scalars = [Math.fround(gen.normal()), Math.fround(gen.uniform() * 3)];
      // reference in float32: round every float node (what the lanes do), transcendental ops exact
      const p32 = expr.program([roundEveryNode(p.outputs[0]!)], p.inputs);
      const want = reference(p32, ins, scalars)[0]!;
      const out = be.allocate(N, 'float32') as CpuStorage;
      expect(simd.run(p, ins.map(view), [view(out)], scalars)).toBe(true);
      ran++;
      const d = out.data;
      for (let i = 0; i < N; i++) {
        if (!close(d[i]!, want[i]!, 2e-5, 1e-6)) throw new Error(`program ${t} [${i}]: simd ${d[i]} vs float32 reference ${want[i]}: ${expr.show(p.outputs[0]!)}`);
      }
      for (const s of [...ins, out]) be.release(s);
    }
    expect(ran).toBe(48);
  });

  it('SIMD exp, log and tanh are within 3 float32 ulps over wide ranges, erf within 3 and erfc within 7, with IEEE special values', () => {
    const arena = sharedArena();
    if (!arena) return;
    const simd = new WasmElementwise(arena);
    const n = 4099;
    const ulp = (x: number) => {
      const a = Math.abs(Math.fround(x));
      if (a === 0) return 1.4e-45;
      const e = Math.floor(Math.log2(a));
      return Math.max(2 ** (e - 23), 1.4e-45);
    };
    const cases: [string, (x: Expr) => Expr, (x: number) => number, number, number, number][] = [
      ['exp', (x) => expr.unary('exp', x), Math.exp, -87, 88.7, 3],
      ['log', (x) => expr.unary('log', x), Math.log, 1e-30, 1e30, 3],
      ['tanh', (x) => expr.unary('tanh', x), Math.tanh, -12, 12, 3],
      ['erf', (x) => expr.unary('erf', x), erf, -6, 6, 3],
      ['erfc', (x) => expr.unary('erfc', x), erfc, -6, 9, 7],
    ];
    for (const [name, build, f, lo, hi, maxUlps] of cases) {
      const p = expr.program([build(expr.input(0, 'float32'))]);
      const xs = Float32Array.from({ length: n }, (_, i) => (name === 'log' ? lo * (hi / lo) ** (i / (n - 1)) : lo + ((hi - lo) * i) / (n - 1)));
      const x = be.upload(xs, 'float32') as CpuStorage;
      const out = be.allocate(n, 'float32') as CpuStorage;
      const v = (s: CpuStorage) => ({ storage: s, shape: [n], strides: [1], offset: 0 });
      expect(simd.run(p, [v(x)], [v(out)], [])).toBe(true);
      let worst = 0;
      for (let i = 0; i < n; i++) {
        const want = Math.fround(f(xs[i]!));
        worst = Math.max(worst, Math.abs(out.data[i]! - want) / ulp(want));
      }
      expect(worst, `${name} worst error in ulps`).toBeLessThanOrEqual(maxUlps);
      const sp = be.upload(Float32Array.from([NaN, Infinity, -Infinity, 0, -0, -1, 100, -100, ...new Array(300).fill(0.5)]), 'float32') as CpuStorage;
      const so = be.allocate(308, 'float32') as CpuStorage;
      const vv = (s: CpuStorage) => ({ storage: s, shape: [308], strides: [1], offset: 0 });
      expect(simd.run(p, [vv(sp)], [vv(so)], [])).toBe(true);
      const got = Array.from(so.data.slice(0, 8));
      const want = [NaN, Infinity, -Infinity, 0, -0, -1, 100, -100].map((u) => Math.fround(f(u)));
      got.forEach((g, i) => expect(Number.isNaN(want[i]!) ? Number.isNaN(g) : g === want[i] || Math.abs(g - want[i]!) <= maxUlps * ulp(want[i]!), `${name}(${[NaN, Infinity, -Infinity, 0, -0, -1, 100, -100][i]}) = ${g}, want ${want[i]}`).toBe(true));
      for (const s of [x, out, sp, so]) be.release(s);
    }
  });

  it('2-D blocks (padded rows, per-row and per-column broadcasts): the SIMD kernels equal the same program on one row at a time, bit for bit', () => {
    const arena = sharedArena();
    if (!arena) return;
    const simd = new WasmElementwise(arena);
    const [R, C] = [37, 259]; // rows of at least SIMD_MIN_ELEMENTS, so that each row alone also runs on SIMD; 259 = 4 * 64 + 3 (a lane tail)
    const data = (n: number) => Float32Array.from({ length: n }, () => Math.fround(gen.normal()));
    const p = expr.program(
      [expr.binary('mul', expr.unary('exp', expr.binary('sub', expr.input(0, 'float32'), expr.input(1, 'float32'))), expr.binary('add', expr.input(2, 'float32'), expr.scalar(0, 'float32')))],
      ['float32', 'float32', 'float32'],
    );
    const x = be.upload(data(R * (C + 1) + 3), 'float32') as CpuStorage; // rows of C + 1 (one element of padding), from offset 3
    const rowB = be.upload(data(R), 'float32') as CpuStorage; // one value per row (inner stride 0, row stride 1)
    const colB = be.upload(data(C + 5), 'float32') as CpuStorage; // one value per column (row stride 0), from offset 5
    const views = [
      { storage: x, shape: [R, C], strides: [C + 1, 1], offset: 3 },
      { storage: rowB, shape: [R, C], strides: [1, 0], offset: 0 },
      { storage: colB, shape: [R, C], strides: [0, 1], offset: 5 },
    ];
    const out = be.allocate(R * (C + 2), 'float32') as CpuStorage; // output rows padded to C + 2
    const outView = { storage: out, shape: [R, C], strides: [C + 2, 1], offset: 0 };
    expect(simd.run(p, views, [outView], [0.25])).toBe(true);
    const block = Float32Array.from(out.data);
    // The same program one row at a time (rows: 1).
    const one = be.allocate(C, 'float32') as CpuStorage;
    for (let r = 0; r < R; r++) {
      const rowViews = views.map((v) => ({ storage: v.storage, shape: [C], strides: [v.strides[1]!], offset: v.offset + r * v.strides[0]! }));
      expect(simd.run(p, rowViews, [{ storage: one, shape: [C], strides: [1], offset: 0 }], [0.25])).toBe(true);
      for (let c = 0; c < C; c++) expect(Object.is(block[r * (C + 2) + c], one.data[c]), `[${r}, ${c}]`).toBe(true);
    }
    for (const st of [x, rowB, colB, out, one]) be.release(st);
  });

  it('copies gather any element stride on the SIMD kernels (a transposed copy, float32 and int32); computations on such views stay on the JavaScript kernels', () => {
    const arena = sharedArena();
    if (!arena) return;
    const simd = new WasmElementwise(arena);
    const [R, C] = [23, 37]; // read transposed: [C, R] at strides [1, C]
    for (const dtype of ['float32', 'int32'] as const) {
      const src = dtype === 'float32' ? Float32Array.from({ length: R * C + 2 }, () => Math.fround(gen.normal())) : Int32Array.from({ length: R * C + 2 }, () => gen.int(1 << 30) - (1 << 29));
      const x = be.upload(src, dtype) as CpuStorage;
      const out = be.allocate(R * C, dtype) as CpuStorage;
      const copy = expr.program([expr.input(0, dtype)], [dtype]);
      expect(simd.run(copy, [{ storage: x, shape: [C, R], strides: [1, C], offset: 2 }], [{ storage: out, shape: [C, R], strides: [R, 1], offset: 0 }], [])).toBe(true);
      for (let c = 0; c < C; c++) for (let r = 0; r < R; r++) expect(Object.is(out.data[c * R + r], src[2 + r * C + c]), `[${c}, ${r}]`).toBe(true);
      be.release(x);
      be.release(out);
    }
    const x = be.upload(new Float32Array(R * C), 'float32') as CpuStorage;
    const out = be.allocate(R * C, 'float32') as CpuStorage;
    const neg = expr.program([expr.unary('neg', expr.input(0, 'float32'))]);
    expect(simd.run(neg, [{ storage: x, shape: [C, R], strides: [1, C], offset: 0 }], [{ storage: out, shape: [C, R], strides: [R, 1], offset: 0 }], [])).toBe(false);
    be.release(x);
    be.release(out);
  });

  it('SIMD exp: the in-range fast path gives bitwise the general path (vectors with an out-of-range lane take the general one)', () => {
    const arena = sharedArena();
    if (!arena) return;
    const simd = new WasmElementwise(arena);
    const p = expr.program([expr.unary('exp', expr.input(0, 'float32'))]);
    const m = 4096;
    const vals = Float32Array.from({ length: m }, (_, i) => Math.fround(-87.3 + (175.3 * i) / m)); // [EXP_LO, 88]
    // fast: every vector in range; general: lane 3 of every vector is -200 (out of range)
    const fast = Float32Array.from(vals);
    const general = Float32Array.from(vals, (v, i) => (i % 4 === 3 ? -200 : v));
    const outs = [fast, general].map((xs) => {
      const x = be.upload(xs, 'float32') as CpuStorage;
      const out = be.allocate(m, 'float32') as CpuStorage;
      const v = (st: CpuStorage) => ({ storage: st, shape: [m], strides: [1], offset: 0 });
      expect(simd.run(p, [v(x)], [v(out)], [])).toBe(true);
      const d = Float32Array.from(out.data);
      be.release(x);
      be.release(out);
      return d;
    });
    for (let i = 0; i < m; i++) {
      if (i % 4 === 3) expect(outs[1]![i]).toBe(0);
      else expect(Object.is(outs[0]![i], outs[1]![i]), `exp(${vals[i]}): fast ${outs[0]![i]}, general ${outs[1]![i]}`).toBe(true);
    }
  });

  it('SIMD exp: subnormal results, exact 0 below the range (-Infinity included), exp(0) = 1', () => {
    const arena = sharedArena();
    if (!arena) return;
    const simd = new WasmElementwise(arena);
    const p = expr.program([expr.unary('exp', expr.input(0, 'float32'))]);
    const xs = Float32Array.from({ length: 4096 }, (_, i) => (i < 8 ? [-Infinity, -1e30, -200, -104, -103.98, -103.97, 0, -0][i]! : -110 + (30 * i) / 4096));
    const x = be.upload(xs, 'float32') as CpuStorage;
    const out = be.allocate(xs.length, 'float32') as CpuStorage;
    const v = (s: CpuStorage) => ({ storage: s, shape: [xs.length], strides: [1], offset: 0 });
    expect(simd.run(p, [v(x)], [v(out)], [])).toBe(true);
    expect(Array.from(out.data.slice(0, 8))).toEqual([0, 0, 0, 0, 0, Math.fround(Math.exp(-103.97)), 1, 1]);
    for (let i = 8; i < xs.length; i++) {
      const want = Math.fround(Math.exp(xs[i]!));
      // Subnormal results: the shifted argument x + 24 ln 2 is rounded to float32 (a relative error of
      // about 1e-5 in the result), then the result is rounded once to the 2^-149 spacing.
      expect(Math.abs(out.data[i]! - want), `exp(${xs[i]})`).toBeLessThanOrEqual(want < 2 ** -126 ? 2 ** -149 + 1e-5 * want : 3 * 2 ** -23 * want);
      if (xs[i]! < -103.9721) expect(out.data[i], `exp(${xs[i]})`).toBe(0);
    }
    for (const s of [x, out]) be.release(s);
  });

  it('large eager ops run on the SIMD kernels in place of the JavaScript ones, with the same results to float32 rounding', () => {
    const x = be.upload(Float32Array.from({ length: 1000 }, () => gen.normal()), 'float32') as CpuStorage;
    const a = be.allocate(1000, 'float32') as CpuStorage;
    const b = be.allocate(1000, 'float32') as CpuStorage;
    const v = (s: CpuStorage) => ({ storage: s, shape: [1000], strides: [1], offset: 0 });
    kernels.unary(be, 'gelu_tanh', v(x), a);
    setSimdElementwise(false);
    kernels.unary(be, 'gelu_tanh', v(x), b);
    setSimdElementwise(true);
    for (let i = 0; i < 1000; i++) expect(close(a.data[i]!, b.data[i]!, 1e-5, 1e-6), `${i}: ${a.data[i]} vs ${b.data[i]}`).toBe(true);
    for (const s of [x, a, b]) be.release(s);
  });
});

/** The same expression with every float32 node rounded to float32 (a cast after each op). */
function roundEveryNode(e: Expr): Expr {
  const memo = new Map<number, Expr>();
  const visit = (n: Expr): Expr => {
    const hit = memo.get(n.id);
    if (hit) return hit;
    let r: Expr = n.args.length === 0 ? n : expr.rebuild(n, n.args.map(visit));
    if (r.dtype === 'float32' && r.op !== 'input' && r.op !== 'cast') r = expr.cast(expr.cast(r, 'float64'), 'float32');
    memo.set(n.id, r);
    return r;
  };
  return visit(e);
}
