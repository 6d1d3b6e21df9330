import { describe, expect, it } from 'vitest';
import { ConfigError, PRESET_NAMES, applyPreset, getPreset, presetNames, registerPreset, resolveModelConfig } from '../src/index.js';

describe('model config', () => {
  it('fills the docs/method.md 14 defaults', () => {
    const c = resolveModelConfig({ vocabSize: 81 });
    expect(c.backbone).toMatchObject({ hiddenSize: 128, numHiddenLayers: 4, numAttentionHeads: 4, rmsNormEps: 1e-5, ropeTheta: 10000, qkNorm: 'layernorm-shared', zLossWeight: 1e-5 });
    expect(c.loss).toEqual({ alpha: 10, beta: 10, detachFlowCondition: false, textLossOnPrompt: false });
    expect(c.invertProjector).toEqual({ name: 'ema-mlp-llm-cos', momentum: 0.99, feedbackNorm: 'as-is' });
    expect(c.flow).toMatchObject({ size: 'small', batchMul: 4, sampleSteps: 20, sampler: 'euler' });
    expect([c.numVisualTokens, c.semanticDim, c.pixelDim]).toEqual([64, 64, 48]);
    expect(c.maskRate).toBe('gaussian');
  });
  it('reports every problem with its path and value', () => {
    let err: ConfigError | null = null;
    try {
      resolveModelConfig({ vocabSize: 0, backbone: { hiddenSize: -1 }, loss: { alpha: -2 }, bogus: 1 } as never);
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = err!.issues.join('\n');
    expect(text).toMatch(/^vocabSize: .*\(got 0\)$/m);
    expect(text).toMatch(/^backbone\.hiddenSize: .*\(got -1\)$/m);
    expect(text).toMatch(/^loss\.alpha: .*\(got -2\)$/m);
    expect(text).toMatch(/bogus/);
    expect(() => resolveModelConfig({ vocabSize: 10, backbone: { hiddenSize: 30, numAttentionHeads: 4 } })).toThrow(/backbone.hiddenSize: 30 is not divisible by numAttentionHeads 4/);
    expect(() => resolveModelConfig({ vocabSize: 10, inputProjector: { type: 'conv' } })).toThrow(/inputProjector\.type: expected "linear" or "mlp<N>x_gelu" \(got "conv"\)/);
  });
});

describe('presets', () => {
  it('are plain data matching the paper (docs/method.md 9.3)', () => {
    expect(PRESET_NAMES).toEqual(['exp1', 'exp2', 'exp3', 'exp4']);
    expect(getPreset('exp1')).toMatchObject({ alpha: 0, beta: 0, understandingFraction: 1 });
    expect(getPreset('exp2')).toMatchObject({ alpha: 10, beta: 10, detachFlowCondition: true, invertProjector: 'ema-mlp-llm-cos' });
    expect(getPreset('exp3')).toMatchObject({ alpha: 10, beta: 10, detachFlowCondition: false });
    expect(getPreset('exp4').flowWarmupSteps).toBeGreaterThan(0);
    expect(getPreset('exp4').flowWidth).toBe(256);
    const cfg = resolveModelConfig(applyPreset({ vocabSize: 5 }, 'exp2'));
    expect(cfg.loss).toMatchObject({ alpha: 10, beta: 10, detachFlowCondition: true });
    expect(cfg.mix.understandingFraction).toBe(0.5);
  });
  it('users register their own; unknown names list the known ones', () => {
    registerPreset({ ...getPreset('exp2'), name: 'mine', alpha: 3 });
    expect(presetNames()).toContain('mine');
    expect(resolveModelConfig(applyPreset({ vocabSize: 5 }, 'mine')).loss.alpha).toBe(3);
    expect(() => registerPreset({ ...getPreset('exp2'), name: 'mine' })).toThrow(/'mine' already exists/);
    expect(() => registerPreset({ ...getPreset('exp2'), name: 'neg', beta: -1 })).toThrow(/beta must be a number >= 0, got -1/);
    expect(() => getPreset('exp9')).toThrow(/unknown preset 'exp9' \(known: exp1, exp2, exp3, exp4, mine\)/);
  });
});
