/** Shared test helpers: a tiny config, seeded models and inputs, exact/close comparisons. */
import { Generator, tensor, type Backend, type Tensor } from '@unihetero/tensor';
import { TransformerLM, defineConfig, type TransformerConfigInput } from '../src/index';

/** A tiny config (d=16, 2 layers, 4 heads of 4) with overrides. */
export function tinyConfig(over: Partial<TransformerConfigInput> = {}) {
  return defineConfig({ vocabSize: 11, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 2, numAttentionHeads: 4, initializerRange: 0.2, ...over });
}

/** A seeded tiny model. */
export function tinyModel(over: Partial<TransformerConfigInput> = {}, seed = 0, backend?: Backend): TransformerLM {
  return new TransformerLM(tinyConfig(over), { generator: new Generator(seed), backend });
}

/** int32 ids `[B, L]` from nested arrays. */
export function ids(rows: number[][], backend?: Backend): Tensor {
  return tensor(rows, { dtype: 'int32', backend });
}

/** Max |a - b| over two equal-length arrays. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxDiff: lengths ${a.length} and ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Rows `[from, to)` along dim 1 of a `[B, L, D]` tensor, as a flat array (CPU). */
export function positions(t: Tensor, b: number, from: number, to: number): Float32Array {
  const [, L, D] = t.shape as [number, number, number];
  const all = t.dataSync();
  return Float32Array.from(all.subarray((b * L + from) * D, (b * L + to) * D));
}
