/**
 * Text generation with the KV cache: prompts of different lengths are left-padded (padding keys
 * masked, positions counted from each prompt's first real token), then one token per step is
 * sampled for every sequence.
 */
import { Generator, noGrad, tensor, tidy } from '@unihetero/tensor';
import type { TransformerLM } from './model.js';
import { sampleTokens, type SamplingOptions } from './sampling.js';

/** Options of `generate`. */
export interface GenerateOptions {
  /** Prompts as token ids (at least one token each; lengths may differ). */
  prompts: readonly (readonly number[])[];
  /** Tokens to generate per prompt. */
  maxNewTokens: number;
  /** A sequence stops after producing this token (it then only pads). */
  eosTokenId?: number;
  /** Token used for left padding and after EOS (default 0; never attended to). */
  padTokenId?: number;
  /** Sampling (default greedy). */
  sampling?: SamplingOptions;
  /** Random stream for sampling (default: a Generator seeded with 0). */
  generator?: Generator;
}

/** New tokens per prompt (EOS included when produced; nothing after it). */
export async function generate(model: TransformerLM, options: GenerateOptions): Promise<number[][]> {
  const { prompts, maxNewTokens } = options;
  if (!Array.isArray(prompts) || prompts.length === 0) throw new Error('generate: prompts must be a non-empty list of token-id lists');
  prompts.forEach((p, i) => {
    if (!Array.isArray(p) || p.length === 0) throw new Error(`generate: prompt ${i} must be a non-empty list of token ids`);
  });
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) throw new Error(`generate: maxNewTokens must be a non-negative integer, got ${maxNewTokens}`);
  const sampling = options.sampling ?? { greedy: true };
  const gen = options.generator ?? new Generator(0);
  const pad = options.padTokenId ?? 0;
  const B = prompts.length;
  const L = Math.max(...prompts.map((p) => p.length));
  const ids = new Int32Array(B * L).fill(pad);
  const valid = new Uint8Array(B * L);
  const positions = new Int32Array(B * L);
  const next = new Int32Array(B);
  prompts.forEach((p, b) => {
    const off = L - p.length;
    for (let i = 0; i < p.length; i++) {
      ids[b * L + off + i] = p[i]!;
      valid[b * L + off + i] = 1;
      positions[b * L + off + i] = i;
    }
    next[b] = p.length;
  });
  const out: number[][] = prompts.map(() => []);
  if (maxNewTokens === 0) return out;
  const done = new Uint8Array(B);
  const be = model.backend;
  const cache = model.createCache(B, L + maxNewTokens);
  try {
    let input = { ids, shape: [B, L], valid, positions };
    for (let step = 0; step < maxNewTokens; step++) {
      const logits = noGrad(() =>
        tidy(() => {
          const inputIds = tensor(input.ids, { shape: input.shape, dtype: 'int32', backend: be });
          const { logits } = model.forward({ inputIds, cache, positionIds: input.positions, attention: { keyPaddingMask: input.valid }, returnLogits: true });
          return logits!.select(1, input.shape[1]! - 1).contiguous();
        }),
      );
      let tokens: Int32Array;
      try {
        tokens = await sampleTokens(logits, sampling, gen);
      } finally {
        logits.dispose();
      }
      const stepIds = new Int32Array(B);
      const stepPos = new Int32Array(B);
      for (let b = 0; b < B; b++) {
        if (done[b]) stepIds[b] = pad;
        else {
          out[b]!.push(tokens[b]!);
          stepIds[b] = tokens[b]!;
          if (options.eosTokenId !== undefined && tokens[b] === options.eosTokenId) done[b] = 1;
        }
        stepPos[b] = next[b]!++;
      }
      if (done.every((d) => d === 1)) break;
      input = { ids: stepIds, shape: [B, 1], valid: new Uint8Array(B).fill(1), positions: stepPos };
    }
  } finally {
    cache.dispose();
  }
  return out;
}
