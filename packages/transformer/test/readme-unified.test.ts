/**
 * The README's "Assemble your own unified model" example, as written there (keep the two in sync):
 * backbone + input projector + invert-projector + flow head in one plain-field module, trained a
 * few steps; the loss falls and memory stays flat.
 */
import { expect, it } from 'vitest';
import { Generator, Tensor, concat, memory, randint, randn, tensor, tidy, where } from '@unihetero/tensor';
import { AdamW, Module, parameter } from '@unihetero/nn';
import { TransformerLM, textLoss } from '../src/index';
import { InputProjector, createInvertProjector } from '@unihetero/projectors';
import { FlowHead, flowMatchingLoss } from '@unihetero/flow';

const gen = new Generator(0);
const [d, dv, C] = [32, 16, 12]; // LLM width, semantic-feature width, pixel-latent channels

class MyUnifiedModel extends Module {
  lm = new TransformerLM({ vocabSize: 64, hiddenSize: d, numHiddenLayers: 2, numAttentionHeads: 4 }, { generator: gen });
  projector = new InputProjector(dv, d, { generator: gen }); // semantic features -> LLM inputs
  invert = createInvertProjector('ema-mlp-llm-cos', { llmDim: d, featureDim: dv, inputProjector: this.projector, generator: gen });
  flow = new FlowHead({ tokenDim: C, conditionDim: d, width: 32, depth: 2 }, { generator: gen });
  maskEmbedding = parameter(randn([d], { generator: gen }).mul(0.02));

  /** A generation sample: text `ids [B, T]`, then an image span of `N` tokens, `masked [N]` (1 = masked). */
  override forward(ids: Tensor, features: Tensor, latents: Tensor, masked: Tensor) {
    const [B, T] = ids.shape as [number, number];
    const N = features.shape[1]!;
    const visual = where(masked.reshape(1, N, 1), this.maskEmbedding, this.projector.call(features));
    const inputs = concat([this.lm.model.embed_tokens.call(ids), visual], 1);
    const h = this.lm.model.call({ inputsEmbeds: inputs, attention: { spans: [[T, T + N]] } });
    const text = textLoss(this.lm.logits(h.narrow(1, 0, T)), ids).loss;
    const z = h.narrow(1, T, N).reshape(B * N, d); // last hidden states of the span
    const m = masked.reshape(1, N).expand(B, N).reshape(B * N);
    const ploss = this.invert.loss(this.invert.predict(z), this.invert.target(features.reshape(B * N, dv)), m);
    const diffuloss = flowMatchingLoss(this.flow, latents.reshape(B * N, C), z, { mask: m, generator: gen });
    return { total: text.add(ploss.mul(10)).add(diffuloss.mul(10)), text, ploss, diffuloss };
  }
}


it('assembles and trains a custom unified model with no dispose() in the model and no registerModule', async () => {
  const model = new MyUnifiedModel();
  expect(model.namedChildren().map(([n]) => n)).toEqual(['lm', 'projector', 'invert', 'flow']);
  expect(model.namedParameters().map(([n]) => n)).toContain('maskEmbedding');
  const opt = new AdamW(model.parameters(), { lr: 3e-3 });
  const ids = randint(0, 64, [2, 6], { generator: gen, dtype: 'int32' });
  const [features, latents] = [randn([2, 8, dv], { generator: gen }), randn([2, 8, C], { generator: gen })];
  const masked = tensor([1, 0, 1, 1, 0, 1, 1, 0], { dtype: 'int32' });
  const losses: number[] = [];
  let base = memory();
  for (let step = 0; step < 30; step++) {
    const loss = tidy(() => {
      opt.zeroGrad();
      const { total } = model.call(ids, features, latents, masked); // intermediates freed
      total.backward();
      opt.step();
      model.invert.afterOptimizerStep(); // the EMA target of ema-mlp-llm-cos
      return total;
    });
    losses.push(await loss.item());
    loss.dispose(); // the one tensor this loop keeps across an await
    if (step === 0) base = memory();
  }
  expect(memory().tensors).toBe(base.tensors);
  expect(losses.at(-1)!).toBeLessThan(0.8 * losses[0]!);
  for (const t of [ids, features, latents, masked]) t.dispose();
  opt.dispose();
  model.dispose();
});
