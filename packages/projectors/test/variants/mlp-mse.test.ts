import { describe, expect, it } from 'vitest';
import { Generator, tensor } from '@unihetero/tensor';
import { MlpCosProjector, MlpMseProjector } from '../../src/index.js';
import { build, commonVariantChecks, host, normal } from '../helpers.js';

describe('mlp-mse', () => {
  it('shares mlp-cos head and target and has its own name', () => {
    const { G } = build('mlp-mse', { d: 4, dv: 3, seed: 3 });
    const ref = build('mlp-cos', { d: 4, dv: 3, seed: 3 }).G;
    expect(G).toBeInstanceOf(MlpMseProjector);
    expect(G).toBeInstanceOf(MlpCosProjector);
    expect(G.variant).toBe('mlp-mse');
    expect([...G.stateDict().keys()]).toEqual([...ref.stateDict().keys()]);
    const z = normal([2, 4], new Generator(1));
    expect(host(G.predict(z))).toEqual(host(ref.predict(z)));
  });

  it('is mean over masked rows of mean_c (e_hat - t)^2 (docs/method.md 6.2)', () => {
    const { G } = build('mlp-mse');
    const e = tensor([[1, 3], [0, 0], [2, -2]], { dtype: 'float64' });
    const t = tensor([[0, 1], [5, 5], [2, 0]], { dtype: 'float64' });
    // rows: (1 + 4)/2 = 2.5, 25, (0 + 4)/2 = 2
    expect(G.loss(e, t).itemSync()).toBeCloseTo(29.5 / 3, 14);
    expect(G.loss(e, t, tensor([1, 0, 1], { dtype: 'int32' })).itemSync()).toBe(2.25);
  });

  it('passes the shared checks (gradcheck, detached target, empty mask, memory, errors)', async () => {
    await commonVariantChecks('mlp-mse');
  });
});
