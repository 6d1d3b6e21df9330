import { describe, expect, it } from 'vitest';
import { Generator, memory, noGrad, tidy } from '@unihetero/tensor';
import { AdamW, ExponentialMovingAverage } from '@unihetero/nn';
import { DEFAULT_EMA_MOMENTUM, EmaMlpLlmCosProjector, InputProjector, createInvertProjector } from '../../src/index.js';
import { build, commonVariantChecks, headEntries, host, hostCos, normal, rows } from '../helpers.js';

const f32 = (v: number) => Math.fround(v);

describe('ema-mlp-llm-cos', () => {
  it('has the head Linear(d, d) -> GELU -> Linear(d, d) and the EMA buffers of P (docs/method.md 6.3-6.4)', () => {
    const { G, P } = build('ema-mlp-llm-cos', { d: 4, dv: 3 });
    expect(G).toBeInstanceOf(EmaMlpLlmCosProjector);
    const E = G as EmaMlpLlmCosProjector;
    expect(G.targetSpace).toBe('embedding');
    expect(G.outDim).toBe(4);
    expect(E.ema).toBeInstanceOf(ExponentialMovingAverage);
    expect(E.momentum).toBe(DEFAULT_EMA_MOMENTUM);
    expect(DEFAULT_EMA_MOMENTUM).toBe(0.999);
    expect([...G.stateDict()].map(([k, t]) => [k, t.shape])).toEqual([
      ...headEntries([[4, 4], [4, 4]]),
      ['ema.0.weight', [4, 3]],
      ['ema.0.bias', [4]],
      ['ema.2.weight', [4, 4]],
      ['ema.2.bias', [4]],
    ]);
    // buffers, not parameters: the optimizer never sees them
    expect(G.namedParameters().map(([n]) => n)).toEqual(['head.layers.0.weight', 'head.layers.0.bias', 'head.layers.1.weight', 'head.layers.1.bias']);
    expect(G.buffers().every((b) => !b.requiresGrad)).toBe(true);
    // P_ema starts as an exact copy of P, in its own storage
    const pp = new Map(P.namedParameters());
    for (const [k, b] of E.ema.namedBuffers()) {
      expect(host(b), k).toEqual(host(pp.get(k)!));
      expect(b).not.toBe(pp.get(k));
    }
  });

  it('targets sg(P_ema(f)), equal to P(f) before any update, and feeds e_hat back as is', () => {
    const { G, P, gen } = build('ema-mlp-llm-cos');
    const f = normal([2, 3, 2], gen);
    expect(host(G.target(f))).toEqual(host(noGrad(() => P.forward(f))));
    const e = normal([2, 3, 3], gen, 'float64', true);
    const fb = G.feedback(e);
    expect(host(fb)).toEqual(host(e));
    expect(fb).not.toBe(e);
    expect(fb.requiresGrad).toBe(true);
  });

  it('its loss is mean(1 - cos) between G(z) and the EMA target', () => {
    const { G, gen } = build('ema-mlp-llm-cos');
    const z = normal([4, 3], gen);
    const f = normal([4, 2], gen);
    const er = rows(host(G.predict(z)), 3);
    const tr = rows(host(G.target(f)), 3);
    const want = er.reduce((s, r, i) => s + 1 - hostCos(r, tr[i]!), 0) / 4;
    expect(G.loss(G.predict(z), G.target(f)).itemSync()).toBeCloseTo(want, 14);
  });

  it('afterOptimizerStep applies theta_ema <- mu theta_ema + (1 - mu) theta_P exactly, with no gradient', () => {
    const mu = 0.9;
    const { G, P } = build('ema-mlp-llm-cos', { dtype: 'float32', config: { momentum: mu } });
    const E = G as EmaMlpLlmCosProjector;
    const ema0 = new Map(E.ema.namedBuffers().map(([k, b]) => [k, host(b)]));
    // move P as an optimizer would
    noGrad(() => P.parameters().forEach((p, i) => tidy(() => p.assign(p.mul(1.5).add(0.25 * (i + 1))))));
    const theta = new Map(P.namedParameters().map(([k, p]) => [k, host(p)]));
    G.afterOptimizerStep();
    for (const [k, b] of E.ema.namedBuffers()) {
      // one fused update computed in double (scalars in double), stored as float32: s*mu + p*(1-mu)
      const want = ema0.get(k)!.map((s, i) => f32(s * mu + theta.get(k)![i]! * (1 - mu)));
      expect(host(b), k).toEqual(want);
      expect(b.requiresGrad).toBe(false);
      expect(b.grad).toBeNull();
    }
    // the target now comes from the average, not from P
    const f = normal([3, 2], new Generator(1), 'float32');
    const viaEma = host(G.target(f));
    expect(viaEma).not.toEqual(host(noGrad(() => P.forward(f))));
    const copy = new InputProjector(2, 3, { generator: new Generator(99) });
    E.ema.copyTo(copy);
    expect(viaEma).toEqual(host(noGrad(() => copy.forward(f))));
  });

  it('in a training loop the EMA trails P and the target path gives P no gradient', async () => {
    const gen = new Generator(21);
    const P = new InputProjector(2, 3, { generator: gen });
    const G = createInvertProjector('ema-mlp-llm-cos', { llmDim: 3, featureDim: 2, inputProjector: P, generator: gen, momentum: 0.5 }) as EmaMlpLlmCosProjector;
    const opt = new AdamW([...P.parameters(), ...G.parameters()], { lr: 0.05, weightDecay: 0 });
    const f = normal([4, 2], gen, 'float32');
    const zSeed = normal([4, 3], gen, 'float32');
    const w0 = host(G.ema.namedBuffers()[0]![1]);
    for (let step = 0; step < 3; step++) {
      opt.zeroGrad();
      // z depends on P (the visible-token path of docs/method.md 9.2); the target must not
      const loss = tidy(() => G.loss(G.predict(P.forward(f).add(zSeed)), G.target(f)));
      loss.backward();
      const pGradViaInputs = host(P.parameters()[0]!.grad!);
      expect(pGradViaInputs.some((v) => v !== 0)).toBe(true);
      opt.step();
      G.afterOptimizerStep();
      loss.dispose();
    }
    // the EMA's buffers are not optimizer state and moved towards P by the formula
    expect(opt.paramGroups[0]!.params.some((p) => G.buffers().includes(p))).toBe(false);
    const w3 = host(G.ema.namedBuffers()[0]![1]);
    const p3 = host(P.parameters()[0]!);
    expect(w3).not.toEqual(w0);
    w3.forEach((v, i) => expect(Math.abs(v - p3[i]!)).toBeLessThanOrEqual(Math.abs(w0[i]! - p3[i]!) + 1e-6));
    // with z independent of P, the loss gives P no gradient at all
    opt.zeroGrad();
    const l = G.loss(G.predict(zSeed), G.target(f));
    l.backward();
    expect(P.parameters().every((p) => p.grad === null)).toBe(true);
    expect(G.buffers().every((b) => b.grad === null)).toBe(true);
  });

  it('validates the momentum', () => {
    const P = new InputProjector(2, 3);
    for (const m of [-0.1, 1.5, Number.NaN]) {
      expect(() => createInvertProjector('ema-mlp-llm-cos', { llmDim: 3, featureDim: 2, inputProjector: P, momentum: m })).toThrow(
        `ema-mlp-llm-cos: momentum must be in [0, 1], got ${m}`,
      );
    }
    expect((createInvertProjector('ema-mlp-llm-cos', { llmDim: 3, featureDim: 2, inputProjector: P, momentum: 0.99 }) as EmaMlpLlmCosProjector).momentum).toBe(0.99);
  });

  it('passes the shared checks (gradcheck, detached target, empty mask, memory, errors)', async () => {
    await commonVariantChecks('ema-mlp-llm-cos');
    // and an update leaks nothing
    const { G } = build('ema-mlp-llm-cos', { dtype: 'float32' });
    const before = memory().tensors;
    G.afterOptimizerStep();
    expect(memory().tensors).toBe(before);
  });
});
