import { describe, expect, it } from 'vitest';
import { Generator, noGrad, tensor } from '@unihetero/tensor';
import { MlpCosProjector } from '../../src/index.js';
import { build, commonVariantChecks, headEntries, host, hostCos, normal, rows } from '../helpers.js';

describe('mlp-cos', () => {
  it('has the docs/method.md 6.3 head Linear(d, d) -> GELU -> Linear(d, d_v)', () => {
    const { G } = build('mlp-cos', { d: 4, dv: 3 });
    expect(G).toBeInstanceOf(MlpCosProjector);
    expect(G.targetSpace).toBe('feature');
    expect([...G.stateDict()].map(([k, t]) => [k, t.shape])).toEqual(headEntries([[4, 4], [3, 4]]));
    // the input projector is not a submodule: its parameters are the model's, not the head's
    expect(G.parameters().length).toBe(4);
    const wide = build('mlp-cos', { d: 4, dv: 3, config: { hiddenDim: 6 } }).G;
    expect(wide.stateDict().get('head.layers.0.weight')!.shape).toEqual([6, 4]);
  });

  it('predicts G(z), targets the feature itself, and its loss is mean(1 - cos) over masked rows', () => {
    const { G } = build('mlp-cos', { d: 3, dv: 2 });
    const gen = new Generator(11);
    const z = normal([4, 3], gen);
    const f = normal([4, 2], gen);
    const e = G.predict(z);
    expect(host(e)).toEqual(host(noGrad(() => (G as MlpCosProjector).head.forward(z))));
    expect(host(G.target(f))).toEqual(host(f));
    const er = rows(host(e), 2);
    const fr = rows(host(f), 2);
    const mask = tensor([1, 0, 1, 1], { dtype: 'int32' });
    const want = [0, 2, 3].reduce((s, i) => s + 1 - hostCos(er[i]!, fr[i]!), 0) / 3;
    expect(G.loss(e, G.target(f), mask).itemSync()).toBeCloseTo(want, 14);
  });

  it('feeds P(e_hat) back', () => {
    const { G, P } = build('mlp-cos');
    const e = normal([3, 2], new Generator(12));
    expect(host(G.feedback(e))).toEqual(host(P.forward(e)));
  });

  it('passes the shared checks (gradcheck, detached target, empty mask, memory, errors)', async () => {
    await commonVariantChecks('mlp-cos');
  });
});
