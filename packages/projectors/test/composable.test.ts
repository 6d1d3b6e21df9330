/**
 * The projectors run their submodules: a `LoRALinear` put in place of one of the input projector's
 * Linears (registered as `'0'`, `'2'`, ...) or of an invert-projector head's Linear is used.
 */
import { describe, expect, it } from 'vitest';
import { Generator, noGrad, randn, type Tensor } from '@unihetero/tensor';
import { LoRALinear, type Linear } from '@unihetero/nn';
import { InputProjector, createInvertProjector, type MlpCosProjector } from '../src/index.js';

const maxDiff = (a: Tensor, b: number[]) => Math.max(...Array.from(a.dataSync()).map((v, i) => Math.abs(v - b[i]!)));

describe('replacing a Linear of a projector', () => {
  it("InputProjector '2': the replacement is called (forward and the variants' feedback)", () => {
    const P = new InputProjector(3, 4, { generator: new Generator(1) });
    const G = createInvertProjector('mlp-cos', { llmDim: 4, featureDim: 3, inputProjector: P, generator: new Generator(2) });
    const f = randn([2, 5, 3], { generator: new Generator(3) });
    const before = Array.from(noGrad(() => P.call(f)).dataSync());
    const feedback = Array.from(noGrad(() => G.feedback(f)).dataSync());
    const lora = new LoRALinear(P.linears[1] as Linear, { rank: 2, generator: new Generator(4) });
    P.registerModule('2', lora);
    expect(maxDiff(noGrad(() => P.call(f)), before)).toBe(0);
    noGrad(() => lora.lora_B.weight.assign(randn([4, 2], { generator: new Generator(5) })));
    expect(maxDiff(noGrad(() => P.call(f)), before)).toBeGreaterThan(1e-3);
    expect(maxDiff(noGrad(() => G.feedback(f)), feedback)).toBeGreaterThan(1e-3);
    expect(P.namedParameters().map(([k]) => k)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias', '2.lora_A.weight', '2.lora_B.weight']);
  });

  it('mlp-cos head.layers.0: the replacement is called by predict', () => {
    const P = new InputProjector(3, 4, { generator: new Generator(1) });
    const G = createInvertProjector('mlp-cos', { llmDim: 4, featureDim: 3, inputProjector: P, generator: new Generator(2) }) as MlpCosProjector;
    const z = randn([6, 4], { generator: new Generator(6) });
    const before = Array.from(noGrad(() => G.predict(z)).dataSync());
    const lora = new LoRALinear(G.head.layers.at(0), { rank: 1, generator: new Generator(7) });
    G.head.layers.set(0, lora);
    noGrad(() => lora.lora_B.weight.assign(randn([4, 1], { generator: new Generator(8) })));
    expect(maxDiff(noGrad(() => G.predict(z)), before)).toBeGreaterThan(1e-3);
  });
});
