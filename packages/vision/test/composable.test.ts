/**
 * The ViT runs its submodules: a `LoRALinear` put in place of an attention projection or an MLP
 * Linear is used (the output moves once its update is non-zero and stays put while it is zero).
 */
import { describe, expect, it } from 'vitest';
import { Generator, noGrad, randn } from '@unihetero/tensor';
import { LoRALinear, type Linear } from '@unihetero/nn';
import { Dinov2Model, vitConfig } from '../src/index';

const x = randn([1, 3, 8, 8], { generator: new Generator(1) });
const out = (m: Dinov2Model) => noGrad(() => Array.from(m.call(x).dataSync()));
const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

const SITES: [string, (m: Dinov2Model, wrap: (l: Linear) => LoRALinear) => LoRALinear][] = [
  ['encoder.layer.0.attention.attention.query', (m, wrap) => (m.encoder.layer.at(0).attention.attention.query = wrap(m.encoder.layer.at(0).attention.attention.query))],
  ['encoder.layer.1.attention.output.dense', (m, wrap) => (m.encoder.layer.at(1).attention.output.dense = wrap(m.encoder.layer.at(1).attention.output.dense))],
  [
    'encoder.layer.0.mlp.fc1',
    (m, wrap) => {
      const mlp = m.encoder.layer.at(0).mlp as { fc1: Linear };
      return (mlp.fc1 = wrap(mlp.fc1));
    },
  ],
];

describe('replacing a Linear of the ViT', () => {
  for (const [name, replace] of SITES) {
    it(`${name}: the replacement is called`, () => {
      const m = new Dinov2Model(vitConfig({ hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2, patchSize: 4, imageSize: 8 }), { generator: new Generator(2) });
      const before = out(m);
      const lora = replace(m, (l) => new LoRALinear(l, { rank: 2, generator: new Generator(3) }));
      expect(maxDiff(out(m), before)).toBe(0);
      noGrad(() => lora.lora_B.weight.assign(randn([...lora.lora_B.weight.shape], { generator: new Generator(4) })));
      expect(maxDiff(out(m), before)).toBeGreaterThan(1e-3);
      expect(m.namedParameters().map(([k]) => k)).toContain(`${name}.lora_B.weight`);
      m.dispose();
    });
  }
});
