// The README example, run as a test (keep the two in sync).
import { describe, expect, it } from 'vitest';
import { Generator, randn, tensor, tidy } from '@unihetero/tensor';
import { AdamW } from '@unihetero/nn';
import { InputProjector, createInvertProjector, cosineLoss, invertProjectorNames } from '../src/index';

describe('README example', () => {
  it('runs and prints what the README says', async () => {
    const gen = new Generator(0);
    const d = 16; // LLM width
    const dv = 8; // semantic-feature width
    const P = new InputProjector(dv, d, { generator: gen }); // mlp2x_gelu
    const config = JSON.parse('{ "invertProjector": "ema-mlp-llm-cos", "momentum": 0.999 }');
    const G = createInvertProjector(config.invertProjector, { llmDim: d, featureDim: dv, inputProjector: P, generator: gen, momentum: config.momentum });
    expect(invertProjectorNames()).toEqual(['ema-mlp-llm-cos', 'mlp-cos', 'mlp-mse', 'norm-3-mlp-cos']);
    expect([...G.stateDict().keys()].filter((k) => k.startsWith('ema.'))).toEqual(['ema.0.weight', 'ema.0.bias', 'ema.2.weight', 'ema.2.bias']);

    const f = randn([2, 4, dv], { generator: gen }); // frozen semantic features
    const z = randn([2, 4, d], { generator: gen, requiresGrad: true });
    const mask = tensor([[1, 1, 0, 1], [0, 1, 1, 1]], { dtype: 'int32' });
    const opt = new AdamW([...P.parameters(), ...G.parameters()], { lr: 1e-3 });
    opt.zeroGrad();
    const ploss = tidy(() => G.loss(G.predict(z), G.target(f), mask)); // mean over the 6 masked rows of 1 - cos
    ploss.backward(); // reaches G's head and z; the target path (P_ema) gets no gradient
    expect(P.parameters().every((p) => p.grad === null)).toBe(true);
    expect(G.parameters().every((p) => p.grad !== null)).toBe(true);
    opt.step();
    G.afterOptimizerStep(); // theta_ema <- 0.999 theta_ema + 0.001 theta_P
    const v = await ploss.item();
    expect(v).toBeGreaterThan(0);
    expect(v).toBeLessThan(2);
    expect(v.toFixed(4)).toMatch(/^\d\.\d{4}$/);
    ploss.dispose();

    const eHat = G.predict(z);
    const next = G.feedback(eHat); // [2, 4, d]
    expect(next.shape).toEqual([2, 4, d]);

    expect(await cosineLoss(tensor([[0, 0], [1, 0]]), tensor([[0, 0], [0, 1]])).item()).toBe(1);
    expect(await cosineLoss(eHat, eHat, { mask: tensor([[0, 0, 0, 0], [0, 0, 0, 0]], { dtype: 'int32' }) }).item()).toBe(0);
  });
});
