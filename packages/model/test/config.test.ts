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

describe('backbone config: the transformer config, nested', () => {
  it("resolves to @unihetero/transformer's defineConfig (the model's sizes and cache length as defaults)", async () => {
    const { defineConfig } = await import('@unihetero/transformer');
    const { BACKBONE_DEFAULTS } = await import('../src/index.js');
    const c = resolveModelConfig({ vocabSize: 81 });
    const { vocabSize, ...rest } = defineConfig({ vocabSize: 81, ...BACKBONE_DEFAULTS });
    expect(vocabSize).toBe(81);
    expect(c.backbone).toEqual(rest);
    expect(c.backbone.maxPositionEmbeddings).toBe(512);
    // Fields the model never restated are accepted and reach the backbone.
    const d = resolveModelConfig({ vocabSize: 10, backbone: { hiddenSize: 32, numAttentionHeads: 2, headDim: 8, qkNormEps: 1e-6, initializerRange: 0.01 } });
    expect(d.backbone).toMatchObject({ headDim: 8, qkNormEps: 1e-6, initializerRange: 0.01, numKeyValueHeads: 2 });
  });
  it('reports backbone problems at their path', () => {
    const issues = (input: unknown) => {
      try {
        resolveModelConfig(input as never);
      } catch (e) {
        return (e as ConfigError).issues;
      }
      return [];
    };
    expect(issues({ vocabSize: 10, backbone: { vocabSize: 5 } })).toEqual(["backbone.vocabSize: set the model's top-level vocabSize, not the backbone's (got 5)"]);
    expect(issues({ vocabSize: 10, backbone: { numHiddenLayer: 2 } })[0]).toMatch(/^backbone\.numHiddenLayer: unknown field \(known: .*numHiddenLayers.*\) \(got 2\)$/);
    expect(issues({ vocabSize: 10, backbone: { numKeyValueHeads: 3 } })).toEqual(['backbone.numKeyValueHeads: 3 must divide numAttentionHeads 4 (got 3)']);
    expect(issues({ vocabSize: 10, backbone: { qkNorm: 'rms' } })).toEqual(["backbone.qkNorm: must be one of none, layernorm-shared, layernorm-per-head (got \"rms\")"]);
    expect(issues({ vocabSize: 10, backbone: 3 })).toEqual(['backbone: expected an object of transformer config fields (got 3)']);
  });
  it('loads a checkpoint written before the nesting (the same JSON shape) with identical weights', async () => {
    const { fileURLToPath } = await import('node:url');
    const { loadShapesModel } = await import('../src/index.js');
    const { readSafetensorsFile } = await import('@unihetero/safetensors');
    const path = fileURLToPath(new URL('./fixtures/pre-nesting.safetensors', import.meta.url));
    const loaded = await loadShapesModel(path);
    expect(loaded.spec.config.backbone).toMatchObject({ hiddenSize: 16, numKeyValueHeads: 1, maxPositionEmbeddings: 256 });
    expect(loaded.model.config.backbone).toMatchObject({ hiddenSize: 16, numAttentionHeads: 2, numKeyValueHeads: 1, intermediateSize: 32, maxPositionEmbeddings: 256, headDim: 8 });
    const file = await readSafetensorsFile(path);
    const state = loaded.model.stateDict();
    for (const name of ['lm.model.layers.0.self_attn.q_proj.weight', 'lm.model.layers.0.self_attn.k_proj.weight', 'flow_head.final_layer.linear.weight']) {
      if (!state.has(name)) continue;
      expect(Array.from(await state.get(name)!.data())).toEqual(Array.from(file.getFloat32(`model.${name}`)));
    }
    expect(state.size).toBeGreaterThan(10);
  });
});
