/** Launcher of the register-tiled matmul (WGSL in `matmul-wgsl.ts`). */
import type { Storage, View } from '@unihetero/tensor';
import { separateInputs } from '../runtime/bindings.js';
import type { LaunchContext } from '../runtime/context.js';
import type { WebGPUStorage } from '../runtime/storage.js';
import { wtype } from './elementwise-wgsl.js';
import { launchElementwise } from './elementwise.js';
import { MM, matmulKey, matmulSource, type MatmulConfig, type MatmulSpec } from './matmul-wgsl.js';
import { opExpr } from '@unihetero/tensor';

function shapeStr(s: readonly number[]): string {
  return `[${s.join(',')}]`;
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
  // Layout of A: 'n' (k contiguous) or 't' (m contiguous); otherwise copy.
  let av = a;
  let aLayout: 'n' | 't';
  let lda: number;
  const [, sam, sak] = av.strides as [number, number, number];
  if (sak === 1 || K === 1) {
    aLayout = 'n';
    lda = M === 1 ? 0 : sam;
  } else if (sam === 1 || M === 1) {
    aLayout = 't';
    lda = K === 1 ? 0 : sak;
  } else {
    av = contiguous(a);
    aLayout = 'n';
    lda = K;
  }
  let bv = b;
  let bLayout: 'n' | 't';
  let ldb: number;
  const [, sbk, sbn] = bv.strides as [number, number, number];
  if (sbn === 1 || N === 1) {
    bLayout = 'n';
    ldb = K === 1 ? 0 : sbk;
  } else if (sbk === 1 || K === 1) {
    bLayout = 't';
    ldb = N === 1 ? 0 : sbn;
  } else {
    bv = contiguous(b);
    bLayout = 'n';
    ldb = N;
  }
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
    const p = new Uint32Array(MM.words);
    p[MM.M] = M;
    p[MM.N] = N;
    p[MM.K] = K;
    p[MM.batchBase] = base;
    p[MM.aOff] = av.offset;
    p[MM.aBatch] = aBatch;
    p[MM.lda] = lda;
    p[MM.bOff] = bv.offset;
    p[MM.bBatch] = bBatch;
    p[MM.ldb] = ldb;
    rt.dispatch({ kernel: { key, name, source: () => matmulSource(spec, config) }, buffers: [buffers[0]!, buffers[1]!, os.buffer!], params: p, grid: [gx, gy, nb] });
  }
  done();
  for (const t of temps) ctx.free(t);
}
