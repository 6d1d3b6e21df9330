import { it } from 'vitest';
import { CpuBackend } from '@unihetero/tensor';
import { createShapesModel, Trainer, evaluateUnderstanding, evaluateGeneration } from '@unihetero/model';

for (const [name, config, bs] of [
  ['tiny', { backbone: { hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 2 }, flow: { width: 32, depth: 1 } }, 4],
  ['d64l2', { backbone: { hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 2 } }, 16],
  ['default', {}, 16],
] as const) {
  it(name, async () => {
    const be = new CpuBackend();
    let t = performance.now();
    const { model, world } = await createShapesModel({ preset: 'exp2', config: config as any }, be);
    console.log(name, 'build ms', performance.now() - t, 'params', model.parameters().reduce((a, p) => a + p.size, 0));
    const tr = new Trainer(model, world, { samples: bs * 4, batchSize: bs });
    for (let i = 0; i < 4; i++) { const m = await tr.trainStep(); console.log(name, JSON.stringify(m)); }
    t = performance.now();
    const u = await evaluateUnderstanding(model, world, { count: 32 });
    console.log(name, 'eval32 ms', performance.now() - t, u.accuracy);
    t = performance.now();
    const g = await evaluateGeneration(model, world, { count: 8 });
    console.log(name, 'gen8 ms', performance.now() - t, JSON.stringify(g.scores));
  }, 600_000);
}
