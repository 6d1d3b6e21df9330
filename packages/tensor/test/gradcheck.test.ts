import { describe, expect, it } from 'vitest';
import { gradcheck, tensor, type Tensor } from '../src/index.js';
import { allCases } from '../src/testing.js';

describe('gradcheck: every differentiable op', () => {
  for (const [name, fn, inputs, options] of allCases) {
    it(name, async () => {
      const xs = inputs().map((h) => tensor(h.data, { shape: h.shape }));
      await expect(gradcheck(fn, xs, options)).resolves.toBe(true);
    });
  }
});

describe('gradcheck itself', () => {
  it('catches a wrong gradient', async () => {
    // sign has zero gradient in our autograd, but x * sign(x) is |x|: a wrong custom function
    // shows up as a mismatch; here we fake one by detaching part of the graph.
    const bad = (x: Tensor) => x.mul(x.detach());
    // Non-scalar outputs are weighted by fixed pseudo-random w: analytic w_0 * 1, numeric w_0 * 2.
    const err = await gradcheck(bad, [tensor([1, 2, 3])]).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^gradcheck: gradient mismatch for input 0 \[3\] at flat index 0: analytic (\S+), numeric (\S+) \(output shape \[3\]\)$/);
    const [, analytic, numeric] = /analytic (\S+), numeric (\S+) /.exec(err!.message)!;
    expect(Number(numeric)).toBeCloseTo(2 * Number(analytic), 6);
  });
});
