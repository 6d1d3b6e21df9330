/**
 * Training masks: rate -> count -> the masked prefix of an order (docs/method.md section 5).
 * Masks are `Uint8Array` with 1 = masked, row-major `[batch * n]` for batches.
 */
import type { Generator } from '@unihetero/tensor';
import { checkOrder, rasterOrders, randomOrders } from './orders';
import { getMaskRateSampler, type MaskRateSampler, type MaskRateSamplerConfig, type RateMode } from './samplers';

/**
 * Number of masked tokens for rate `r`: `clamp(ceil(n * r), 1, n)` (MAR's `ceil`, with at
 * least one masked token). `n * r` is first rounded to 9 decimals so that floating-point
 * noise does not add a token (`10 * 0.7 = 7.000000000000001` gives 7, not 8).
 */
export function maskCount(n: number, rate: number): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`maskCount: n must be an integer >= 1, got ${n}`);
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw new Error(`maskCount: rate must be in [0, 1], got ${rate}`);
  const c = Math.ceil(Math.round(n * rate * 1e9) / 1e9);
  return Math.min(n, Math.max(1, c));
}

/** The mask `[order.length]` with 1 at the first `count` entries of `order` (positions `0..n-1`). */
export function maskFromPrefix(order: ArrayLike<number>, count: number): Uint8Array {
  const n = order.length;
  if (!Number.isInteger(count) || count < 0 || count > n) throw new Error(`maskFromPrefix: count must be an integer in [0, ${n}], got ${count}`);
  checkOrder('maskFromPrefix', order);
  const mask = new Uint8Array(n);
  for (let i = 0; i < count; i++) mask[order[i]!] = 1;
  return mask;
}

/** The training mask for one sample: the first `maskCount(n, rate)` entries of `order` are masked. */
export function maskFromOrder(order: ArrayLike<number>, rate: number): Uint8Array {
  if (order.length < 1) throw new Error(`maskFromOrder: order must not be empty`);
  return maskFromPrefix(order, maskCount(order.length, rate));
}

/** Options of `sampleTrainingMasks`. */
export interface TrainingMaskOptions {
  /** Number of samples. */
  batch: number;
  /** Tokens per sample. */
  n: number;
  /** Rate sampler, kind name or config (default: `gaussian`, the UniHetero proposal). */
  sampler?: MaskRateSampler | MaskRateSamplerConfig | string;
  /** One rate per sample (default) or one per batch (MAR). */
  mode?: RateMode;
  /** `random` (default, MAR), `raster`, or explicit orders `[batch * n]`. */
  order?: 'random' | 'raster' | Int32Array;
}

/** Result of `sampleTrainingMasks`. */
export interface TrainingMasks {
  /** 1 = masked, row-major `[batch * n]`. */
  mask: Uint8Array;
  /** Masked tokens per sample `[batch]`. */
  counts: Int32Array;
  /** Sampled rate per sample `[batch]`. */
  rates: Float64Array;
  /** The orders used, row-major `[batch * n]`; sample b's masked set is `orders[b*n .. b*n + counts[b] - 1]`. */
  orders: Int32Array;
}

/**
 * Sample a batch of training masks. Randomness is consumed in a fixed order: first the orders
 * (one permutation per sample, like MAR's `sample_orders`), then the rates.
 */
export function sampleTrainingMasks(gen: Generator, options: TrainingMaskOptions): TrainingMasks {
  const { batch, n, mode = 'per-sample', order = 'random' } = options;
  if (!Number.isInteger(batch) || batch < 0) throw new Error(`sampleTrainingMasks: batch must be an integer >= 0, got ${batch}`);
  if (!Number.isInteger(n) || n < 1) throw new Error(`sampleTrainingMasks: n must be an integer >= 1, got ${n}`);
  const sampler = getMaskRateSampler(options.sampler);
  let orders: Int32Array;
  if (order === 'random') orders = randomOrders(gen, batch, n);
  else if (order === 'raster') orders = rasterOrders(batch, n);
  else if (order instanceof Int32Array) {
    if (order.length !== batch * n) throw new Error(`sampleTrainingMasks: explicit orders have ${order.length} entries, expected batch*n = ${batch}*${n} = ${batch * n}`);
    for (let b = 0; b < batch; b++) checkOrder(`sampleTrainingMasks (orders row ${b})`, order.subarray(b * n, (b + 1) * n), n);
    orders = order;
  } else throw new Error(`sampleTrainingMasks: order must be 'random', 'raster' or an Int32Array, got ${String(order)}`);
  const rates = sampler.sampleBatch(gen, batch, mode);
  const counts = new Int32Array(batch);
  const mask = new Uint8Array(batch * n);
  for (let b = 0; b < batch; b++) {
    const c = maskCount(n, rates[b]!);
    counts[b] = c;
    const base = b * n;
    for (let i = 0; i < c; i++) mask[base + orders[base + i]!] = 1;
  }
  return { mask, counts, rates, orders };
}
