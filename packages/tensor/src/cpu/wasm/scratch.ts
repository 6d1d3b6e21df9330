/** Float64 scratch of the row kernels (`columns.ts`, `norms.ts`): a zeroing loop to emit, and an arena block for the length of one call. */
import type { Arena } from './arena.js';
import { type FunctionBody, ValType } from './emitter.js';

/** Emit `memory[ptr .. ptr + bytesPerCol * cols) = 0` in 16-byte stores (`bytesPerCol` a multiple of 16; `cols` an i32 local). */
export function emitZeroScratch(f: FunctionBody, ptr: number, cols: number, bytesPerCol: number): void {
  const [i, end] = f.locals(ValType.i32, 2);
  f.get(cols).i32Const(bytesPerCol).i32Mul().set(end);
  f.i32Const(0).set(i);
  f.block().loop();
  f.get(i).get(end).i32GeU().brIf(1);
  f.get(ptr).get(i).i32Add().v128Const(new Array<number>(16).fill(0)).v128Store(0);
  f.get(i).i32Const(16).i32Add().set(i);
  f.br(0).end().end();
}

/** Run `fn(ptr)` with an arena block of `bytes` (a multiple of 16), released afterwards; false (without running it) when the arena cannot grow. */
export function withArenaScratch(arena: Arena, bytes: number, fn: (ptr: number) => void): boolean {
  const ptr = arena.alloc(bytes);
  if (ptr < 0) return false;
  try {
    fn(ptr);
  } finally {
    arena.release(ptr, bytes);
  }
  return true;
}
