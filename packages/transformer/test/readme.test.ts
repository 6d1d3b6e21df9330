// The README example, run as a test (keep the two in sync).
import { describe, expect, it } from 'vitest';
import { Generator, tensor, tidy } from '@unihetero/tensor';
import { AdamW } from '@unihetero/nn';
import { TransformerLM, generate } from '../src/index';

describe('README example', () => {
  it('trains, generates with the cache, and reruns a span chunk', async () => {
    const model = new TransformerLM(
      { vocabSize: 16, hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2 },
      { generator: new Generator(0) },
    );
    const opt = new AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0 });
    const ids = tensor([[1, 2, 5, 6, 7, 3, 9, 10], [1, 2, 8, 6, 7, 3, 11, 12]], { dtype: 'int32' });
    const labels = tensor([[-100, -100, -100, -100, -100, -100, 9, 10], [-100, -100, -100, -100, -100, -100, 11, 12]], { dtype: 'int32' });
    const ces: number[] = [];
    for (let step = 0; step < 30; step++) {
      opt.zeroGrad();
      const { loss, crossEntropy, zLoss } = tidy(() => {
        const out = model.computeLoss({ inputIds: ids, labels, attention: { spans: [[2, 5]] } });
        return { loss: out.loss, crossEntropy: out.crossEntropy, zLoss: out.zLoss };
      });
      loss.backward();
      opt.step();
      ces.push(await crossEntropy.item());
      expect(await zLoss.item()).toBeGreaterThan(0);
      for (const t of [loss, crossEntropy, zLoss]) t.dispose();
    }
    expect(ces[0]).toBeGreaterThan(2);
    expect(ces.at(-1)).toBeLessThan(0.05);

    const [continuation] = await generate(model, { prompts: [[1, 2, 5, 6, 7, 3]], maxNewTokens: 2 });
    expect(continuation).toEqual([9, 10]);

    const cache = model.createCache(1);
    model.call({ inputIds: ids.narrow(0, 0, 1).narrow(1, 0, 2).contiguous(), cache }).hiddenStates.dispose();
    const span = model.call({
      inputIds: ids.narrow(0, 0, 1).narrow(1, 2, 3).contiguous(),
      cache,
      attention: { spans: [[2, 5]] },
      appendToCache: false,
    });
    expect([span.hiddenStates.shape, cache.length]).toEqual([[1, 3, 32], 2]);
    cache.dispose();
  });
});
