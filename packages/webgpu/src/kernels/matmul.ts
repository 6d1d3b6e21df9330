/** Launcher of the register-tiled matmul (WGSL in `matmul-wgsl.ts`). */
import type { Storage, View } from '@unihetero/tensor';
import { separateInputs } from '../runtime/bindings.js';
import type { LaunchContext } from '../runtime/context.js';
import { uniformWords } from '../runtime/runtime.js';
import type { WebGPUStorage } from '../runtime/storage.js';
import { wtype } from './elementwise-wgsl.js';
import { launchElementwise } from './elementwise.js';
import { MM, matmulKey, matmulSource, type MatmulConfig, type MatmulSpec } from './matmul-wgsl.js';
import { opExpr } from '@unihetero/tensor';

function shapeStr(s: readonly number[]): string {
  return `[${s.join(',')}]`;
}

/** How the kernel reads an operand in place: its view, layout and leading dimension. */
interface OperandLayout {
  view: View;
  /** 'n': rows of C contiguous elements (leading dimension: the row stride); 't': the transpose. */
  layout: 'n' | 't';
  ld: number;
}

/**
 * The layout of a `[B, R, C]` operand read in place: 'n' when its columns are contiguous, 't' when
 * its rows are (a size-1 dimension's stride is free, and a leading dimension over one row or
 * column is 0); null when neither, so it must be copied.
 */
function operandLayout(v: View, R: number, C: number): OperandLayout | null {
  const [, sr, sc] = v.strides as [number, number, number];
  if (sc === 1 || C === 1) return { view: v, layout: 'n', ld: R === 1 ? 0 : sr };
  if (sr === 1 || R === 1) return { view: v, layout: 't', ld: C === 1 ? 0 : sc };
  return null;
}

/** Arguments of one matmul launch. */
export interface MatmulLaunch {
  a: View;
  b: View;
  out: Storage;
  config: MatmulConfig;
}

/** Batched `out[b] = a[b] @ b[b]` for views `a [B, M, K]`, `b [B, K, N]`. */
export function launchMatmul(ctx: LaunchContext, { a, b, out, config }: MatmulLaunch): void {
  const rt = ctx.rt;
  if (a.shape.length !== 3 || b.shape.length !== 3) throw new Error(`matmul: expected rank-3 views [B, M, K] x [B, K, N], got ${shapeStr(a.shape)} @ ${shapeStr(b.shape)}`);
  const [B, M, K] = a.shape as [number, number, number];
  const [B2, K2, N] = b.shape as [number, number, number];
  if (K !== K2) throw new Error(`matmul: inner dimensions differ: ${shapeStr(a.shape)} @ ${shapeStr(b.shape)}`);
  if (B !== B2) throw new Error(`matmul: batch dimensions differ: ${shapeStr(a.shape)} @ ${shapeStr(b.shape)}`);
  const as = ctx.own(a.storage, 'matmul');
  const bs = ctx.own(b.storage, 'matmul');
  const os = ctx.own(out, 'matmul');
  if (as.dtype !== bs.dtype || as.dtype !== os.dtype) throw new Error(`matmul: dtypes differ: ${as.dtype} @ ${bs.dtype} -> ${os.dtype}`);
  if (os.size < B * M * N) throw new Error(`matmul: output has ${os.size} elements, need ${B * M * N}`);
  if (B * M * N === 0) return;
  const temps: WebGPUStorage[] = [];
  const copyProgram = opExpr.castProgram(as.dtype, as.dtype);
  if (K === 0) {
    launchElementwise(ctx, { program: opExpr.fillProgram(os.dtype), inputs: [], outputs: [{ storage: os, shape: [B * M * N], strides: [1], offset: 0 }], scalars: [0] });
    return;
  }
  const contiguous = (v: View): View => {
    const [d0, d1, d2] = v.shape as [number, number, number];
    const t = ctx.temp(d0 * d1 * d2, v.storage.dtype);
    const cv: View = { storage: t, shape: v.shape, strides: [d1 * d2, d2, 1], offset: 0 };
    launchElementwise(ctx, { program: copyProgram, inputs: [v], outputs: [cv], scalars: [] });
    temps.push(t);
    return cv;
  };
  // A [M, K] and B [K, N] are read as they lie ('n' or 't') or copied first.
  const { view: av, layout: aLayout, ld: lda } = operandLayout(a, M, K) ?? { view: contiguous(a), layout: 'n', ld: K };
  const { view: bv, layout: bLayout, ld: ldb } = operandLayout(b, K, N) ?? { view: contiguous(b), layout: 'n', ld: N };
  const aBatch = B === 1 ? 0 : av.strides[0]!;
  const bBatch = B === 1 ? 0 : bv.strides[0]!;
  const al4 = (x: number) => x % 4 === 0;
  const spec: MatmulSpec = {
    t: wtype(as.dtype),
    aLayout,
    bLayout,
    aVec4: al4(av.offset) && al4(aBatch) && al4(lda) && al4(aLayout === 'n' ? K : M),
    bVec4: bLayout === 'n' && al4(bv.offset) && al4(bBatch) && al4(ldb) && al4(N),
  };
  const TM = config.wgY * config.rm;
  const TN = config.wgX * config.rn;
  const key = matmulKey(spec, config);
  const name = `matmul_${spec.t}_${aLayout}${bLayout}`;
  const gx = Math.ceil(N / TN);
  const gy = Math.ceil(M / TM);
  if (gx > rt.maxGroups || gy > rt.maxGroups) throw new Error(`matmul: ${shapeStr(a.shape)} @ ${shapeStr(b.shape)} exceeds the dispatch limits`);
  const { buffers, done } = separateInputs(ctx, [av.storage as WebGPUStorage, bv.storage as WebGPUStorage], [os]);
  for (let base = 0; base < B; base += rt.maxGroups) {
    const nb = Math.min(rt.maxGroups, B - base);
    const p = uniformWords(MM, { M, N, K, batchBase: base, aOff: av.offset, aBatch, lda, bOff: bv.offset, bBatch, ldb });
    rt.dispatch({ kernel: { key, name, source: () => matmulSource(spec, config) }, buffers: [buffers[0]!, buffers[1]!, os.buffer!], params: p, grid: [gx, gy, nb] });
  }
  done();
  for (const t of temps) ctx.free(t);
}
