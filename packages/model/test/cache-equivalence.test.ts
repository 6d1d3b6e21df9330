/** The generation loop's cached span pass sees exactly what a full forward of the training layout sees. */
import { describe, expect, it } from 'vitest';
import { noGrad, tensor } from '@unihetero/tensor';
import { buildSequences } from '../src/index.js';
import { tinyModel } from './helpers.js';

describe('cached span pass', () => {
  it('equals the full forward of [<bos> caption <boi> span] for prompts of different lengths', async () => {
    const { model } = await tinyModel('exp3', { seed: 5 });
    const N = model.numVisualTokens;
    const d = model.config.backbone.hiddenSize;
    const prompts = [model.tokenizer.encode('a red circle at the top left.', { bos: false, eos: false }), model.tokenizer.encode('a big blue ring.', { bos: false, eos: false })];
    const B = prompts.length;
    // Span inputs: every token masked (the first MAR step).
    const full = noGrad(() => {
      const seq = buildSequences(prompts.map((p, i) => ({ kind: 'generate' as const, image: i, prompt: p })), model.special, { numVisualTokens: N, numImages: B, generationMask: new Uint8Array(B * N).fill(1) });
      const features = tensor(new Float32Array(B * N * model.config.semanticDim), { shape: [B, N, model.config.semanticDim] });
      const latents = tensor(new Float32Array(B * N * model.config.pixelDim), { shape: [B, N, model.config.pixelDim] });
      const h = model.hiddenStates({ sequences: seq, features, latents });
      const rows: number[] = [];
      for (let b = 0; b < B; b++) for (let j = 0; j < N; j++) rows.push(b * seq.length + seq.spans[b]![0]![0] + j);
      return h.reshape(-1, d).indexSelect(0, tensor(Int32Array.from(rows), { dtype: 'int32' }));
    });
    const { cachedSpanHidden } = await import('../src/generate.js');
    const cached = cachedSpanHidden(model, prompts);
    const a = await full.data();
    const c = await cached.data();
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - c[i]!));
    expect(worst).toBeLessThan(1e-4);
  });
});
