/** The flow-matching loss: formula, batch multiplier, mask, detachCondition, determinism, memory. */
import { describe, expect, it } from 'vitest';
import { Generator, memory, randn, tensor, tidy, type Tensor } from '@unihetero/tensor';
import { FlowHead, flowInterpolate, flowMatchingLoss, resolveTimeDistribution, sampleTimes } from '../src/index.js';
import { randomize, values } from './helpers.js';

function tinyHead(seed: number): FlowHead {
  const gen = new Generator(seed);
  const head = new FlowHead({ tokenDim: 3, conditionDim: 5, width: 8, depth: 2, timeEmbedDim: 8 }, { generator: gen });
  randomize(head, gen, 0.4);
  return head;
}

/** `tinyHead(seed)`, and from `Generator(seed + 1)`: latents `x [...lead, 3]`, then conditions `c [...lead, 5]`, and that generator. */
function tinyProblem(seed: number, lead: number[]): { head: FlowHead; gen: Generator; x: Tensor; c: Tensor } {
  const head = tinyHead(seed);
  const gen = new Generator(seed + 1);
  const x = randn([...lead, 3], { generator: gen });
  const c = randn([...lead, 5], { generator: gen });
  return { head, gen, x, c };
}

/** The loss written out from docs/method.md 8.2 with the same random draws (noise, then times). */
function manualLoss(head: FlowHead, x: Tensor, c: Tensor, m: number, gen: Generator, mask?: number[]): number {
  const [n, C] = x.shape as [number, number];
  const eps = randn([m * n, C], { generator: gen }).dataSync();
  const t = sampleTimes(m * n, 'logit-normal', gen);
  const xs = x.dataSync();
  const xt = new Float32Array(m * n * C);
  const vStar = new Float32Array(m * n * C);
  for (let r = 0; r < m; r++)
    for (let i = 0; i < n; i++)
      for (let k = 0; k < C; k++) {
        const row = r * n + i;
        const e = eps[row * C + k]!;
        const d = xs[i * C + k]!;
        xt[row * C + k] = t[row]! * d + (1 - t[row]!) * e;
        vStar[row * C + k] = d - e;
      }
  const crep = tidy(() => c.unsqueeze(0).expand(m, n, c.shape[1]!).reshape(m * n, c.shape[1]!));
  const pred = head.forward(tensor(xt, { shape: [m * n, C] }), tensor(t), crep).dataSync();
  let num = 0;
  let den = 0;
  for (let row = 0; row < m * n; row++) {
    let l = 0;
    for (let k = 0; k < C; k++) l += (pred[row * C + k]! - vStar[row * C + k]!) ** 2;
    const w = mask ? mask[row % n]! : 1;
    num += (l / C) * w;
    den += w;
  }
  return mask ? num / (den + 1e-8) : num / den;
}

describe('flow-matching pieces', () => {
  it('interpolates noise (t = 0) to data (t = 1) with velocity x - eps', async () => {
    const x = tensor([[1, 2], [3, 4], [5, 6]]);
    const eps = tensor([[0.5, -1], [0, 0], [2, 2]]);
    const { xt, velocity } = flowInterpolate(x, eps, tensor([0, 1, 0.25]));
    expect(await values(velocity)).toEqual([0.5, 3, 3, 4, 3, 4]);
    expect(await values(xt)).toEqual([0.5, -1, 3, 4, 2.75, 3]);
    expect(() => flowInterpolate(x, eps, tensor([0, 1]))).toThrow('flowInterpolate: times [2] must hold one value per token (3)');
  });

  it('draws logit-normal and uniform times from the generator', () => {
    const a = sampleTimes(20000, 'logit-normal', new Generator(1));
    const b = sampleTimes(20000, { kind: 'logit-normal' }, new Generator(1));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(a.every((t) => t > 0 && t < 1)).toBe(true);
    const mean = a.reduce((s, t) => s + t, 0) / a.length;
    expect(mean).toBeCloseTo(0.5, 2); // symmetric around 1/2
    // Median of logit-normal(0.8, 1) is sigma(0.8).
    const shifted = Array.from(sampleTimes(20001, { kind: 'logit-normal', mean: 0.8, std: 1 }, new Generator(2))).sort((p, q) => p - q);
    expect(shifted[10000]).toBeCloseTo(1 / (1 + Math.exp(-0.8)), 2);
    const g = new Generator(3);
    const u = sampleTimes(4, 'uniform', g);
    const h = new Generator(3);
    expect(Array.from(u)).toEqual(Array.from({ length: 4 }, () => Math.fround(h.uniform())));
    expect(() => resolveTimeDistribution({ kind: 'logit-normal', std: 0 })).toThrow('flow: logit-normal time needs a finite mean and std > 0, got mean=0 std=0');
    expect(() => resolveTimeDistribution('beta' as 'uniform')).toThrow(`flow: unknown time distribution "beta" (expected 'logit-normal' or 'uniform')`);
  });
});

describe('flowMatchingLoss', () => {
  it('equals the loss written out from docs/method.md 8.2 (batchMul 1 and 4)', () => {
    const { head, x, c } = tinyProblem(10, [6]);
    for (const m of [1, 4]) {
      const g1 = new Generator(100 + m);
      const g2 = new Generator(100 + m);
      const loss = flowMatchingLoss(head, x, c, { batchMul: m, generator: g1 });
      expect(loss.shape).toEqual([]);
      expect(loss.itemSync()).toBeCloseTo(manualLoss(head, x, c, m, g2), 5);
      expect(g1.getState()).toEqual(g2.getState()); // same number of draws
    }
    head.dispose();
  });

  it('defaults to batchMul 4 and logit-normal time; is deterministic for a seed', () => {
    const { head, x, c } = tinyProblem(12, [2, 4]);
    const a = flowMatchingLoss(head, x, c, { generator: new Generator(5) }).itemSync();
    const b = flowMatchingLoss(head, x, c, { generator: new Generator(5), batchMul: 4, time: 'logit-normal' }).itemSync();
    const d = flowMatchingLoss(head, x, c, { generator: new Generator(6) }).itemSync();
    expect(a).toBe(b);
    expect(d).not.toBe(a);
    expect(a).toBeCloseTo(manualLoss(head, x.reshape(8, 3), c.reshape(8, 5), 4, new Generator(5)), 5);
    const u = flowMatchingLoss(head, x, c, { generator: new Generator(5), time: 'uniform' }).itemSync();
    expect(u).not.toBe(a);
    head.dispose();
  });

  it('averages over masked tokens only; an empty mask gives 0, not NaN', () => {
    const { head, x, c } = tinyProblem(14, [5]);
    const mask = [1, 0, 1, 1, 0];
    const mt = tensor(mask, { shape: [5] });
    const l = flowMatchingLoss(head, x, c, { batchMul: 2, mask: mt, generator: new Generator(1) }).itemSync();
    expect(l).toBeCloseTo(manualLoss(head, x, c, 2, new Generator(1), mask), 5);
    // Unmasked tokens do not matter at all.
    const x2 = x.add(tensor([0, 1, 0, 0, 1], { shape: [5, 1] }).mul(100));
    expect(flowMatchingLoss(head, x2, c, { batchMul: 2, mask: mt, generator: new Generator(1) }).itemSync()).toBe(l);
    // int32 masks work the same.
    const mi = tensor(Int32Array.from(mask));
    expect(flowMatchingLoss(head, x, c, { batchMul: 2, mask: mi, generator: new Generator(1) }).itemSync()).toBe(l);
    expect(flowMatchingLoss(head, x, c, { mask: tensor([0, 0, 0, 0, 0]), generator: new Generator(1) }).itemSync()).toBe(0);
    expect(flowMatchingLoss(head, randn([0, 3]), randn([0, 5])).itemSync()).toBe(0);
    head.dispose();
  });

  it('detachCondition: the condition gets exactly zero gradient while every head parameter gets one', async () => {
    const head = tinyHead(16);
    const gen = new Generator(17);
    const x = randn([4, 3], { generator: gen });
    const z = randn([4, 5], { generator: gen, requiresGrad: true });
    // Another loss term that reaches z (as ploss does): z.grad must be exactly its gradient (all ones).
    const total = tidy(() => flowMatchingLoss(head, x, z, { detachCondition: true, generator: new Generator(1) }).add(z.sum()));
    total.backward();
    expect((await values(z.grad!)).every((g) => g === 1)).toBe(true);
    for (const [name, p] of head.namedParameters()) {
      expect(p.grad, name).not.toBeNull();
      expect((await values(p.grad!)).some((g) => g !== 0), name).toBe(true);
    }
    const withGradParams = new Map(await Promise.all(head.namedParameters().map(async ([n, p]) => [n, await values(p.grad!)] as const)));
    head.zeroGrad();
    z.zeroGrad();
    // Without detaching, the flow loss reaches z; head gradients are identical either way.
    const total2 = tidy(() => flowMatchingLoss(head, x, z, { generator: new Generator(1) }).add(z.sum()));
    total2.backward();
    expect((await values(z.grad!)).some((g) => Math.abs(g - 1) > 1e-6)).toBe(true);
    for (const [name, p] of head.namedParameters()) expect(await values(p.grad!), name).toEqual(withGradParams.get(name));
    // And alone, the detached loss leaves z without any gradient.
    z.zeroGrad();
    const alone = flowMatchingLoss(head, x, z, { detachCondition: true, generator: new Generator(1) });
    alone.backward();
    expect(z.grad).toBeNull();
    head.dispose();
  });

  it('holds memory flat over training steps', () => {
    const { head, gen, x, c } = tinyProblem(18, [6]);
    const step = () => {
      head.zeroGrad();
      const l = flowMatchingLoss(head, x, c, { generator: gen, mask: undefined });
      l.backward();
      l.dispose();
    };
    step();
    const base = memory();
    for (let i = 0; i < 5; i++) step();
    expect(memory()).toMatchObject({ tensors: base.tensors, bytesInUse: base.bytesInUse });
    head.dispose();
  });

  it('names the problem in errors', () => {
    const head = tinyHead(20);
    const x = randn([4, 3]);
    expect(() => flowMatchingLoss(head, x, randn([4, 7]))).toThrow('flowMatchingLoss: condition width 7 (shape [4,7]) does not match config.conditionDim 5');
    expect(() => flowMatchingLoss(head, randn([4, 2]), randn([4, 5]))).toThrow('flowMatchingLoss: target [4,2] must end with config.tokenDim 3');
    expect(() => flowMatchingLoss(head, x, randn([3, 5]))).toThrow('flowMatchingLoss: condition [3,5] and target [4,3] must have the same leading dims');
    expect(() => flowMatchingLoss(head, x, randn([4, 5]), { batchMul: 0 })).toThrow('flowMatchingLoss: batchMul must be a positive integer, got 0');
    expect(() => flowMatchingLoss(head, x, randn([4, 5]), { mask: tensor([1, 0]) })).toThrow("flowMatchingLoss: mask [2] must have the tokens' shape [4]");
    head.dispose();
  });
});
