/** Gradient routing per preset and loss part (docs/method.md 9.2). */
import { describe, expect, it } from 'vitest';
import { Generator } from '@unihetero/tensor';
import { init } from '@unihetero/nn';
import { imagesToTensor } from '@unihetero/data';
import { tinyModel } from './helpers.js';
import type { SequenceExample, UniHetero } from '../src/index.js';

const GROUPS = ['lm', 'input_projector', 'mask_embedding', 'invert_projector', 'flow_head'] as const;

/** Which parameter groups received a non-zero gradient from `part` of the loss. */
async function routed(model: UniHetero, world: Awaited<ReturnType<typeof tinyModel>>['world'], part: 'text' | 'ploss' | 'diffuloss' | 'total'): Promise<Record<string, boolean>> {
  const samples = [world.sample('train', 0), world.sample('train', 1), world.sample('train', 2)];
  const enc = (s: string) => model.tokenizer.encode(s, { bos: false, eos: false });
  const examples: SequenceExample[] = [
    { kind: 'understand', image: 0, prompt: [], target: enc(samples[0]!.caption) },
    { kind: 'generate', image: 1, prompt: enc(samples[1]!.caption) },
    { kind: 'generate', image: 2, prompt: [] },
  ];
  // The flow head starts with zeroed output layers (docs/method.md 8.1), which pass no gradient to its
  // condition; give it random weights so that routing, not initialisation, decides the result.
  const g0 = new Generator(3);
  for (const p of model.flow_head.parameters()) init.normal_(p, 0, 0.05, g0);
  for (const p of model.parameters()) p.zeroGrad();
  const images = imagesToTensor(samples.map((s) => s.image), model.backend);
  const gen = new Generator(5);
  const batch = model.prepare(examples, images, gen);
  const parts = model.loss(batch, gen);
  parts[part].backward();
  const out: Record<string, boolean> = {};
  for (const g of GROUPS) {
    let any = false;
    for (const [name, p] of model.namedParameters()) {
      if (name !== g && !name.startsWith(`${g}.`)) continue;
      if (p.grad && (await p.grad.abs().sum().item()) > 0) any = true;
    }
    out[g] = any;
  }
  for (const t of new Set(Object.values(parts))) t.dispose();
  batch.features.dispose();
  batch.latents.dispose();
  images.dispose();
  return out;
}

const yes = (...g: string[]) => Object.fromEntries(GROUPS.map((k) => [k, g.includes(k)]));

describe('gradient routing', () => {
  it('text loss reaches the backbone and the input projector only', async () => {
    const { model, world } = await tinyModel('exp3');
    expect(await routed(model, world, 'text')).toEqual(yes('lm', 'input_projector'));
  });
  it('ploss reaches the backbone, the inputs, the mask embedding and the invert-projector, not the flow head', async () => {
    const { model, world } = await tinyModel('exp3');
    expect(await routed(model, world, 'ploss')).toEqual(yes('lm', 'input_projector', 'mask_embedding', 'invert_projector'));
  });
  it('exp3: diffuloss reaches the backbone and the flow head', async () => {
    const { model, world } = await tinyModel('exp3');
    expect(await routed(model, world, 'diffuloss')).toEqual(yes('lm', 'input_projector', 'mask_embedding', 'flow_head'));
  });
  it('exp2: diffuloss trains the flow head and no diffuloss gradient reaches the backbone', async () => {
    const { model, world } = await tinyModel('exp2');
    expect(await routed(model, world, 'diffuloss')).toEqual(yes('flow_head'));
    expect(await routed(model, world, 'total')).toEqual(yes('lm', 'input_projector', 'mask_embedding', 'invert_projector', 'flow_head'));
  });
  it('exp1: no ploss and no diffuloss at all; the total is the text loss', async () => {
    const { model, world } = await tinyModel('exp1');
    expect(await routed(model, world, 'total')).toEqual(yes('lm', 'input_projector'));
    const samples = [world.sample('train', 0)];
    const images = imagesToTensor(samples.map((s) => s.image), model.backend);
    const gen = new Generator(1);
    const batch = model.prepare([{ kind: 'generate', image: 0, prompt: [] }], images, gen);
    const parts = model.loss(batch, gen);
    expect([await parts.ploss.item(), await parts.diffuloss.item(), await parts.total.item()]).toEqual([0, 0, 0]);
  });
  it("flow.tokenSource 'prediction': the head's token is a condition only (no diffuloss gradient to the invert-projector)", async () => {
    const config = { flow: { conditionOnToken: true, trainOn: 'span', tokenSource: 'prediction' } } as const;
    const exp2 = await tinyModel('exp2', { config });
    expect(await routed(exp2.model, exp2.world, 'diffuloss')).toEqual(yes('flow_head'));
    const exp3 = await tinyModel('exp3', { config });
    expect(await routed(exp3.model, exp3.world, 'diffuloss')).toEqual(yes('lm', 'input_projector', 'mask_embedding', 'flow_head'));
  });
  it("flow.tokenSource 'prediction' changes the head's condition at masked positions only", async () => {
    const diffuloss = async (tokenSource: 'target' | 'prediction', masked: boolean) => {
      const { model, world } = await tinyModel('exp2', { seed: 4, config: { flow: { conditionOnToken: true, trainOn: 'span', tokenSource } } });
      const g0 = new Generator(3);
      for (const p of model.flow_head.parameters()) init.normal_(p, 0, 0.05, g0);
      const samples = [world.sample('train', 0), world.sample('train', 1)];
      const images = imagesToTensor(samples.map((s) => s.image), model.backend);
      const examples: SequenceExample[] = samples.map((s, i) => ({ kind: 'generate', image: i, prompt: model.tokenizer.encode(s.caption, { bos: false, eos: false }) }));
      const gen = new Generator(5);
      const N = model.numVisualTokens;
      const batch = model.prepare(examples, images, gen, { generationMask: new Uint8Array(2 * N).fill(masked ? 1 : 0) });
      return await model.loss(batch, gen).diffuloss.item();
    };
    // Nothing masked: every position keeps its true token, so both sources train on the same condition.
    expect(await diffuloss('prediction', false)).toBe(await diffuloss('target', false));
    // Everything masked: the predictions replace the true tokens.
    expect(await diffuloss('prediction', true)).not.toBe(await diffuloss('target', true));
  });
});
