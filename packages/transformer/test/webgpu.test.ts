/**
 * CPU-WebGPU parity of the whole forward and backward on a tiny config, and a short overfitting
 * run (`@unihetero/webgpu/testing`: skipped without an adapter locally, a failure in CI).
 * Tiny and few steps: llvmpipe is slow.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { webgpuForTests } from '@unihetero/webgpu/testing';
import { Generator, memory, tensor, type Backend } from '@unihetero/tensor';
import { TransformerLM } from '../src/index';
import { maxDiff, tinyConfig } from './helpers';
import { overfit } from './train';

const gpu = await webgpuForTests('transformer');
afterAll(() => gpu?.destroy());

describe.skipIf(!gpu)('transformer on WebGPU', () => {
  it('forward (logits, loss) and backward (every parameter gradient) match the CPU', async () => {
    const cfg = tinyConfig({ numKeyValueHeads: 2, qkNorm: 'layernorm-per-head', numHiddenLayers: 1, zLossWeight: 1e-2 });
    const run = async (b?: Backend) => {
      const m = new TransformerLM(cfg, { generator: new Generator(1), backend: b });
      const x = tensor([[1, 2, 3, 4, 5], [6, 7, 8, 9, 0]], { dtype: 'int32', backend: b });
      const out = m.computeLoss({ inputIds: x, labels: x, attention: { spans: [[1, 3]], lengths: [5, 4] } });
      out.loss.backward();
      const res = {
        logits: await out.logits!.data(),
        loss: await out.loss.item(),
        z: await out.zLoss.item(),
        grads: await Promise.all(m.namedParameters().map(async ([k, p]) => [k, await p.grad!.data()] as const)),
      };
      for (const t of [out.loss, out.crossEntropy, out.zLoss, out.count, out.hiddenStates, out.logits!, x]) t.dispose();
      m.dispose();
      return res;
    };
    const g = await run(gpu!);
    const c = await run(undefined);
    expect(maxDiff(g.logits, c.logits)).toBeLessThan(1e-4);
    expect(g.loss).toBeCloseTo(c.loss, 4);
    expect(g.z).toBeCloseTo(c.z, 6);
    g.grads.forEach(([k, v], i) => expect(maxDiff(v, c.grads[i]![1]), k).toBeLessThan(1e-4));
  });

  it('overfits the same corpus: from ~2.8 to below 1.1 in 12 steps, following the CPU losses, flat GPU memory', async () => {
    const before = memory(gpu!).tensors;
    const g = await overfit(12, gpu!, 16);
    const c = await overfit(12, undefined, 16);
    expect(g.losses[0]).toBeGreaterThan(2.7);
    expect(g.losses.at(-1)).toBeLessThan(1.1);
    g.losses.forEach((l, i) => expect(l).toBeCloseTo(c.losses[i]!, 3));
    g.model.dispose();
    c.model.dispose();
    expect(memory(gpu!).tensors).toBe(before);
  });
});
