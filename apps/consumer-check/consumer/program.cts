// A user's CommonJS program: every package loads through require() (one copy of the tensor
// runtime, the CJS build), and a backbone with an input projector and a flow head trains two
// steps on packed sequences, then round-trips its weights through a .safetensors file.
import { strict as assert } from 'node:assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tensorPkg from '@unihetero/tensor';
import * as webgpu from '@unihetero/webgpu';
import * as safetensors from '@unihetero/safetensors';
import * as nn from '@unihetero/nn';
import * as transformer from '@unihetero/transformer';
import * as projectors from '@unihetero/projectors';
import * as masking from '@unihetero/masking';
import * as flow from '@unihetero/flow';
import * as vision from '@unihetero/vision';
import * as data from '@unihetero/data';
import * as model from '@unihetero/model';

const { Generator, randn, tidy } = tensorPkg;

async function main(): Promise<void> {
  const loaded = [webgpu.createBackend, safetensors.parseSafetensors, nn.AdamW, transformer.packSequences, projectors.InputProjector, masking.gaussian, flow.FlowHead, vision.PatchifyEncoder, data.ShapesWorld, model.UniHetero];
  assert.ok(loaded.every((f) => typeof f === 'function'));
  assert.equal(tensorPkg.TENSOR_PACKAGE.format, 'cjs');

  const gen = new Generator(0);
  const lm = new transformer.TransformerLM({ vocabSize: 12, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2 }, { generator: gen });
  const projector = new projectors.InputProjector(8, 16, { generator: gen });
  const head = new flow.FlowHead({ tokenDim: 4, conditionDim: 16, width: 16, depth: 1 }, { generator: gen });
  const mask = randn([16], { generator: gen, requiresGrad: true });
  const features = randn([2, 3, 8], { generator: gen });
  const latents = randn([2, 3, 4], { generator: gen });
  const seq = transformer.packSequences(
    [
      [{ text: [1, 2] }, { image: 0 }, { text: [3, 7, 8, 4], loss: true }],
      [{ text: [1, 9, 2] }, { image: 1, masked: [1, 1, 0] }],
    ],
    { tokensPerImage: 3, padId: 0 },
  );
  const opt = new nn.AdamW([...lm.parameters(), ...projector.parameters(), ...head.parameters(), mask], { lr: 1e-2 });
  const losses: number[] = [];
  for (let step = 0; step < 2; step++) {
    opt.zeroGrad();
    const loss = tidy(() => {
      const out = lm.computeLoss(transformer.sequenceInput(seq, projector.forward(features), { maskEmbedding: mask }));
      const z = transformer.gatherRows(out.hiddenStates, seq.maskedRows);
      return out.loss.add(flow.flowMatchingLoss(head, transformer.gatherRows(latents, seq.maskedTokens), z, { generator: gen }));
    });
    loss.backward();
    opt.step();
    losses.push(await loss.item());
    loss.dispose();
  }
  assert.ok(losses.every(Number.isFinite));

  const file = join(mkdtempSync(join(tmpdir(), 'unihetero-cjs-')), 'lm.safetensors');
  await nn.saveSafetensors(file, lm);
  const copy = new transformer.TransformerLM({ vocabSize: 12, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2 }, { generator: new Generator(9) });
  await nn.loadSafetensors(copy, file);
  const a = await lm.headWeight.data();
  const b = await copy.headWeight.data();
  assert.deepEqual(Array.from(b), Array.from(a));
  console.log(JSON.stringify({ tensor: tensorPkg.TENSOR_PACKAGE.format, losses, keys: (await safetensors.readSafetensorsHeader(file)).tensors.size }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
