import { describe, expect, it } from 'vitest';
import { Generator, noGrad, tensor } from '@unihetero/tensor';
import { InputProjector, Norm3MlpCosProjector, createInvertProjector, l2Normalize } from '../../src/index.js';
import { build, commonVariantChecks, headEntries, host, normal, rows } from '../helpers.js';

describe('norm-3-mlp-cos', () => {
  it('has the 3-Linear head of docs/method.md 6.3', () => {
    const { G } = build('norm-3-mlp-cos', { d: 4, dv: 3 });
    expect(G).toBeInstanceOf(Norm3MlpCosProjector);
    expect([...G.stateDict()].map(([k, t]) => [k, t.shape])).toEqual(headEntries([[4, 4], [4, 4], [3, 4]]));
  });

  it('predicts unit vectors G(z)/|G(z)| and targets f/|f|', () => {
    const { G } = build('norm-3-mlp-cos', { d: 3, dv: 4 });
    const gen = new Generator(13);
    const z = normal([5, 3], gen);
    const e = G.predict(z);
    expect(host(e)).toEqual(host(noGrad(() => l2Normalize((G as Norm3MlpCosProjector).head.forward(z)))));
    for (const r of rows(host(e), 4)) expect(Math.hypot(...r)).toBeCloseTo(1, 14);
    const f = tensor([[3, 0, 4, 0], [0, 0, 0, 0]], { dtype: 'float64' });
    expect(host(G.target(f))).toEqual([0.6, 0, 0.8, 0, 0, 0, 0, 0]);
    // for unit vectors, 1 - cos = 1 - dot
    const t = G.target(normal([5, 4], gen));
    const dots = rows(host(e), 4).map((r, i) => r.reduce((s, v, c) => s + v * rows(host(t), 4)[i]![c]!, 0));
    expect(G.loss(e, t).itemSync()).toBeCloseTo(dots.reduce((s, v) => s + 1 - v, 0) / 5, 14);
  });

  it('feeds P(e_hat) back through a normalising projector', () => {
    const { G, P } = build('norm-3-mlp-cos');
    const e = G.predict(normal([2, 3], new Generator(14)));
    expect(host(G.feedback(e))).toEqual(host(P.forward(e)));
    expect(P.normalizeInput).toBe(true);
  });

  it('requires the input projector to normalise its input', () => {
    const P = new InputProjector(2, 3);
    expect(() => createInvertProjector('norm-3-mlp-cos', { llmDim: 3, featureDim: 2, inputProjector: P })).toThrow(
      'norm-3-mlp-cos: the input projector must L2-normalise its input (InputProjector option normalizeInput: true)',
    );
  });

  it('passes the shared checks (gradcheck, detached target, empty mask, memory, errors)', async () => {
    await commonVariantChecks('norm-3-mlp-cos');
  });
});
