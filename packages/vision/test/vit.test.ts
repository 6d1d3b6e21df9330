import { describe, expect, it } from 'vitest';
import { Generator, memory, noGrad, randn, tidy } from '@unihetero/tensor';
import { StateDictError } from '@unihetero/nn';
import { parseSafetensors, serializeSafetensors, type TensorEntry } from '@unihetero/safetensors';
import {
  DINOV2_SMALL,
  Dinov2Model,
  SHAPES_VIT_TINY,
  dinov2ToSafetensors,
  loadDinov2,
  mlpHiddenSize,
  randomDinov2,
  vitConfig,
  vitConfigFromHF,
  vitConfigToHF,
} from '../src/index';

/** facebook/dinov2-small's config.json (the fields that matter). */
const DINOV2_SMALL_HF = {
  architectures: ['Dinov2Model'],
  attention_probs_dropout_prob: 0,
  drop_path_rate: 0,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0,
  hidden_size: 384,
  image_size: 518,
  initializer_range: 0.02,
  layer_norm_eps: 1e-6,
  layerscale_value: 1,
  mlp_ratio: 4,
  model_type: 'dinov2',
  num_attention_heads: 6,
  num_channels: 3,
  num_hidden_layers: 12,
  patch_size: 14,
  qkv_bias: true,
  torch_dtype: 'float32',
  use_swiglu_ffn: false,
};

const TINY = vitConfig({ hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2, patchSize: 2, imageSize: 8 });

describe('ViT config', () => {
  it('reads the HF dinov2-small config.json as DINOV2_SMALL and writes it back', () => {
    expect(vitConfigFromHF(DINOV2_SMALL_HF)).toEqual(DINOV2_SMALL);
    expect(vitConfigFromHF(JSON.stringify(vitConfigToHF(DINOV2_SMALL)))).toEqual(DINOV2_SMALL);
    const reg = vitConfigFromHF({ ...DINOV2_SMALL_HF, model_type: 'dinov2_with_registers', num_register_tokens: 4 });
    expect([reg.numRegisterTokens, reg.interpolateAntialias]).toEqual([4, true]);
    expect(mlpHiddenSize(vitConfig({ hiddenSize: 1536, useSwigluFfn: true }))).toBe(4096); // dinov2-giant
    expect(() => vitConfigFromHF({ model_type: 'vit' })).toThrow("vitConfigFromHF: model_type 'vit' is not 'dinov2' or 'dinov2_with_registers'");
    expect(() => vitConfig({ hiddenSize: 10, numAttentionHeads: 4 })).toThrow('vitConfig: hiddenSize 10 is not a multiple of numAttentionHeads 4');
  });

  it('has exactly the HF Dinov2Model parameter names and shapes (docs/method.md 3.3)', () => {
    const m = new Dinov2Model({ ...DINOV2_SMALL, numHiddenLayers: 1 }, { generator: new Generator(0) });
    const shapes = Object.fromEntries([...m.stateDict()].map(([k, t]) => [k, t.shape]));
    expect(shapes).toEqual({
      'embeddings.cls_token': [1, 1, 384],
      'embeddings.mask_token': [1, 384],
      'embeddings.position_embeddings': [1, 1370, 384],
      'embeddings.patch_embeddings.projection.weight': [384, 3, 14, 14],
      'embeddings.patch_embeddings.projection.bias': [384],
      'encoder.layer.0.norm1.weight': [384],
      'encoder.layer.0.norm1.bias': [384],
      'encoder.layer.0.attention.attention.query.weight': [384, 384],
      'encoder.layer.0.attention.attention.query.bias': [384],
      'encoder.layer.0.attention.attention.key.weight': [384, 384],
      'encoder.layer.0.attention.attention.key.bias': [384],
      'encoder.layer.0.attention.attention.value.weight': [384, 384],
      'encoder.layer.0.attention.attention.value.bias': [384],
      'encoder.layer.0.attention.output.dense.weight': [384, 384],
      'encoder.layer.0.attention.output.dense.bias': [384],
      'encoder.layer.0.layer_scale1.lambda1': [384],
      'encoder.layer.0.norm2.weight': [384],
      'encoder.layer.0.norm2.bias': [384],
      'encoder.layer.0.mlp.fc1.weight': [1536, 384],
      'encoder.layer.0.mlp.fc1.bias': [1536],
      'encoder.layer.0.mlp.fc2.weight': [384, 1536],
      'encoder.layer.0.mlp.fc2.bias': [384],
      'encoder.layer.0.layer_scale2.lambda1': [384],
      'layernorm.weight': [384],
      'layernorm.bias': [384],
    });
    // 12 layers: 22,056,576 parameters (docs/method.md 3.2)
    const embeddings = 384 + 384 + 1370 * 384 + 384 * 3 * 14 * 14 + 384;
    const layer = 2 * 768 + 4 * (384 * 384 + 384) + 2 * 384 + (1536 * 384 + 1536) + (384 * 1536 + 384);
    expect(m.numParameters()).toBe(embeddings + layer + 768);
    expect(embeddings + 12 * layer + 768).toBe(22_056_576);
    m.dispose();
  });

  it('SwiGLU and register variants use HF names and shapes', () => {
    const m = new Dinov2Model({ ...TINY, useSwigluFfn: true, numRegisterTokens: 3, interpolateAntialias: true, numHiddenLayers: 1 });
    const sd = m.stateDict();
    expect(sd.get('embeddings.register_tokens')!.shape).toEqual([1, 3, 8]);
    expect(sd.get('encoder.layer.0.mlp.weights_in.weight')!.shape).toEqual([2 * 24, 8]); // (int(32 * 2/3) + 7) // 8 * 8 = 24
    expect(sd.get('encoder.layer.0.mlp.weights_out.weight')!.shape).toEqual([8, 24]);
    expect(sd.has('encoder.layer.0.mlp.fc1.weight')).toBe(false);
  });
});

describe('ViT forward', () => {
  it('gives [B, 1 + R + N, D] hidden states and [B, N, D] patch tokens, interpolating positions to the input grid', () => {
    const gen = new Generator(1);
    const m = new Dinov2Model({ ...TINY, numRegisterTokens: 2 }, { generator: gen });
    const x = randn([2, 3, 8, 8], { generator: gen });
    expect(m.forward(x).shape).toEqual([2, 1 + 2 + 16, 8]);
    expect(m.patchTokens(x).shape).toEqual([2, 16, 8]);
    // another grid: 12x6 image -> 6x3 tokens (positions interpolated from the stored 4x4)
    expect(m.patchTokens(randn([1, 3, 12, 6], { generator: gen })).shape).toEqual([1, 18, 8]);
    // conv semantics: a 9x9 image uses the first 8x8 pixels
    const x9 = randn([1, 3, 9, 9], { generator: gen });
    const x8 = x9.narrow(2, 0, 8).narrow(3, 0, 8).contiguous();
    expect(Array.from(m.patchTokens(x9).dataSync())).toEqual(Array.from(m.patchTokens(x8).dataSync()));
    expect(() => m.forward(randn([1, 1, 8, 8]))).toThrow('Dinov2Model.forward: expected pixels [B, 3, H, W], got [1,1,8,8]');
  });

  it('final tokens are LayerNorm outputs and patch tokens are batch independent', () => {
    const gen = new Generator(2);
    const m = new Dinov2Model(TINY, { generator: gen });
    const x = randn([3, 3, 8, 8], { generator: gen });
    const all = m.patchTokens(x).dataSync();
    const one = m.patchTokens(x.narrow(0, 1, 1).contiguous()).dataSync();
    Array.from(one).forEach((v, i) => expect(v).toBeCloseTo(all[16 * 8 + i]!, 5));
    // layernorm weight 1, bias 0 at init: each token has mean 0 and variance 1 - eps-ish
    const t = Array.from(all.subarray(0, 8));
    const mean = t.reduce((a, b) => a + b, 0) / 8;
    expect(mean).toBeCloseTo(0, 5);
    expect(t.reduce((a, b) => a + (b - mean) ** 2, 0) / 8).toBeCloseTo(1, 3);
  });

  it('trains: gradients reach every parameter, and memory stays flat', () => {
    const gen = new Generator(3);
    const m = new Dinov2Model({ ...TINY, numRegisterTokens: 1 }, { generator: gen });
    const x = randn([2, 3, 8, 8], { generator: gen });
    const base = memory().tensors;
    for (let s = 0; s < 2; s++) {
      m.zeroGrad();
      const loss = tidy(() => m.patchTokens(x).square().mean());
      loss.backward();
      loss.dispose();
    }
    for (const [name, p] of m.namedParameters()) {
      if (name === 'embeddings.mask_token') continue; // unused at inference, as in HF
      expect(p.grad, name).toBeTruthy();
    }
    const grads = m.parameters().filter((p) => p.grad).length;
    expect(memory().tensors).toBe(base + grads);
    const f = noGrad(() => m.patchTokens(x));
    expect(f.requiresGrad).toBe(false);
  });
});

describe('HF-layout safetensors', () => {
  it('a random tiny model saved in the HF layout loads and gives the same features', async () => {
    const gen = new Generator(4);
    const m = randomDinov2({ ...TINY, numRegisterTokens: 2, interpolateAntialias: true }, gen);
    const x = randn([2, 3, 10, 6], { generator: gen });
    const before = m.patchTokens(x).dataSync();
    const bytes = await dinov2ToSafetensors(m);
    const file = parseSafetensors(bytes);
    expect(file.names().sort()).toEqual([...m.stateDict().keys()].sort());
    const loaded = await loadDinov2(bytes);
    expect(loaded.config).toEqual(m.config);
    expect(Array.from(loaded.patchTokens(x).dataSync())).toEqual(Array.from(before));
    // also from an explicit HF config.json, and under the 'dinov2.' prefix of classification models
    const entries: Record<string, TensorEntry> = {};
    for (const [k, t] of m.stateDict()) entries[`dinov2.${k}`] = { dtype: 'F32', shape: [...t.shape], data: t.dataSync() as Float32Array };
    entries['classifier.weight'] = { dtype: 'F32', shape: [2, 16], data: new Float32Array(32) };
    const prefixed = await loadDinov2(serializeSafetensors(entries), { hfConfig: vitConfigToHF(m.config) });
    expect(Array.from(prefixed.patchTokens(x).dataSync())).toEqual(Array.from(before));
  });

  it('rejects a checkpoint with a missing or mis-shaped tensor, by name', async () => {
    const m = new Dinov2Model(TINY, { generator: new Generator(5) });
    const entries: Record<string, TensorEntry> = {};
    for (const [k, t] of m.stateDict()) entries[k] = { dtype: 'F32', shape: [...t.shape], data: t.dataSync() as Float32Array };
    const hf = vitConfigToHF(TINY);
    const missing = { ...entries };
    delete missing['encoder.layer.1.mlp.fc2.bias'];
    await expect(loadDinov2(serializeSafetensors(missing), { hfConfig: hf })).rejects.toThrow(StateDictError);
    await expect(loadDinov2(serializeSafetensors(missing), { hfConfig: hf })).rejects.toThrow('missing keys [encoder.layer.1.mlp.fc2.bias]');
    const bad = { ...entries, 'encoder.layer.0.attention.attention.key.weight': { dtype: 'F32' as const, shape: [8, 4], data: new Float32Array(32) } };
    await expect(loadDinov2(serializeSafetensors(bad), { hfConfig: hf })).rejects.toThrow(
      'shape mismatches [encoder.layer.0.attention.attention.key.weight: module [8,8] vs state dict [8,4]]',
    );
    const extra = { ...entries, 'embeddings.register_tokens': { dtype: 'F32' as const, shape: [1, 4, 8], data: new Float32Array(32) } };
    await expect(loadDinov2(serializeSafetensors(extra), { hfConfig: hf })).rejects.toThrow('unexpected keys [embeddings.register_tokens]');
    await expect(loadDinov2(serializeSafetensors(entries))).rejects.toThrow('loadDinov2: no config');
  });
});

describe('shapes-world default config (docs/method.md 14)', () => {
  it('patch 4, d_v 64, 4 layers, 4 heads: 32x32 -> [B, 64, 64]', () => {
    const m = new Dinov2Model(SHAPES_VIT_TINY, { generator: new Generator(6) });
    expect(m.patchTokens(randn([1, 3, 32, 32])).shape).toEqual([1, 64, 64]);
    expect(m.grid(32, 32)).toEqual({ height: 8, width: 8 });
  });
});
