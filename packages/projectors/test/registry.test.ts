import { afterEach, describe, expect, it } from 'vitest';
import { Tensor, noGrad } from '@unihetero/tensor';
import { Linear } from '@unihetero/nn';
import {
  BUILTIN_INVERT_PROJECTORS,
  DEFAULT_INVERT_PROJECTOR,
  EmaMlpLlmCosProjector,
  InputProjector,
  InvertProjector,
  MlpCosProjector,
  MlpMseProjector,
  Norm3MlpCosProjector,
  cosineLoss,
  createInvertProjector,
  hasInvertProjector,
  invertProjectorNames,
  registerInvertProjector,
  unregisterInvertProjector,
  type InvertProjectorConfig,
  type TargetSpace,
} from '../src/index.js';

/** A contributor's variant in one file: a linear head fitting the LLM input embedding `P(f)`. */
class LinearLlmCos extends InvertProjector {
  readonly variant = 'linear-llm-cos';
  readonly targetSpace: TargetSpace = 'embedding';
  head: Linear;
  constructor(config: InvertProjectorConfig) {
    super('linear-llm-cos', config);
    this.head = new Linear(this.llmDim, this.llmDim, { generator: config.generator });
  }
  predict(z: Tensor): Tensor {
    return this.head.call(z);
  }
  target(features: Tensor): Tensor {
    return noGrad(() => this.inputProjector.call(features));
  }
  loss(eHat: Tensor, t: Tensor, mask?: Tensor): Tensor {
    return cosineLoss(eHat, t, { mask, eps: this.eps });
  }
  feedback(eHat: Tensor): Tensor {
    return eHat.reshape([...eHat.shape]);
  }
}

const config = (normalizeInput = false): InvertProjectorConfig => ({ llmDim: 4, featureDim: 3, inputProjector: new InputProjector(3, 4, { normalizeInput }) });

afterEach(() => {
  if (hasInvertProjector('linear-llm-cos')) unregisterInvertProjector('linear-llm-cos');
});

describe('invert-projector registry', () => {
  it('knows the four built-in variants of docs/method.md 6.3', () => {
    expect(invertProjectorNames()).toEqual(['ema-mlp-llm-cos', 'mlp-cos', 'mlp-mse', 'norm-3-mlp-cos']);
    expect([...BUILTIN_INVERT_PROJECTORS].sort()).toEqual(invertProjectorNames());
    expect(DEFAULT_INVERT_PROJECTOR).toBe('ema-mlp-llm-cos');
    const classes: Record<string, unknown> = {
      'mlp-cos': MlpCosProjector,
      'mlp-mse': MlpMseProjector,
      'norm-3-mlp-cos': Norm3MlpCosProjector,
      'ema-mlp-llm-cos': EmaMlpLlmCosProjector,
    };
    for (const name of BUILTIN_INVERT_PROJECTORS) {
      const G = createInvertProjector(name, config(name === 'norm-3-mlp-cos'));
      expect(G).toBeInstanceOf(classes[name] as never);
      expect(G.variant).toBe(name);
    }
  });

  it('builds from a JSON config naming the variant', () => {
    const json = JSON.parse('{ "invertProjector": "ema-mlp-llm-cos", "momentum": 0.99 }') as { invertProjector: string; momentum: number };
    const G = createInvertProjector(json.invertProjector, { ...config(), momentum: json.momentum }) as EmaMlpLlmCosProjector;
    expect(G.momentum).toBe(0.99);
  });

  it('registers a contributor variant in one call and builds it by name', () => {
    registerInvertProjector('linear-llm-cos', (c) => new LinearLlmCos(c));
    expect(hasInvertProjector('linear-llm-cos')).toBe(true);
    expect(invertProjectorNames()).toContain('linear-llm-cos');
    const G = createInvertProjector('linear-llm-cos', config());
    expect(G).toBeInstanceOf(LinearLlmCos);
    expect([...G.stateDict().keys()]).toEqual(['head.weight', 'head.bias']);
    expect(G.outDim).toBe(4);
    expect(unregisterInvertProjector('linear-llm-cos')).toBe(true);
    expect(unregisterInvertProjector('linear-llm-cos')).toBe(false);
  });

  it('refuses duplicates unless replace is set, and protects built-ins from removal', () => {
    const factory = (c: InvertProjectorConfig) => new LinearLlmCos(c);
    expect(() => registerInvertProjector('mlp-cos', factory)).toThrow("registerInvertProjector: 'mlp-cos' is already registered (pass { replace: true } to override it)");
    registerInvertProjector('linear-llm-cos', factory);
    registerInvertProjector('linear-llm-cos', factory, { replace: true });
    expect(() => unregisterInvertProjector('ema-mlp-llm-cos')).toThrow("unregisterInvertProjector: 'ema-mlp-llm-cos' is built in and cannot be removed");
  });

  it('names the known variants for an unknown name', () => {
    expect(() => createInvertProjector('mlp-cosine', config())).toThrow(
      'createInvertProjector: unknown invert-projector "mlp-cosine"; known: ema-mlp-llm-cos, mlp-cos, mlp-mse, norm-3-mlp-cos',
    );
  });

  it('validates names, factories and what factories return', () => {
    expect(() => registerInvertProjector('', (c) => new LinearLlmCos(c))).toThrow('registerInvertProjector: name must start with a letter or digit');
    expect(() => registerInvertProjector('has space', (c) => new LinearLlmCos(c))).toThrow('got "has space"');
    expect(() => registerInvertProjector('x', 3 as never)).toThrow("registerInvertProjector: factory for 'x' must be a function, got number");
    registerInvertProjector('linear-llm-cos', () => new Linear(2, 2) as never);
    expect(() => createInvertProjector('linear-llm-cos', config())).toThrow("createInvertProjector: the factory of 'linear-llm-cos' returned Linear, not an InvertProjector");
  });

  it('checks the shared config', () => {
    expect(() => createInvertProjector('mlp-cos', { llmDim: 4, featureDim: 3 } as never)).toThrow('mlp-cos: config.inputProjector must be an InputProjector, got undefined');
    expect(() => createInvertProjector('mlp-cos', { ...config(), hiddenDim: 0 })).toThrow('mlp-cos: hiddenDim must be a positive integer, got 0');
    expect(() => createInvertProjector('mlp-cos', { ...config(), eps: 0 })).toThrow('mlp-cos: eps must be a positive finite number, got 0');
  });
});
