import { describe, expect, it } from 'vitest';
import { memory } from '@unihetero/tensor';
import { overfit } from './train';

describe('training', () => {
  it('a tiny model overfits a short corpus on CPU: loss within 0.01 of its floor in 60 AdamW steps, flat memory', async () => {
    const before = memory().tensors;
    const { losses, model } = await overfit(60);
    // Tokens 2 and 3 of each sequence are coin flips (4 or 8, then 5 or 12); the rest follows from
    // the context. The floor is (2 ln 2) / 7 = 0.198 nats per predicted token.
    const floor = (2 * Math.LN2) / 7;
    expect(losses[0]).toBeGreaterThan(2.5); // ~ln 16 at N(0, 0.1^2) init
    expect(losses.at(-1)).toBeGreaterThan(floor - 1e-3);
    expect(losses.at(-1)).toBeLessThan(floor + 0.01);
    model.dispose();
    expect(memory().tensors).toBe(before);
  });
});
