/**
 * Every projection of the decoder runs its submodule: a `LoRALinear` put in place of any Linear
 * (attention, MLP, LM head) changes the logits once its update is non-zero, and leaves them
 * unchanged while it is zero.
 */
import { describe, expect, it } from 'vitest';
import { Generator, noGrad, randn, type Tensor } from '@unihetero/tensor';
import { LoRALinear, type Linear } from '@unihetero/nn';
import type { TransformerLM } from '../src/index';
import { ids, maxDiff, tinyModel } from './helpers';

const x = ids([[1, 2, 3, 4, 5, 6]]);
const logits = (m: TransformerLM) => noGrad(() => Array.from(m.call({ inputIds: x, attention: { spans: [[1, 3]] }, returnLogits: true }).logits!.dataSync()));

/** Replace the Linear at `get(m)` with a LoRALinear through `set`, returning it. */
type Site = [string, (m: TransformerLM) => Linear, (m: TransformerLM, l: Linear) => void];
const SITES: Site[] = [
  ['self_attn.q_proj', (m) => m.model.layers.at(0).self_attn.q_proj, (m, l) => (m.model.layers.at(0).self_attn.q_proj = l)],
  ['self_attn.v_proj', (m) => m.model.layers.at(1).self_attn.v_proj, (m, l) => (m.model.layers.at(1).self_attn.v_proj = l)],
  ['self_attn.o_proj', (m) => m.model.layers.at(0).self_attn.o_proj, (m, l) => (m.model.layers.at(0).self_attn.o_proj = l)],
  ['mlp.gate_proj', (m) => m.model.layers.at(1).mlp.gate_proj, (m, l) => (m.model.layers.at(1).mlp.gate_proj = l)],
  ['mlp.down_proj', (m) => m.model.layers.at(0).mlp.down_proj, (m, l) => (m.model.layers.at(0).mlp.down_proj = l)],
  ['lm_head', (m) => m.lm_head!, (m, l) => (m.lm_head = l)],
];

describe('replacing a Linear of the decoder', () => {
  for (const [name, get, set] of SITES) {
    it(`${name}: the replacement is called`, () => {
      const m = tinyModel({ qkNorm: 'layernorm-shared' }, 3);
      const before = logits(m);
      const lora = new LoRALinear(get(m), { rank: 2, generator: new Generator(4) });
      set(m, lora);
      expect(maxDiff(logits(m), before)).toBe(0);
      // (random, not constant: a constant row shift of q or k would vanish in the qk-norm)
      noGrad(() => lora.lora_B.weight.assign(randn([...lora.lora_B.weight.shape], { generator: new Generator(5) })));
      expect(maxDiff(logits(m), before)).toBeGreaterThan(1e-3);
      const trainable = m.namedParameters().filter(([, p]: [string, Tensor]) => p.requiresGrad).map(([k]) => k);
      expect(trainable.filter((k) => k.includes('lora_'))).toHaveLength(2);
      m.dispose();
    });
  }
});
