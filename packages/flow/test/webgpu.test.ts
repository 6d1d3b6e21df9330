/**
 * The same training on the WebGPU backend (`@unihetero/webgpu/testing`: skipped without an adapter
 * locally, a failure in CI). Tiny and short, because llvmpipe is slow.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { webgpuForTests } from '@unihetero/webgpu/testing';
import { Generator, memory, type Backend } from '@unihetero/tensor';
import { FlowHead, sampleFlow, warmupFlowHead } from '../src/index.js';
import { blobConditions, blobs } from './helpers.js';

const gpu = await webgpuForTests('flow');
afterAll(() => gpu?.destroy());

describe.skipIf(!gpu)('flow head on WebGPU', () => {
  it('follows the CPU loss curve step by step, samples the same points, and holds memory flat', async () => {
    const run = async (b?: Backend) => {
      const gen = new Generator(0);
      const data = blobs(64, gen, b);
      const head = new FlowHead({ tokenDim: 2, conditionDim: 4, width: 16, depth: 2, timeEmbedDim: 16 }, { generator: gen, backend: b });
      const losses: number[] = [];
      const r0 = await warmupFlowHead(head, data, { steps: 2, batchSize: 32, lr: 5e-3, batchMul: 2, generator: gen, progressEvery: 1 });
      losses.push(...r0.history.map((p) => p.loss));
      const base = memory(b);
      const r = await warmupFlowHead(head, data, { steps: 22, batchSize: 32, lr: 5e-3, batchMul: 2, generator: gen, progressEvery: 1 });
      losses.push(...r.history.map((p) => p.loss));
      const after = memory(b);
      const cond = blobConditions(4, b);
      const s = sampleFlow(head, cond, { steps: 4, method: 'heun', cfgScale: 1.5, nullCondition: cond.narrow(0, 0, 1).mul(0), generator: new Generator(1) });
      const samples = Array.from(await s.data());
      for (const t of [s, cond, data.conditions, data.latents, head]) t.dispose();
      return { losses, samples, base, after };
    };
    const g = await run(gpu!);
    const c = await run(undefined);
    expect(g.after.tensors).toBe(g.base.tensors);
    expect(g.after.bytesInUse).toBe(g.base.bytesInUse);
    expect(g.losses).toHaveLength(24);
    g.losses.forEach((l, i) => expect(Math.abs(l - c.losses[i]!), `step ${i + 1}: gpu ${l} cpu ${c.losses[i]}`).toBeLessThan(1e-4 * Math.max(1, c.losses[i]!))); // measured max 7e-7
    g.samples.forEach((v, i) => expect(Math.abs(v - c.samples[i]!), `sample ${i}`).toBeLessThan(1e-4)); // measured max 3e-6
  });
});
