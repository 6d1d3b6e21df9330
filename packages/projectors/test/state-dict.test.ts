import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Generator, tidy } from '@unihetero/tensor';
import { AdamW, Module, StateDictError, loadCheckpoint, loadSafetensors, saveCheckpoint, stateDictToSafetensors } from '@unihetero/nn';
import { InputProjector, createInvertProjector, type EmaMlpLlmCosProjector, type InvertProjector } from '../src/index.js';
import { host, normal } from './helpers.js';

/** The projector half of a model: P and an invert-projector as siblings, as a model holds them. */
class Heads extends Module {
  declare inputProjector: InputProjector;
  declare invertProjector: InvertProjector;
  constructor(variant: string, seed: number) {
    super();
    const gen = new Generator(seed);
    const P = this.registerModule('inputProjector', new InputProjector(3, 4, { generator: gen, normalizeInput: variant === 'norm-3-mlp-cos' }));
    this.registerModule('invertProjector', createInvertProjector(variant, { llmDim: 4, featureDim: 3, inputProjector: P, generator: gen, momentum: 0.8 }));
  }
}

/** A few training steps with EMA updates, so the averages differ from P and from init. */
function train(m: Heads, opt: AdamW, steps: number, gen: Generator): void {
  const f = normal([5, 3], gen, 'float32');
  const z = normal([5, 4], gen, 'float32');
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    const G = m.invertProjector;
    const loss = tidy(() => G.loss(G.predict(m.inputProjector.forward(f).add(z)), G.target(f)));
    loss.backward();
    opt.step();
    G.afterOptimizerStep();
    loss.dispose();
  }
  f.dispose();
  z.dispose();
}

const snapshot = (m: Module) => new Map([...m.stateDict()].map(([k, t]) => [k, host(t)]));

describe('state dicts and checkpoints', () => {
  it('the model state dict holds the EMA buffers once, under the invert-projector', () => {
    const m = new Heads('ema-mlp-llm-cos', 0);
    expect([...m.stateDict().keys()]).toEqual([
      'inputProjector.0.weight',
      'inputProjector.0.bias',
      'inputProjector.2.weight',
      'inputProjector.2.bias',
      'invertProjector.head.layers.0.weight',
      'invertProjector.head.layers.0.bias',
      'invertProjector.head.layers.1.weight',
      'invertProjector.head.layers.1.bias',
      'invertProjector.ema.0.weight',
      'invertProjector.ema.0.bias',
      'invertProjector.ema.2.weight',
      'invertProjector.ema.2.bias',
    ]);
    // P's parameters are listed once (the invert-projector only references P)
    expect(m.parameters().length).toBe(8);
  });

  it('round-trips every variant through stateDict / loadStateDict, EMA buffers included', () => {
    for (const variant of ['mlp-cos', 'mlp-mse', 'norm-3-mlp-cos', 'ema-mlp-llm-cos']) {
      const a = new Heads(variant, 1);
      train(a, new AdamW(a.parameters(), { lr: 0.05 }), 2, new Generator(2));
      const b = new Heads(variant, 7);
      b.loadStateDict(a.stateDict());
      expect(snapshot(b), variant).toEqual(snapshot(a));
      const f = normal([2, 3], new Generator(3), 'float32');
      expect(host(b.invertProjector.target(f))).toEqual(host(a.invertProjector.target(f)));
    }
  });

  it('rejects a state dict without the EMA buffers (strict) and names them', () => {
    const a = new Heads('mlp-cos', 1);
    const b = new Heads('ema-mlp-llm-cos', 1);
    expect(() => b.loadStateDict(a.stateDict())).toThrow(StateDictError);
    expect(() => b.loadStateDict(a.stateDict())).toThrow('invertProjector.ema.0.weight');
  });

  it('a checkpoint restores P, the head, the EMA and AdamW, and the resumed run matches the uninterrupted one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'unihetero-projectors-'));
    try {
      const a = new Heads('ema-mlp-llm-cos', 4);
      const optA = new AdamW(a.parameters(), { lr: 0.05 });
      train(a, optA, 2, new Generator(5));
      const path = join(dir, 'heads.safetensors');
      await saveCheckpoint(path, { model: a, optimizer: optA, step: 2 });
      // keep training the original
      train(a, optA, 2, new Generator(6));

      const b = new Heads('ema-mlp-llm-cos', 9);
      const optB = new AdamW(b.parameters(), { lr: 0.05 });
      const { step } = await loadCheckpoint(path, { model: b, optimizer: optB });
      expect(step).toBe(2);
      // the EMA tensors are model buffers, not optimizer state
      expect(optB.paramGroups.flatMap((g) => g.params).some((p) => b.buffers().includes(p))).toBe(false);
      train(b, optB, 2, new Generator(6));
      expect(snapshot(b)).toEqual(snapshot(a));
      const E = b.invertProjector as EmaMlpLlmCosProjector;
      expect(E.momentum).toBe(0.8);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('safetensors bytes carry the EMA buffers under their dotted names', async () => {
    const a = new Heads('ema-mlp-llm-cos', 10);
    train(a, new AdamW(a.parameters(), { lr: 0.05 }), 1, new Generator(11));
    const bytes = await stateDictToSafetensors(a);
    const b = new Heads('ema-mlp-llm-cos', 12);
    const report = await loadSafetensors(b, bytes);
    expect(report.missing).toEqual([]);
    expect(snapshot(b)).toEqual(snapshot(a));
    const ema = (b.invertProjector as EmaMlpLlmCosProjector).ema;
    const pp = new Map(b.inputProjector.namedParameters());
    // after a step with momentum 0.8 the average differs from P
    expect(ema.namedBuffers().some(([k, t]) => host(t).join() !== host(pp.get(k)!).join())).toBe(true);
  });
});
