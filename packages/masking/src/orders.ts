/**
 * Token orders (docs/method.md section 5.2), in MAR's convention: an order `pi` is a permutation of
 * the positions `0..n-1` whose PREFIX is masked. In training the masked set is
 * `pi[0 .. nMask-1]`; at inference the still-masked set after each step is a prefix of `pi`, so
 * `pi[n-1]` is revealed first and `pi[0]` last.
 */
import type { Generator } from '@unihetero/tensor';

function checkN(op: string, n: number, min = 1): void {
  if (!Number.isInteger(n) || n < min) throw new Error(`${op}: n must be an integer >= ${min}, got ${n}`);
}

function checkBatch(op: string, batch: number): void {
  if (!Number.isInteger(batch) || batch < 0) throw new Error(`${op}: batch must be an integer >= 0, got ${batch}`);
}

/** A uniformly random order of `0..n-1` (`gen.permutation(n)`, Fisher-Yates). */
export function randomOrder(gen: Generator, n: number): Int32Array {
  checkN('randomOrder', n);
  return gen.permutation(n);
}

/**
 * The raster generation order: position 0 (top-left) is revealed first, `n-1` last. In MAR's
 * masked-prefix convention that is `[n-1, n-2, ..., 0]`, so training masks the raster SUFFIX
 * (the bottom of the image) and keeps the top visible, like causal raster generation.
 */
export function rasterOrder(n: number): Int32Array {
  checkN('rasterOrder', n);
  const o = new Int32Array(n);
  for (let i = 0; i < n; i++) o[i] = n - 1 - i;
  return o;
}

/** `batch` independent random orders, row-major `[batch * n]` (sample `b` is `subarray(b*n, (b+1)*n)`). */
export function randomOrders(gen: Generator, batch: number, n: number): Int32Array {
  checkBatch('randomOrders', batch);
  checkN('randomOrders', n);
  const out = new Int32Array(batch * n);
  for (let b = 0; b < batch; b++) out.set(gen.permutation(n), b * n);
  return out;
}

/** `batch` copies of `rasterOrder(n)`, row-major `[batch * n]`. */
export function rasterOrders(batch: number, n: number): Int32Array {
  checkBatch('rasterOrders', batch);
  const one = rasterOrder(n);
  const out = new Int32Array(batch * n);
  for (let b = 0; b < batch; b++) out.set(one, b * n);
  return out;
}

/** Throw unless `order` holds distinct integers in [0, n) (length <= n; `n` defaults to its length). */
export function checkOrder(op: string, order: ArrayLike<number>, n: number = order.length): void {
  if (order.length > n) throw new Error(`${op}: order has ${order.length} entries but n=${n}`);
  const seen = new Uint8Array(n);
  for (let i = 0; i < order.length; i++) {
    const p = order[i]!;
    if (!Number.isInteger(p) || p < 0 || p >= n) throw new Error(`${op}: order[${i}]=${p} is not a position in [0, ${n})`);
    if (seen[p]) throw new Error(`${op}: order repeats position ${p} (at index ${i})`);
    seen[p] = 1;
  }
}
