/**
 * Token sampling from logits on the host: greedy, temperature, top-k and top-p (nucleus),
 * applied in HF's order (temperature, then top-k, then top-p), drawing from a seeded `Generator`.
 */
import { Generator, Tensor } from '@unihetero/tensor';

/** How to pick the next token. */
export interface SamplingOptions {
  /** Always take the most likely token (the default when `temperature` is 0). */
  greedy?: boolean;
  /** Divide logits by this (default 1; 0 means greedy). */
  temperature?: number;
  /** Keep only the `topK` most likely tokens (default: all). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches `topP` (default 1: all). */
  topP?: number;
}

function checkOptions(o: SamplingOptions): void {
  const t = o.temperature ?? 1;
  if (!(t >= 0) || !Number.isFinite(t)) throw new Error(`sample: temperature must be a finite number >= 0, got ${t}`);
  if (o.topK !== undefined && (!Number.isInteger(o.topK) || o.topK <= 0)) throw new Error(`sample: topK must be a positive integer, got ${o.topK}`);
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) throw new Error(`sample: topP must be in (0, 1], got ${o.topP}`);
}

/** Index of the largest value (the first one on ties). */
export function argmax(values: ArrayLike<number>): number {
  if (values.length === 0) throw new Error('argmax: empty row');
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/**
 * The sampling distribution of one row of logits after temperature, top-k and top-p: a
 * probability per token (zeros outside the kept set). Ties at the top-k boundary keep the
 * lower token ids.
 */
export function samplingProbabilities(logits: ArrayLike<number>, options: SamplingOptions = {}): Float64Array {
  checkOptions(options);
  const V = logits.length;
  if (V === 0) throw new Error('samplingProbabilities: empty row');
  for (let i = 0; i < V; i++) if (Number.isNaN(logits[i]!)) throw new Error(`samplingProbabilities: logit ${i} is NaN`);
  const probs = new Float64Array(V);
  const t = options.temperature ?? 1;
  if (options.greedy || t === 0) {
    probs[argmax(logits)] = 1;
    return probs;
  }
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => logits[b]! - logits[a]! || a - b);
  const keep = Math.min(V, options.topK ?? V);
  const max = logits[order[0]!]! / t;
  let total = 0;
  for (let j = 0; j < keep; j++) {
    const i = order[j]!;
    const e = Math.exp(logits[i]! / t - max);
    probs[i] = e;
    total += e;
  }
  const topP = options.topP ?? 1;
  let kept = keep;
  if (topP < 1) {
    let cum = 0;
    for (let j = 0; j < keep; j++) {
      cum += probs[order[j]!]! / total;
      if (cum >= topP) {
        kept = j + 1;
        break;
      }
    }
    for (let j = kept; j < keep; j++) probs[order[j]!] = 0;
  }
  let norm = 0;
  for (let j = 0; j < kept; j++) norm += probs[order[j]!]!;
  for (let j = 0; j < kept; j++) probs[order[j]!]! /= norm;
  return probs;
}

/** Draw one token id from a row of logits (one uniform from `generator` unless greedy). */
export function sampleFromLogits(logits: ArrayLike<number>, options: SamplingOptions, generator: Generator): number {
  const probs = samplingProbabilities(logits, options);
  if (options.greedy || options.temperature === 0) return argmax(probs);
  const u = generator.uniform();
  let cum = 0;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i]! === 0) continue;
    cum += probs[i]!;
    last = i;
    if (u < cum) return i;
  }
  return last;
}

/** Sample one token per row of `logits [B, V]` (or the last position of `[B, L, V]`). */
export async function sampleTokens(logits: Tensor, options: SamplingOptions, generator: Generator): Promise<Int32Array> {
  if (logits.rank !== 2 && logits.rank !== 3) throw new Error(`sampleTokens: logits must be [B, V] or [B, L, V], got ${JSON.stringify(logits.shape)}`);
  const last = logits.rank === 3 ? logits.select(1, logits.shape[1]! - 1) : logits;
  try {
    const [B, V] = last.shape as [number, number];
    const data = await last.data();
    const out = new Int32Array(B);
    for (let b = 0; b < B; b++) out[b] = sampleFromLogits(data.subarray(b * V, (b + 1) * V), options, generator);
    return out;
  } finally {
    if (last !== logits) last.dispose();
  }
}
