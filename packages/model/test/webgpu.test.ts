/** The whole UniHetero loss (every part) and its gradients on WebGPU equal the CPU run (tiny model, llvmpipe-sized). */
import { afterAll, describe, expect, it } from 'vitest';
import { webgpuForTests } from '@unihetero/webgpu/testing';
import { Generator, type Backend } from '@unihetero/tensor';
import { imagesToTensor } from '@unihetero/data';
import type { SequenceExample } from '../src/index.js';
import { tinyModel } from './helpers.js';

const gpu = await webgpuForTests('model');
afterAll(() => gpu?.destroy());

async function lossAndGrads(backend?: Backend) {
  const { model, world } = await tinyModel('exp3', { seed: 11 }, backend);
  const samples = [world.sample('train', 0), world.sample('train', 1)];
  const enc = (s: string) => model.tokenizer.encode(s, { bos: false, eos: false });
  const examples: SequenceExample[] = [
    { kind: 'understand', image: 0, prompt: enc(samples[0]!.question.text), target: enc(samples[0]!.question.answer) },
    { kind: 'generate', image: 1, prompt: enc(samples[1]!.caption) },
  ];
  const images = imagesToTensor(samples.map((s) => s.image), model.backend);
  const gen = new Generator(9);
  const batch = model.prepare(examples, images, gen);
  const parts = model.loss(batch, gen);
  parts.total.backward();
  const values = Object.fromEntries(await Promise.all(Object.entries(parts).map(async ([k, v]) => [k, await v.item()] as const)));
  const grads: Record<string, number[]> = {};
  for (const name of ['lm.model.layers.0.self_attn.q_proj.weight', 'input_projector.0.weight', 'mask_embedding', 'invert_projector.head.0.weight', 'flow_head.final_layer.linear.weight']) {
    const p = model.namedParameters().find(([n]) => n === name);
    if (p && p[1].grad) grads[name] = Array.from(await p[1].grad.data()).slice(0, 64);
  }
  model.dispose();
  return { values, grads };
}

describe.skipIf(!gpu)('UniHetero on WebGPU', () => {
  it('matches the CPU loss parts and gradients', async () => {
    const cpu = await lossAndGrads();
    const wg = await lossAndGrads(gpu!);
    for (const k of Object.keys(cpu.values)) expect(wg.values[k]).toBeCloseTo(cpu.values[k]!, 4);
    expect(Object.keys(wg.grads).sort()).toEqual(Object.keys(cpu.grads).sort());
    expect(Object.keys(cpu.grads).length).toBeGreaterThanOrEqual(3);
    for (const [k, g] of Object.entries(cpu.grads)) {
      const scale = Math.max(1e-3, ...g.map(Math.abs));
      g.forEach((v, i) => expect(Math.abs(wg.grads[k]![i]! - v)).toBeLessThan(2e-3 * scale));
    }
  }, 120_000);
});
