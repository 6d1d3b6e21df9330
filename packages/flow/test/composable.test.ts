/**
 * The head runs its submodules: a `LoRALinear` put in place of the condition projection, a block's
 * adaLN modulation Linear or the output Linear is used (the output moves once the update is
 * non-zero and stays put while it is zero).
 */
import { describe, expect, it } from 'vitest';
import { Generator, noGrad, randn } from '@unihetero/tensor';
import { LoRALinear, Sequential, SiLU, type Linear } from '@unihetero/nn';
import { FlowHead } from '../src/index.js';

const x = randn([5, 3], { generator: new Generator(1) });
const c = randn([5, 4], { generator: new Generator(2) });

/** A head with every parameter random (the zero-initialised output layers would hide any change). */
function randomHead(): FlowHead {
  const head = new FlowHead({ tokenDim: 3, conditionDim: 4, width: 8, depth: 2 }, { generator: new Generator(3) });
  const g = new Generator(4);
  noGrad(() => head.parameters().forEach((p) => p.assign(randn([...p.shape], { generator: g }).mul(0.5))));
  return head;
}

const out = (head: FlowHead) => noGrad(() => Array.from(head.call(x, 0.4, c).dataSync()));
const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

const SITES: [string, (h: FlowHead, wrap: (l: Linear) => LoRALinear) => LoRALinear][] = [
  ['cond_embed', (h, wrap) => (h.cond_embed = wrap(h.cond_embed))],
  [
    'res_blocks.1.adaLN_modulation.1',
    (h, wrap) => {
      const block = h.res_blocks.at(1);
      const lora = wrap(block.adaLN_modulation.at(1) as Linear);
      block.adaLN_modulation = new Sequential(new SiLU(), lora);
      return lora;
    },
  ],
  ['final_layer.linear', (h, wrap) => (h.final_layer.linear = wrap(h.final_layer.linear))],
];

describe('replacing a Linear of the flow head', () => {
  for (const [name, replace] of SITES) {
    it(`${name}: the replacement is called`, () => {
      const head = randomHead();
      const before = out(head);
      const lora = replace(head, (l) => new LoRALinear(l, { rank: 2, generator: new Generator(5) }));
      expect(maxDiff(out(head), before)).toBe(0);
      noGrad(() => lora.lora_B.weight.assign(randn([...lora.lora_B.weight.shape], { generator: new Generator(6) })));
      expect(maxDiff(out(head), before)).toBeGreaterThan(1e-3);
      expect(head.namedParameters().map(([k]) => k)).toContain(`${name}.lora_A.weight`);
      head.dispose();
    });
  }
});
