import { describe, expect, it } from 'vitest';
import { Generator, noGrad } from '@unihetero/tensor';
import { LinearEmbedCosProjector, createInvertProjector } from '../../src/index.js';
import { build, commonVariantChecks, host, normal } from '../helpers.js';

describe('linear-embed-cos', () => {
  it('is one Linear(d, d) fitting P(f), fed back as is', () => {
    const { G, P } = build('linear-embed-cos', { d: 4, dv: 3 });
    expect(G).toBeInstanceOf(LinearEmbedCosProjector);
    expect([...G.stateDict()].map(([k, t]) => [k, t.shape])).toEqual([['head.weight', [4, 4]], ['head.bias', [4]]]);
    const f = normal([5, 3], new Generator(1));
    expect(host(G.target(f))).toEqual(host(noGrad(() => P.call(f))));
    const e = G.predict(normal([5, 4], new Generator(2)));
    expect(host(G.feedback(e))).toEqual(host(e));
  });

  it('passes the checks every variant passes', async () => {
    await commonVariantChecks('linear-embed-cos');
  });

  it('is built by name, from the shared config', () => {
    const { P } = build('mlp-cos', { d: 4, dv: 3 });
    expect(createInvertProjector('linear-embed-cos', { llmDim: 4, featureDim: 3, inputProjector: P }).variant).toBe('linear-embed-cos');
  });
});
