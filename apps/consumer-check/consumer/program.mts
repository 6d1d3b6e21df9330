// A user's program (ESM) against the published packages: a small unified model assembled from
// the building blocks (shapes-world data, the shipped frozen encoder, backbone, projectors, flow
// head, masks, sequences), trained for a few steps, saved, and reloaded into a fresh model that
// must give the same parameters and the same loss. Prints one JSON line for the test.
import { strict as assert } from 'node:assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, TENSOR_PACKAGE, noGrad, randn, tidy, type Tensor } from '@unihetero/tensor';
import { NO_DAWN_MESSAGE, createBackend, initWebGPU } from '@unihetero/webgpu';
import { readSafetensorsHeader } from '@unihetero/safetensors';
import { AdamW, Module, loadCheckpoint, saveCheckpoint } from '@unihetero/nn';
import { TransformerLM, gatherRows, packSequences, sequenceInput, type PackedSequences } from '@unihetero/transformer';
import { InputProjector, createInvertProjector, type InvertProjector } from '@unihetero/projectors';
import { FlowHead, flowMatchingLoss } from '@unihetero/flow';
import { sampleTrainingMasks } from '@unihetero/masking';
import { ShapesWorld, imagesToTensor, wordTokenizer } from '@unihetero/data';
import { PatchifyEncoder, loadDefaultSemanticEncoder } from '@unihetero/vision';
import { PRESET_NAMES } from '@unihetero/model';

class TinyUnified extends Module {
  lm: TransformerLM;
  projector: InputProjector;
  invert: InvertProjector;
  head: FlowHead;
  maskEmbedding: Tensor;
  constructor(vocabSize: number, seed: number) {
    super();
    const generator = new Generator(seed);
    this.lm = new TransformerLM({ vocabSize, hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 4 }, { generator });
    this.projector = new InputProjector(64, 32, { generator });
    this.invert = createInvertProjector('ema-mlp-llm-cos', { llmDim: 32, featureDim: 64, inputProjector: this.projector, generator });
    this.head = new FlowHead({ tokenDim: 48, conditionDim: 32, width: 32, depth: 1 }, { generator });
    this.maskEmbedding = randn([32], { generator, requiresGrad: true });
  }
  loss(seq: PackedSequences, features: Tensor, latents: Tensor, generator: Generator): Tensor {
    return tidy(() => {
      const out = this.lm.computeLoss(sequenceInput(seq, this.projector.forward(features), { maskEmbedding: this.maskEmbedding }));
      const z = gatherRows(out.hiddenStates, seq.maskedRows);
      const ploss = this.invert.loss(this.invert.predict(z), this.invert.target(gatherRows(features, seq.maskedTokens)));
      const diffuloss = flowMatchingLoss(this.head, gatherRows(latents, seq.maskedTokens), z, { generator });
      return out.loss.add(ploss.mul(10)).add(diffuloss.mul(10));
    });
  }
}

// No Dawn installed: WebGPU says what to install, 'auto' falls back to the CPU.
await assert.rejects(initWebGPU(), { message: NO_DAWN_MESSAGE });
const backend = await createBackend('auto');
assert.equal(backend.name, 'cpu');

const world = new ShapesWorld({ seed: 0 });
const tokenizer = wordTokenizer(world);
const samples = world.samples('train', 0, 2);
const images = imagesToTensor(samples.map((s) => s.image));
const features = (await loadDefaultSemanticEncoder()).encode(images); // [2, 64, 64] from the weights inside the tarball
const latents = new PatchifyEncoder({ patchSize: 4 }).encode(images); // [2, 64, 48]
const { bos, eos, pad, boi, eoi } = tokenizer.special;
const caption = (i: number) => tokenizer.encode(samples[i]!.caption, { bos: false, eos: false });
const gen = new Generator(1);
const seq = packSequences(
  [
    [{ text: [bos, boi] }, { image: 0 }, { text: [eoi] }, { text: [...caption(0), eos], loss: true }],
    [{ text: [bos, ...caption(1), boi] }, { image: 1, masked: sampleTrainingMasks(gen, { batch: 1, n: 64 }).mask }],
  ],
  { tokensPerImage: 64, padId: pad },
);

const model = new TinyUnified(tokenizer.vocabSize, 0);
const opt = new AdamW(model.parameters(), { lr: 1e-3 });
const losses: number[] = [];
for (let step = 0; step < 3; step++) {
  opt.zeroGrad();
  const loss = model.loss(seq, features, latents, gen);
  loss.backward();
  opt.step();
  model.invert.afterOptimizerStep();
  losses.push(await loss.item());
  loss.dispose();
}
assert.ok(losses.every(Number.isFinite), `losses ${losses}`);

const file = join(mkdtempSync(join(tmpdir(), 'unihetero-program-')), 'run.safetensors');
await saveCheckpoint(file, { model, optimizer: opt, rng: gen, step: 3 });
const header = await readSafetensorsHeader(file);
const again = new TinyUnified(tokenizer.vocabSize, 99);
const restoredRng = new Generator(0);
const { step } = await loadCheckpoint(file, { model: again, optimizer: new AdamW(again.parameters(), { lr: 1e-3 }), rng: restoredRng });
let maxDiff = 0;
for (const [key, t] of model.stateDict()) {
  const a = await t.data();
  const b = await again.stateDict().get(key)!.data();
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
}
const evalLoss = (m: TinyUnified) => noGrad(() => m.loss(seq, features, latents, new Generator(5)));
const [l1, l2] = [await evalLoss(model).item(), await evalLoss(again).item()];
assert.equal(maxDiff, 0);
assert.equal(l1, l2);
assert.equal(restoredRng.uniform(), gen.uniform());
console.log(JSON.stringify({ tensor: TENSOR_PACKAGE.format, presets: PRESET_NAMES.length, step, losses, tensorsInFile: header.tensors.size, parameters: model.numParameters(), reloadedLoss: l2 }));
