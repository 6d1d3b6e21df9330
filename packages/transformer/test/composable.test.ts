/**
 * Composite modules run their submodules: a `LoRALinear` put in place of a Linear (nn's
 * `applyLoRA`, by dotted path) anywhere in the decoder, the flow head, the ViT or the projectors
 * leaves the output unchanged while its update is zero and moves it once the update is non-zero.
 */
import { describe, expect, it } from 'vitest';
import { Generator, noGrad, randn, type Tensor } from '@unihetero/tensor';
import { applyLoRA, type Module } from '@unihetero/nn';
import { FlowHead } from '@unihetero/flow';
import { Dinov2Model, vitConfig } from '@unihetero/vision';
import { InputProjector, createInvertProjector } from '@unihetero/projectors';
import { ids, maxDiff, tinyModel } from './helpers';

const gen = (seed: number) => new Generator(seed);
/** The flow head with every parameter random (its zero-initialised output layers would hide any change). */
function randomFlowHead(): FlowHead {
  const head = new FlowHead({ tokenDim: 3, conditionDim: 4, width: 8, depth: 2 }, { generator: gen(3) });
  noGrad(() => head.parameters().forEach((p) => p.assign(randn([...p.shape], { generator: gen(4) }).mul(0.5))));
  return head;
}
const projectors = () => {
  const P = new InputProjector(3, 4, { generator: gen(1) });
  return { P, G: createInvertProjector('mlp-cos', { llmDim: 4, featureDim: 3, inputProjector: P, generator: gen(2) }) };
};

/** [what, a fresh model, its output, the dotted paths of Linears to replace]. */
const CASES: [string, () => Module, (m: never) => Tensor, string[]][] = [
  [
    'TransformerLM',
    () => tinyModel({ qkNorm: 'layernorm-shared' }, 3),
    (m: ReturnType<typeof tinyModel>) => m.call({ inputIds: ids([[1, 2, 3, 4, 5, 6]]), attention: { spans: [[1, 3]] }, returnLogits: true }).logits!,
    ['model.layers.0.self_attn.q_proj', 'model.layers.1.self_attn.v_proj', 'model.layers.0.self_attn.o_proj', 'model.layers.1.mlp.gate_proj', 'model.layers.0.mlp.down_proj', 'lm_head'],
  ],
  ['FlowHead', randomFlowHead, (m: FlowHead) => m.call(randn([5, 3], { generator: gen(1) }), 0.4, randn([5, 4], { generator: gen(2) })), ['cond_embed', 'res_blocks.1.adaLN_modulation.1', 'res_blocks.0.mlp.2', 'final_layer.linear']],
  [
    'Dinov2Model',
    () => new Dinov2Model(vitConfig({ hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2, patchSize: 4, imageSize: 8 }), { generator: gen(2) }),
    (m: Dinov2Model) => m.call(randn([1, 3, 8, 8], { generator: gen(1) })),
    ['encoder.layer.0.attention.attention.query', 'encoder.layer.1.attention.output.dense', 'encoder.layer.0.mlp.fc1'],
  ],
  ['InputProjector', () => projectors().P, (m: InputProjector) => m.call(randn([2, 5, 3], { generator: gen(3) })), ['0', '2']],
  ['invert-projector mlp-cos', () => projectors().G, (m: ReturnType<typeof projectors>['G']) => m.predict(randn([6, 4], { generator: gen(6) })), ['head.layers.0', 'head.layers.1']],
];

describe('a LoRALinear put in place of a Linear is called', () => {
  for (const [what, make, run, paths] of CASES) {
    for (const path of paths) {
      it(`${what} ${path}`, () => {
        const m = make();
        const out = () => noGrad(() => Array.from((run as (m: Module) => Tensor)(m).dataSync()));
        const before = out();
        const lora = applyLoRA(m, [path], { rank: 2, generator: gen(5) }).get(path)!;
        expect(maxDiff(out(), before)).toBe(0); // the update starts at zero
        // (random, not constant: a constant shift of a query or key row would vanish in the qk-norm)
        noGrad(() => lora.lora_B.weight.assign(randn([...lora.lora_B.weight.shape], { generator: gen(6) })));
        expect(maxDiff(out(), before)).toBeGreaterThan(1e-3);
        expect(m.namedParameters().map(([k]) => k)).toContain(`${path}.lora_B.weight`);
        m.dispose();
      });
    }
  }
});
