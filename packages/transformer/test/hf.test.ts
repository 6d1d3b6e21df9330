import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { noGrad } from '@unihetero/tensor';
import { loadSafetensors, saveSafetensors, stateDictToSafetensors } from '@unihetero/nn';
import { TransformerLM, configFromHF, configToHF, defineConfig, llamaIntermediateSize, loadHFPretrained, loadHFWeights, saveHFPretrained } from '../src/index';
import { ids, tinyConfig, tinyModel } from './helpers';

const logitsOf = (m: TransformerLM) => noGrad(() => Array.from(m.forward({ inputIds: ids([[1, 2, 3, 4, 5]]), attention: { spans: [[1, 3]] }, returnLogits: true }).logits!.dataSync()));

describe('Hugging Face layout', () => {
  it('round-trips a random tiny model through safetensors + config.json: same logits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'unihetero-transformer-'));
    try {
      for (const over of [{ qkNorm: 'none' as const }, { qkNorm: 'layernorm-per-head' as const, numKeyValueHeads: 2 }, { tieWordEmbeddings: true }]) {
        const m = tinyModel(over, 3);
        const sub = join(dir, JSON.stringify(over).replace(/\W/g, ''));
        await saveHFPretrained(sub, m);
        const cfg = JSON.parse(readFileSync(join(sub, 'config.json'), 'utf8'));
        expect(cfg.model_type).toBe(over.qkNorm === 'layernorm-per-head' ? 'chameleon' : 'llama');
        const back = await loadHFPretrained(sub);
        expect(back.config).toEqual(m.config);
        expect(logitsOf(back)).toEqual(logitsOf(m));
        m.dispose();
        back.dispose();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads with plain loadStateDict / loadSafetensors, skips inv_freq and a tied lm_head, and reports mismatches', async () => {
    const src = tinyModel({ qkNorm: 'none' }, 1);
    const dst = tinyModel({ qkNorm: 'none' }, 2);
    dst.loadStateDict(src.stateDict());
    expect(logitsOf(dst)).toEqual(logitsOf(src));
    const bytes = await stateDictToSafetensors(src);
    const dst2 = tinyModel({ qkNorm: 'none' }, 4);
    await loadSafetensors(dst2, bytes);
    expect(logitsOf(dst2)).toEqual(logitsOf(src));
    // A tied model reading an untied file (lm_head.weight present) skips the head.
    const tied = tinyModel({ qkNorm: 'none', tieWordEmbeddings: true }, 5);
    await loadHFWeights(tied, bytes);
    expect(Array.from(tied.model.embed_tokens.weight.dataSync())).toEqual(Array.from(src.model.embed_tokens.weight.dataSync()));
    const other = tinyModel({ qkNorm: 'layernorm-shared' }, 1);
    await expect(loadHFWeights(other, bytes)).rejects.toThrow('missing keys [model.layers.0.self_attn.q_norm.weight');
    const dir = mkdtempSync(join(tmpdir(), 'unihetero-transformer-'));
    try {
      await saveSafetensors(join(dir, 'w.safetensors'), src);
      await loadHFWeights(dst2, join(dir, 'w.safetensors'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    for (const m of [src, dst, dst2, tied, other]) m.dispose();
  });
});

describe('configs', () => {
  it('reads a Llama-2-7B config.json', () => {
    const c = configFromHF({
      architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 4096, intermediate_size: 11008, num_attention_heads: 32, num_hidden_layers: 32,
      num_key_value_heads: 32, rms_norm_eps: 1e-5, rope_theta: 10000.0, vocab_size: 32000, tie_word_embeddings: false, max_position_embeddings: 4096, hidden_act: 'silu', rope_scaling: null,
    });
    expect(c).toMatchObject({ hiddenSize: 4096, headDim: 128, numKeyValueHeads: 32, qkNorm: 'none', rmsNormEps: 1e-5, maxPositionEmbeddings: 4096, tieWordEmbeddings: false });
    expect(configFromHF({ model_type: 'chameleon', hidden_size: 64, intermediate_size: 96, num_attention_heads: 4, num_hidden_layers: 1, vocab_size: 10 }).qkNorm).toBe('layernorm-per-head');
    expect(configFromHF(configToHF(tinyConfig({ qkNorm: 'layernorm-shared', zLossWeight: 1e-4 })))).toEqual(tinyConfig({ qkNorm: 'layernorm-shared', zLossWeight: 1e-4 }));
  });

  it('rejects bad or unsupported configs with the field named', () => {
    const base = { hidden_size: 64, intermediate_size: 96, num_attention_heads: 4, num_hidden_layers: 1, vocab_size: 10 };
    expect(() => configFromHF({ ...base, vocab_size: undefined })).toThrow("configFromHF: config.json lacks the required field 'vocab_size'");
    expect(() => configFromHF({ ...base, hidden_size: '64' })).toThrow("field 'hidden_size' must be a number, got \"64\"");
    expect(() => configFromHF({ ...base, rope_scaling: { type: 'linear', factor: 2 } })).toThrow('rope_scaling {"type":"linear","factor":2} is not supported');
    expect(() => configFromHF({ ...base, model_type: 'gpt2' })).toThrow("model_type 'gpt2' is not supported");
    expect(() => configFromHF({ ...base, num_key_value_heads: 3 })).toThrow('configFromHF: defineConfig: numKeyValueHeads 3 must divide numAttentionHeads 4');
    expect(() => defineConfig({ vocabSize: 10, hiddenSize: 30, numHiddenLayers: 1, numAttentionHeads: 4 })).toThrow('hiddenSize 30 is not divisible by numAttentionHeads 4');
    expect(() => defineConfig({ vocabSize: 10, hiddenSize: 12, numHiddenLayers: 1, numAttentionHeads: 4 })).toThrow('headDim 3 must be even for RoPE');
    expect(() => defineConfig({ vocabSize: 10, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 4, qkNorm: 'rms' as never })).toThrow("qkNorm must be one of none, layernorm-shared, layernorm-per-head, got 'rms'");
    expect(() => defineConfig({ vocabSize: 10, hiddenSize: 16, numHiddenLayers: 0, numAttentionHeads: 4 })).toThrow('numHiddenLayers must be a positive integer, got 0');
    expect(() => defineConfig({ vocabSize: 10, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 4, hidden: 3 } as never)).toThrow("unknown field 'hidden'");
  });

  it('has the Llama SwiGLU size rule and the documented defaults', () => {
    expect(llamaIntermediateSize(4096, 256)).toBe(11008);
    expect(llamaIntermediateSize(256)).toBe(704);
    expect(llamaIntermediateSize(128)).toBe(352);
    expect(defineConfig({ vocabSize: 10, hiddenSize: 256, numHiddenLayers: 1, numAttentionHeads: 4 })).toEqual({
      vocabSize: 10, hiddenSize: 256, intermediateSize: 704, numHiddenLayers: 1, numAttentionHeads: 4, numKeyValueHeads: 4, headDim: 64, rmsNormEps: 1e-5, ropeTheta: 10000,
      maxPositionEmbeddings: 2048, tieWordEmbeddings: false, qkNorm: 'layernorm-shared', qkNormEps: 1e-5, zLossWeight: 1e-5, initializerRange: 0.02,
    });
  });
});
