import { describe, expect, it } from 'vitest';
import { crossEntropy, tensor } from '@unihetero/tensor';
import { textLoss } from '../src/index';

describe('textLoss', () => {
  // Two labelled positions and one ignored, V = 3.
  const rows = [
    [1, 2, 3],
    [0, 0, 0],
    [5, -1, 2],
  ];
  const labels = [2, -100, 0];
  const lse = (r: number[]) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));

  it('z-loss equals lambda * mean(logsumexp^2) over labelled positions; CE matches crossEntropy', () => {
    const logits = tensor(rows);
    const y = tensor(labels, { dtype: 'int32' });
    const out = textLoss(logits, y, { zLossWeight: 0.1, shift: false });
    const z0 = lse(rows[0]!);
    const z2 = lse(rows[2]!);
    expect(out.zLoss.itemSync()).toBeCloseTo((0.1 * (z0 * z0 + z2 * z2)) / 2, 6);
    const ce = (z0 - 3 + (z2 - 5)) / 2;
    expect(out.crossEntropy.itemSync()).toBeCloseTo(ce, 6);
    expect(out.crossEntropy.itemSync()).toBeCloseTo(crossEntropy(logits, y).itemSync(), 6);
    expect(out.loss.itemSync()).toBeCloseTo(ce + (0.1 * (z0 * z0 + z2 * z2)) / 2, 6);
    expect(out.count.itemSync()).toBe(2);
  });

  it('has the analytic z-loss gradient (2 lambda / |T|) logZ softmax', () => {
    const logits = tensor(rows, { requiresGrad: true });
    const y = tensor(labels, { dtype: 'int32' });
    textLoss(logits, y, { zLossWeight: 0.1, shift: false }).zLoss.backward();
    const g = logits.grad!.tolistSync() as number[][];
    const r = rows[2]!;
    const z = lse(r);
    r.forEach((v, j) => expect(g[2]![j]).toBeCloseTo(((2 * 0.1) / 2) * z * Math.exp(v - z), 6));
    expect(g[1]).toEqual([0, 0, 0]);
  });

  it('shifts HF-style by default: logits[t] predicts labels[t+1]', () => {
    const logits = tensor([[rows[0]!, rows[2]!, rows[1]!]]);
    const shifted = textLoss(logits, tensor([[-100, 2, 0]], { dtype: 'int32' }));
    const direct = textLoss(tensor([rows[0]!, rows[2]!]), tensor([2, 0], { dtype: 'int32' }), { shift: false });
    expect(shifted.loss.itemSync()).toBeCloseTo(direct.loss.itemSync(), 6);
    expect(shifted.zLoss.itemSync()).toBeCloseTo(1e-5 * ((lse(rows[0]!) ** 2 + lse(rows[2]!) ** 2) / 2), 9);
  });

  it('is 0 (not NaN) without labelled positions, and validates its inputs', () => {
    const out = textLoss(tensor(rows), tensor([-100, -100, -100], { dtype: 'int32' }), { shift: false });
    expect([out.loss.itemSync(), out.crossEntropy.itemSync(), out.zLoss.itemSync()]).toEqual([0, 0, 0]);
    expect(textLoss(tensor(rows), tensor([1, 1, 1], { dtype: 'int32' }), { shift: false, zLossWeight: 0 }).zLoss.itemSync()).toBe(0);
    expect(() => textLoss(tensor(rows), tensor([1, 1], { dtype: 'int32' }))).toThrow('textLoss: logits [3,3] must be labels [2] plus a vocabulary dim');
    expect(() => textLoss(tensor(rows), tensor([1, 1, 1]))).toThrow('textLoss: labels must be int32, got float32');
    expect(() => textLoss(tensor(rows), tensor([1, 1, 1], { dtype: 'int32' }), { zLossWeight: -1 })).toThrow('zLossWeight must be a finite number >= 0, got -1');
  });
});
