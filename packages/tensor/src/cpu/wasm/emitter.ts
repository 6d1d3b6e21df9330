/**
 * A tiny typed emitter of WebAssembly binary modules (the MVP binary format plus the 128-bit SIMD
 * opcodes the CPU kernels need), so kernels are generated from TypeScript at load time instead of
 * being committed as opaque blobs. Only what the kernels use is covered: function types, one
 * memory (own, exported), functions with typed locals, exports, structured control flow and the
 * integer / f32x4 instructions below.
 */

/** WebAssembly value types (their binary encodings). */
export const ValType = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
/** One WebAssembly value type. */
export type ValType = (typeof ValType)[keyof typeof ValType];

/** Unsigned LEB128 of a non-negative 32-bit integer. */
export function uleb(value: number): number[] {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new Error(`wasm emitter: uleb expects a u32, got ${value}`);
  const out: number[] = [];
  let v = value;
  do {
    let byte = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(value: number): number[] {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) throw new Error(`wasm emitter: sleb expects an i32, got ${value}`);
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** A length-prefixed UTF-8 name. */
function name(s: string): number[] {
  const bytes = Array.from(new TextEncoder().encode(s));
  return [...uleb(bytes.length), ...bytes];
}

/** A length-prefixed vector of already encoded items. */
function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** The SIMD opcode prefix. */
const SIMD = 0xfd;

/**
 * A function body: typed locals (parameters come first in the index space) and an instruction
 * stream written through one method per opcode. Structured blocks are checked for balance.
 */
export class FunctionBody {
  private readonly code: number[] = [];
  private readonly localTypes: ValType[] = [];
  private depth = 0;

  /** `paramTypes` are the function's parameter types, which occupy the first local indices. */
  constructor(private readonly paramTypes: readonly ValType[]) {}

  /** Declare a new local of type `type`; returns its index. */
  local(type: ValType): number {
    this.localTypes.push(type);
    return this.paramTypes.length + this.localTypes.length - 1;
  }

  /** Declare `n` new locals of type `type`; returns their indices in order. */
  locals(type: ValType, n: number): number[] {
    return Array.from({ length: n }, () => this.local(type));
  }

  /** Indices of every parameter, in order. */
  params(): number[] {
    return this.paramTypes.map((_, i) => i);
  }

  /** Index of parameter `i` (checked). */
  param(i: number): number {
    if (i < 0 || i >= this.paramTypes.length) throw new Error(`wasm emitter: parameter ${i} out of range (function has ${this.paramTypes.length})`);
    return i;
  }

  private op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  private simd(opcode: number, ...imm: number[]): this {
    return this.op(SIMD, ...uleb(opcode), ...imm);
  }

  /** A memory immediate: log2 alignment and byte offset. */
  private memarg(alignLog2: number, offset: number): number[] {
    return [...uleb(alignLog2), ...uleb(offset)];
  }

  // control
  /** `block` with an empty result type. */
  block(): this {
    this.depth++;
    return this.op(0x02, 0x40);
  }
  /** `loop` with an empty result type (a branch to it jumps back to its start). */
  loop(): this {
    this.depth++;
    return this.op(0x03, 0x40);
  }
  /** Close the innermost `block` / `loop`. */
  end(): this {
    if (this.depth === 0) throw new Error('wasm emitter: end() without an open block');
    this.depth--;
    return this.op(0x0b);
  }
  /** Unconditional branch to the `depth`-th enclosing label. */
  br(depth: number): this {
    return this.op(0x0c, ...uleb(depth));
  }
  /** Branch to the `depth`-th enclosing label when the popped i32 is non-zero. */
  brIf(depth: number): this {
    return this.op(0x0d, ...uleb(depth));
  }
  /** Call function `index`. */
  call(index: number): this {
    return this.op(0x10, ...uleb(index));
  }
  /** Drop the top of the stack. */
  drop(): this {
    return this.op(0x1a);
  }

  // locals
  /** `local.get`. */
  get(index: number): this {
    return this.op(0x20, ...uleb(index));
  }
  /** `local.set`. */
  set(index: number): this {
    return this.op(0x21, ...uleb(index));
  }
  /** `local.tee`. */
  tee(index: number): this {
    return this.op(0x22, ...uleb(index));
  }

  // i32
  /** `i32.const`. */
  i32Const(value: number): this {
    return this.op(0x41, ...sleb(value));
  }
  /** `i32.eqz`. */
  i32Eqz(): this {
    return this.op(0x45);
  }
  /** `i32.lt_u`. */
  i32LtU(): this {
    return this.op(0x49);
  }
  /** `i32.add`. */
  i32Add(): this {
    return this.op(0x6a);
  }
  /** `i32.sub`. */
  i32Sub(): this {
    return this.op(0x6b);
  }
  /** `i32.mul`. */
  i32Mul(): this {
    return this.op(0x6c);
  }

  // v128
  /** `v128.load` of 16 bytes at `addr + offset` (alignment hint 16). */
  v128Load(offset = 0): this {
    return this.simd(0x00, ...this.memarg(4, offset));
  }
  /** `v128.load32_splat`: one f32 / i32 at `addr + offset` broadcast to all four lanes. */
  v128Load32Splat(offset = 0): this {
    return this.simd(0x09, ...this.memarg(2, offset));
  }
  /** `v128.load64_splat`: one f64 / i64 at `addr + offset` broadcast to both lanes. */
  v128Load64Splat(offset = 0): this {
    return this.simd(0x0a, ...this.memarg(3, offset));
  }
  /** `v128.store` of 16 bytes at `addr + offset`. */
  v128Store(offset = 0): this {
    return this.simd(0x0b, ...this.memarg(4, offset));
  }
  /** `f32x4.splat` of the popped f32. */
  f32x4Splat(): this {
    return this.simd(0x13);
  }
  /** `f32x4.add`. */
  f32x4Add(): this {
    return this.simd(0xe4);
  }
  /** `f32x4.mul`. */
  f32x4Mul(): this {
    return this.simd(0xe6);
  }

  /** Any SIMD instruction without immediates, by its opcode (after the 0xfd prefix). */
  simdOp(opcode: number): this {
    return this.simd(opcode);
  }
  /** `v128.const` of 16 bytes. */
  v128Const(bytes: readonly number[]): this {
    if (bytes.length !== 16) throw new Error(`wasm emitter: v128.const needs 16 bytes, got ${bytes.length}`);
    return this.simd(0x0c, ...bytes);
  }
  /** `v128.load32_zero`: one f32 / i32 at `addr + offset` into lane 0, zeros elsewhere. */
  v128Load32Zero(offset = 0): this {
    return this.simd(0x5c, ...this.memarg(2, offset));
  }
  /** `v128.store32_lane`: store lane `lane` (4 bytes) at `addr + offset`. */
  v128Store32Lane(offset: number, lane: number): this {
    return this.simd(0x5a, ...this.memarg(2, offset), lane);
  }
  /** `v128.load32_lane`: replace lane `lane` of the v128 on the stack with 4 bytes at `addr + offset` (stack: addr, v128). */
  v128Load32Lane(offset: number, lane: number): this {
    return this.simd(0x56, ...this.memarg(2, offset), lane);
  }
  /** `v128.load64_zero`: 8 bytes at `addr + offset` into the low half, the high half zero. */
  v128Load64Zero(offset = 0): this {
    return this.simd(0x5d, ...this.memarg(3, offset));
  }
  /** `v128.store64_lane`: store lane `lane` (8 bytes) at `addr + offset`. */
  v128Store64Lane(offset: number, lane: number): this {
    return this.simd(0x5b, ...this.memarg(3, offset), lane);
  }
  /** `f64x2.promote_low_f32x4`: the two low float32 lanes widened (exactly) to float64. */
  f64x2PromoteLowF32x4(): this {
    return this.simd(0x5f);
  }
  /** `f32x4.demote_f64x2_zero`: the two float64 lanes rounded to float32 in the low lanes, the high lanes zero. */
  f32x4DemoteF64x2Zero(): this {
    return this.simd(0x5e);
  }
  /** `f32.load` at `addr + offset`. */
  f32Load(offset = 0): this {
    return this.op(0x2a, ...this.memarg(2, offset));
  }
  /** `f64.load` at `addr + offset`. */
  f64Load(offset = 0): this {
    return this.op(0x2b, ...this.memarg(3, offset));
  }
  /** `f32.store` at `addr + offset`. */
  f32Store(offset = 0): this {
    return this.op(0x38, ...this.memarg(2, offset));
  }
  /** `f64.store` at `addr + offset`. */
  f64Store(offset = 0): this {
    return this.op(0x39, ...this.memarg(3, offset));
  }
  /** `f64.add`. */
  f64Add(): this {
    return this.op(0xa0);
  }
  /** `f64.promote_f32`. */
  f64PromoteF32(): this {
    return this.op(0xbb);
  }
  /** `f32.demote_f64`. */
  f32DemoteF64(): this {
    return this.op(0xb6);
  }
  /** `f64.const`. */
  f64Const(value: number): this {
    const b = new Uint8Array(new Float64Array([value]).buffer);
    return this.op(0x44, ...b);
  }
  /** `f64.sub`. */
  f64Sub(): this {
    return this.op(0xa1);
  }
  /** `f64.mul`. */
  f64Mul(): this {
    return this.op(0xa2);
  }
  /** `f64.div`. */
  f64Div(): this {
    return this.op(0xa3);
  }
  /** `f64.sqrt`. */
  f64Sqrt(): this {
    return this.op(0x9f);
  }
  /** `f64.convert_i32_s`. */
  f64ConvertI32(): this {
    return this.op(0xb7);
  }
  /** `f64x2.splat`. */
  f64x2Splat(): this {
    return this.simd(0x14);
  }
  /** `f64x2.extract_lane`. */
  f64x2ExtractLane(lane: number): this {
    return this.simd(0x21, lane);
  }
  /** `f64x2.sub`. */
  f64x2Sub(): this {
    return this.simd(0xf1);
  }
  /** `i32.load` of 4 bytes at `addr + offset`. */
  i32Load(offset = 0): this {
    return this.op(0x28, ...this.memarg(2, offset));
  }
  /** `i32.ge_u`. */
  i32GeU(): this {
    return this.op(0x4f);
  }
  /** `i32.and`. */
  i32And(): this {
    return this.op(0x71);
  }
  /** `i32.shl`. */
  i32Shl(): this {
    return this.op(0x74);
  }

  /** `f64x2.add`. */
  f64x2Add(): this {
    return this.simd(0xf0);
  }
  /** `f64x2.mul`. */
  f64x2Mul(): this {
    return this.simd(0xf2);
  }

  /** The encoded body (locals run-length grouped, then code, then the final `end`). */
  encode(): number[] {
    if (this.depth !== 0) throw new Error(`wasm emitter: function body has ${this.depth} unclosed block(s)`);
    const groups: number[][] = [];
    for (let i = 0; i < this.localTypes.length; ) {
      let j = i;
      while (j < this.localTypes.length && this.localTypes[j] === this.localTypes[i]) j++;
      groups.push([...uleb(j - i), this.localTypes[i]!]);
      i = j;
    }
    const body = [...vec(groups), ...this.code, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

interface FuncDef {
  readonly type: number;
  readonly body: FunctionBody;
}

/** Builds a module: function types, functions, one own or imported memory, exports. */
export class ModuleBuilder {
  private readonly types: number[][] = [];
  private readonly funcs: FuncDef[] = [];
  private readonly exports: number[][] = [];
  private memoryPages: number | null = null;
  private importedMemory: { module: string; field: string; minPages: number; sharedMaxPages: number | null } | null = null;

  /** Register (or reuse) the function type `params -> results`; returns its index. */
  type(params: readonly ValType[], results: readonly ValType[]): number {
    const enc = [0x60, ...uleb(params.length), ...params, ...uleb(results.length), ...results];
    const found = this.types.findIndex((t) => t.length === enc.length && t.every((b, i) => b === enc[i]));
    if (found >= 0) return found;
    this.types.push(enc);
    return this.types.length - 1;
  }

  /** Add a function of type `(params) -> results`; returns its index and its body to fill. */
  func(params: readonly ValType[], results: readonly ValType[] = []): { index: number; body: FunctionBody } {
    const body = new FunctionBody(params);
    this.funcs.push({ type: this.type(params, results), body });
    return { index: this.funcs.length - 1, body };
  }

  /** Declare the module's own memory with `initialPages` 64 KiB pages (no maximum). */
  memory(initialPages: number): void {
    this.memoryPages = initialPages;
  }

  /**
   * Import the module's memory as `module.field` (at least `minPages` pages) instead of declaring
   * one; with `sharedMaxPages` the import is a shared memory of that maximum (threads).
   */
  importMemory(module: string, field: string, minPages = 1, sharedMaxPages: number | null = null): void {
    this.importedMemory = { module, field, minPages, sharedMaxPages };
  }

  /** Export function `index` under `exportName`. */
  exportFunc(exportName: string, index: number): void {
    this.exports.push([...name(exportName), 0x00, ...uleb(index)]);
  }

  /** Export the memory under `exportName`. */
  exportMemory(exportName: string): void {
    if (this.memoryPages === null) throw new Error('wasm emitter: exportMemory() before memory()');
    this.exports.push([...name(exportName), 0x02, 0x00]);
  }

  /** The binary module. */
  encode(): Uint8Array {
    const section = (id: number, payload: number[]): number[] => [id, ...uleb(payload.length), ...payload];
    const bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    bytes.push(...section(1, vec(this.types)));
    if (this.importedMemory) {
      const m = this.importedMemory;
      const limits = m.sharedMaxPages === null ? [0x00, ...uleb(m.minPages)] : [0x03, ...uleb(m.minPages), ...uleb(m.sharedMaxPages)];
      bytes.push(...section(2, vec([[...name(m.module), ...name(m.field), 0x02, ...limits]])));
    }
    bytes.push(...section(3, vec(this.funcs.map((f) => uleb(f.type)))));
    if (this.memoryPages !== null) bytes.push(...section(5, vec([[0x00, ...uleb(this.memoryPages)]])));
    if (this.exports.length > 0) bytes.push(...section(7, vec(this.exports)));
    bytes.push(...section(10, vec(this.funcs.map((f) => f.body.encode()))));
    return new Uint8Array(bytes);
  }
}
