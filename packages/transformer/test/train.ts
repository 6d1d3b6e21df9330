/** The overfitting run shared by the CPU and WebGPU tests. */
import { Generator, tensor, tidy, type Backend } from '@unihetero/tensor';
import { AdamW } from '@unihetero/nn';
import { TransformerLM } from '../src/index';

/** Four sequences of a tiny language (vocabulary 16); one image-like span in each. */
export const CORPUS = [
  [1, 4, 5, 6, 7, 2, 9, 3],
  [1, 8, 5, 6, 10, 2, 11, 3],
  [1, 4, 12, 13, 7, 2, 14, 3],
  [1, 8, 12, 13, 10, 2, 15, 3],
];

/** Train a tiny model for `steps` AdamW steps; returns the losses and memory bookkeeping. */
export async function overfit(steps: number, backend?: Backend, width = 32): Promise<{ losses: number[]; model: TransformerLM }> {
  const model = new TransformerLM(
    { vocabSize: 16, hiddenSize: width, intermediateSize: 2 * width, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, initializerRange: 0.1 },
    { generator: new Generator(0), backend },
  );
  const opt = new AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0 });
  const x = tensor(CORPUS, { dtype: 'int32', backend });
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    const loss = tidy(() => model.computeLoss({ inputIds: x, labels: x, attention: { spans: [[2, 4]] } }).loss);
    loss.backward();
    opt.step();
    losses.push(await loss.item());
    loss.dispose();
  }
  x.dispose();
  opt.dispose();
  return { losses, model };
}
