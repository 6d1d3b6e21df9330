import { describe, it } from 'vitest';
import { Generator, getDefaultBackend, gradcheck, randn, tensor, type Tensor } from '@unihetero/tensor';
import type { Module } from '@unihetero/nn';
import { DecoderLayer, attentionBias, defineConfig, expandMask, ropeTables, textLoss, type AttentionLayout, type ForwardContext, type QKNorm } from '../src/index';

/** Replace a module's parameter by dotted name (so gradcheck's float64 copies are the ones used). */
function setParam(root: Module, path: string, t: Tensor): void {
  const parts = path.split('.');
  let m = root as unknown as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) m = m[p] as Record<string, unknown>;
  m[parts.at(-1)!] = t;
}

function context(B: number, L: number, dh: number, layout: AttentionLayout): ForwardContext {
  const be = getDefaultBackend();
  const pos = Int32Array.from({ length: L }, (_, i) => i);
  const k = ropeTables(pos, 1, L, dh, 10000, be, 'float64');
  const q = ropeTables(pos, 1, L, dh, 10000, be, 'float64');
  const s = 1 / Math.sqrt(dh);
  return { ropeQ: { cos: q.cos.mul(s), sinSigned: q.sinSigned.mul(s) }, ropeK: k, bias: attentionBias(expandMask(layout, { batch: B, queryLength: L }), be, 'float64'), cache: null };
}

async function checkBlock(qkNorm: QKNorm, kvHeads: number, layout: AttentionLayout, B: number, L: number): Promise<void> {
  const cfg = defineConfig({ vocabSize: 5, hiddenSize: 8, intermediateSize: 12, numHiddenLayers: 1, numAttentionHeads: 2, numKeyValueHeads: kvHeads, qkNorm, initializerRange: 0.3 });
  const gen = new Generator(11);
  const layer = new DecoderLayer(cfg, { generator: gen, dtype: 'float64' });
  const names = layer.namedParameters().map(([n]) => n);
  // Non-trivial norm affines, so their gradients are exercised.
  const params = layer.namedParameters().map(([n, p]) => (/norm/.test(n) ? randn([...p.shape], { generator: gen, dtype: 'float64' }).mul(0.3).add(n.endsWith('bias') ? 0 : 1) : p));
  const x = randn([B, L, 8], { generator: gen, dtype: 'float64' });
  const ctx = context(B, L, 4, layout);
  await gradcheck(
    (xi, ...ps) => {
      ps.forEach((p, i) => setParam(layer, names[i]!, p));
      return layer.forward(xi, ctx, 0);
    },
    [x, ...params],
    { atol: 1e-6, rtol: 1e-4 },
  );
}

describe('gradcheck of a tiny decoder block (2 heads, width 8, float64, CPU)', () => {
  it('causal, no qk-norm', async () => checkBlock('none', 2, {}, 1, 3));
  it('shared qk-norm, image span and padding, batch 2', async () => checkBlock('layernorm-shared', 2, { spans: [[1, 3]], lengths: [4, 3] }, 2, 4));
  it('per-head qk-norm with grouped-query attention (1 kv head)', async () => checkBlock('layernorm-per-head', 1, { spans: [[0, 2]] }, 1, 3));
  it('the text loss (cross-entropy + z-loss) w.r.t. logits', async () => {
    const logits = randn([2, 3, 5], { generator: new Generator(3), dtype: 'float64' });
    const labels = tensor([[1, -100, 4], [0, 2, -100]], { dtype: 'int32' });
    await gradcheck((l) => textLoss(l, labels, { zLossWeight: 0.05 }).loss, [logits]);
  });
});
