import { describe, expect, it } from 'vitest';
import { keep, memory, noGrad, ones, randn, tensor, tidy, zeros, Generator, type Tensor } from '../src/index.js';

const v = (t: Tensor) => Array.from(t.dataSync());

describe('autograd semantics', () => {
  it('accumulates into .grad across backward calls and reduces broadcast grads', () => {
    const w = tensor([1, 2, 3], { requiresGrad: true });
    const x = tensor([[1, 1, 1], [2, 2, 2]]);
    x.mul(w).sum().backward();
    expect(v(w.grad!)).toEqual([3, 3, 3]);
    x.mul(w).sum().backward();
    expect(v(w.grad!)).toEqual([6, 6, 6]);
    w.zeroGrad();
    expect(w.grad).toBeNull();
  });
  it('handles a tensor used twice (diamond graph)', () => {
    const a = tensor([2], { requiresGrad: true });
    const b = a.mul(a).add(a); // a^2 + a -> 2a + 1 = 5
    b.backward();
    expect(v(a.grad!)).toEqual([5]);
  });
  it('takes a gradOutput for non-scalar outputs and rejects missing ones', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const y = a.mul(3);
    expect(() => y.backward()).toThrow(/backward: grad can be implicitly created only for a tensor with one element, got shape \[2\]/);
    y.backward(tensor([1, 10]));
    expect(v(a.grad!)).toEqual([3, 30]);
  });
  it('noGrad and detach stop recording', () => {
    const a = tensor([1], { requiresGrad: true });
    const y = noGrad(() => a.mul(2));
    expect(y.requiresGrad).toBe(false);
    const z = a.detach().mul(2);
    expect(z.requiresGrad).toBe(false);
    expect(() => z.backward()).toThrow(/backward: tensor does not require grad/);
  });
  it('frees saved tensors after backward and refuses a second pass', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const y = a.exp().sum();
    y.backward();
    expect(() => y.backward()).toThrow(/backward through the graph a second time/);
    const y2 = a.exp().sum();
    y2.backward(undefined, { retainGraph: true });
    y2.backward();
    expect(v(a.grad!).map((u) => Math.round(u * 1e4) / 1e4)).toEqual([3 * Math.exp(1), 3 * Math.exp(2)].map((u) => Math.round(Math.fround(u) * 1e4) / 1e4));
  });
  it('backward works after the intermediates were disposed by tidy', () => {
    const w = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const loss = tidy(() => {
      const h = tensor([[1, 1]]).matmul(w);
      return h.relu().square().sum();
    });
    loss.backward();
    // h = [4, 6]; d/dw of sum(h^2) = x^T * 2h = [[8, 12], [8, 12]]
    expect(v(w.grad!)).toEqual([8, 12, 8, 12]);
  });
  it('requiresGrad_ only on float leaves', () => {
    expect(() => tensor(new Int32Array([1])).requiresGrad_()).toThrow(/only floating tensors can require gradients/);
    const a = tensor([1], { requiresGrad: true });
    expect(() => a.mul(2).requiresGrad_()).toThrow(/only leaf tensors/);
  });
});

describe('memory', () => {
  it('tidy disposes intermediates and keeps the result', () => {
    const before = memory();
    const out = tidy(() => {
      const a = randn([4, 4], { generator: new Generator(1) });
      const b = a.matmul(a).relu();
      return b.sum();
    });
    const mid = memory();
    expect(mid.tensors).toBe(before.tensors + 1);
    expect(out.isDisposed).toBe(false);
    out.dispose();
    const after = memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytesInUse).toBe(before.bytesInUse);
    expect(after.storages).toBe(before.storages);
  });
  it('a training loop holds tensors and bytes flat', () => {
    const gen = new Generator(7);
    const w = randn([8, 4], { generator: gen, requiresGrad: true });
    const x = randn([16, 8], { generator: gen });
    const y = randn([16, 4], { generator: gen });
    const losses: number[] = [];
    const step = () =>
      tidy(() => {
        const loss = x.matmul(w).tanh().sub(y).square().mean();
        loss.backward();
        noGrad(() => w.assign(w.sub(w.grad!.mul(0.1))));
        w.zeroGrad();
        return loss.itemSync();
      });
    for (let i = 0; i < 5; i++) losses.push(step());
    const base = memory();
    for (let i = 0; i < 200; i++) losses.push(step());
    const end = memory();
    expect(end.tensors).toBe(base.tensors);
    expect(end.bytesInUse).toBe(base.bytesInUse);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
  });
  it('graphs freed when outputs are disposed without backward', () => {
    const base = memory();
    const a = tensor([1, 2, 3], { requiresGrad: true });
    const b = a.exp();
    const m = b.mul(2);
    const c = m.sum();
    b.dispose();
    m.dispose();
    c.dispose();
    a.dispose();
    expect(memory()).toMatchObject({ tensors: base.tensors, bytesInUse: base.bytesInUse });
  });
  it('keep() exempts a tensor from tidy, and tidy rejects async functions', () => {
    let kept: Tensor | null = null;
    tidy(() => {
      kept = keep(ones([2]));
      zeros([3]);
    });
    expect(kept!.isDisposed).toBe(false);
    kept!.dispose();
    expect(() => tidy(() => Promise.resolve(1) as unknown as number)).toThrow(/tidy: fn must be synchronous/);
  });
  it('using disposed tensors is an error naming the op', () => {
    const a = ones([2]);
    a.dispose();
    expect(() => a.add(1)).toThrow(/add_scalar: tensor #\d+ \[2\] was disposed/);
  });
});

describe('leaf gradients that arrive as views', () => {
  it('leave no tensor behind (sum broadcasts its gradient as a stride-0 view)', () => {
    const z = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const base = memory().tensors;
    const s = z.sum();
    s.backward();
    s.dispose();
    expect(memory().tensors).toBe(base + 1); // only z.grad
    expect(z.grad!.tolistSync()).toEqual([[1, 1], [1, 1]]);
    z.dispose();
  });
});
