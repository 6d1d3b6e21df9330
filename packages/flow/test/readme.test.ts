// The README example, run as a test (keep the two in sync).
import { describe, expect, it } from 'vitest';
import { Generator, tensor } from '@unihetero/tensor';
import { FlowHead, flowHeadConfig, flowMatchingLoss, sampleFlow, warmupFlowHead } from '../src/index.js';

describe('README example', () => {
  it('runs and prints what the README says', async () => {
    const log: string[] = [];
    const gen = new Generator(0);

    const head = new FlowHead({ tokenDim: 2, conditionDim: 4, width: 32, depth: 2 }, { generator: gen });
    expect(flowHeadConfig('small', { tokenDim: 48, conditionDim: 128 }).width).toBe(128);

    const n = 64;
    const conditions = tensor(Array.from({ length: n * 4 }, (_, i) => (i % 4 === Math.floor(i / 4) % 4 ? 1 : 0)), { shape: [n, 4] });
    const latents = tensor(Array.from({ length: n * 2 }, (_, i) => (i % 2 === 0 ? Math.cos : Math.sin)((Math.PI / 2) * (Math.floor(i / 2) % 4))), { shape: [n, 2] });
    expect(Array.from(conditions.dataSync().slice(4, 8))).toEqual([0, 1, 0, 0]);
    Array.from(latents.dataSync().slice(2, 4)).forEach((v, i) => expect(v).toBeCloseTo([0, 1][i]!, 6));

    const loss = flowMatchingLoss(head, latents, conditions, { batchMul: 4, detachCondition: true, generator: gen });
    loss.backward();
    expect((await loss.item()) > 0).toBe(true);
    loss.dispose();
    head.zeroGrad();

    const { finalLoss } = await warmupFlowHead(head, { conditions, latents }, {
      steps: 20, batchSize: 32, lr: 3e-3, generator: gen, progressEvery: 10,
      onProgress: ({ step, loss }) => {
        log.push(`step ${step}: loss ${loss.toFixed(3)}`);
      },
    });
    const samples = sampleFlow(head, conditions.narrow(0, 0, 8), {
      steps: 20, method: 'heun', temperature: 1, cfgScale: 2, nullCondition: tensor([0, 0, 0, 0]), generator: gen,
    });
    expect(samples.shape).toEqual([8, 2]);
    expect(Number.isFinite(finalLoss)).toBe(true);
    expect(log.map((l) => l.split(':')[0])).toEqual(['step 10', 'step 20']);
    samples.dispose();
  });
});
