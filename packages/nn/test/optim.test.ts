/** Optimizers, clipping, schedules and EMA against hand-computed values. */
import { describe, expect, it } from 'vitest';
import { Generator, Tensor, memory, noGrad, tensor, tidy } from '@unihetero/tensor';
import {
  Adam,
  AdamW,
  ExponentialMovingAverage,
  LayerNorm,
  Linear,
  LRScheduler,
  Module,
  SGD,
  clipGradNorm,
  constantLR,
  linearWarmupCosine,
  linearWarmupLinear,
  warmupStableDecay,
  paramGroupsNoDecay,
} from '../src/index.js';

const P0 = [0.5, -1.5, 2.0];

/** Loss whose gradient is `c * p^3 + p` elementwise (varies with p, so updates depend on history). */
const C = [0.3, -0.2, 0.1];
function gradOf(p: number[]): number[] {
  return p.map((v, i) => C[i]! * v * v * v + v);
}
function lossTensor(p: Tensor): Tensor {
  const c = tensor(C);
  const l = tidy(() => p.pow(4).mul(c).mul(0.25).add(p.square().mul(0.5)).sum());
  c.dispose();
  return l;
}
function runSteps(p: Tensor, opt: { zeroGrad(): void; step(): void }, n: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    opt.zeroGrad();
    const l = lossTensor(p);
    l.backward();
    l.dispose();
    opt.step();
    out.push(Array.from(p.dataSync()));
  }
  return out;
}
function expectClose(got: number[][], want: number[][], digits = 5): void {
  expect(got.length).toBe(want.length);
  got.forEach((row, i) => row.forEach((v, j) => expect(v, `step ${i} elem ${j}`).toBeCloseTo(want[i]![j]!, digits)));
}

/** torch.optim.AdamW (decoupled) / Adam (coupled) in float64. */
function refAdam(opts: { lr: number; b1: number; b2: number; eps: number; wd: number; decoupled: boolean; amsgrad?: boolean }, n: number): number[][] {
  const p = [...P0];
  const m = [0, 0, 0];
  const v = [0, 0, 0];
  const vmax = [0, 0, 0];
  const out: number[][] = [];
  for (let t = 1; t <= n; t++) {
    let g = gradOf(p);
    if (opts.decoupled) for (let i = 0; i < 3; i++) p[i]! *= 1 - opts.lr * opts.wd;
    else g = g.map((gi, i) => gi + opts.wd * p[i]!);
    for (let i = 0; i < 3; i++) {
      m[i] = opts.b1 * m[i]! + (1 - opts.b1) * g[i]!;
      v[i] = opts.b2 * v[i]! + (1 - opts.b2) * g[i]! * g[i]!;
      const bc1 = 1 - opts.b1 ** t;
      const bc2 = 1 - opts.b2 ** t;
      vmax[i] = Math.max(vmax[i]!, v[i]!);
      const denom = Math.sqrt(opts.amsgrad ? vmax[i]! : v[i]!) / Math.sqrt(bc2) + opts.eps;
      p[i]! -= (opts.lr / bc1) * (m[i]! / denom);
    }
    out.push([...p]);
  }
  return out;
}

/** torch.optim.SGD in float64. */
function refSGD(o: { lr: number; momentum: number; dampening: number; nesterov: boolean; wd: number }, n: number): number[][] {
  const p = [...P0];
  let buf: number[] | null = null;
  const out: number[][] = [];
  for (let t = 0; t < n; t++) {
    let d = gradOf(p).map((g, i) => g + o.wd * p[i]!);
    if (o.momentum !== 0) {
      buf = buf === null ? [...d] : buf.map((b, i) => o.momentum * b + (1 - o.dampening) * d[i]!);
      d = o.nesterov ? d.map((di, i) => di + o.momentum * buf![i]!) : [...buf];
    }
    for (let i = 0; i < 3; i++) p[i]! -= o.lr * d[i]!;
    out.push([...p]);
  }
  return out;
}

describe('AdamW / Adam', () => {
  it('AdamW matches torch.optim.AdamW for 3 steps (decoupled decay, bias correction)', () => {
    const p = tensor(P0, { requiresGrad: true });
    const opt = new AdamW([p], { lr: 0.1, betas: [0.8, 0.95], eps: 1e-6, weightDecay: 0.05 });
    expectClose(runSteps(p, opt, 3), refAdam({ lr: 0.1, b1: 0.8, b2: 0.95, eps: 1e-6, wd: 0.05, decoupled: true }, 3));
    expect(opt.getState(p)!.step).toBe(3);
    opt.dispose();
    p.dispose();
  });

  it('AdamW defaults are torch defaults and Adam adds L2 decay to the gradient', () => {
    const p = tensor(P0, { requiresGrad: true });
    const opt = new AdamW([p]);
    expect(opt.paramGroups[0]).toMatchObject({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 });
    expectClose(runSteps(p, opt, 3), refAdam({ lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.01, decoupled: true }, 3), 6);
    opt.dispose();
    p.dispose();
    const q = tensor(P0, { requiresGrad: true });
    const adam = new Adam([q], { lr: 0.05, weightDecay: 0.1 });
    expectClose(runSteps(q, adam, 3), refAdam({ lr: 0.05, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.1, decoupled: false }, 3));
    adam.dispose();
    q.dispose();
    const r = tensor(P0, { requiresGrad: true });
    const ams = new AdamW([r], { lr: 0.2, betas: [0.5, 0.6], amsgrad: true });
    expectClose(runSteps(r, ams, 3), refAdam({ lr: 0.2, b1: 0.5, b2: 0.6, eps: 1e-8, wd: 0.01, decoupled: true, amsgrad: true }, 3));
    ams.loadStateDict(ams.stateDict()); // reloading its own state is safe
    expect(ams.getState(r)!.step).toBe(3);
    ams.dispose();
    r.dispose();
  });

  it('paramGroupsNoDecay puts biases and 1-D params in a weightDecay 0 group that is not decayed', () => {
    class Net extends Module {
      fc = new Linear(3, 2, { generator: new Generator(0) });
      norm = new LayerNorm(2);
    }
    const net = new Net();
    const groups = paramGroupsNoDecay(net, { weightDecay: 0.5 });
    expect(groups.map((g) => g.params.length)).toEqual([1, 3]);
    expect(groups[0]!.params[0]).toBe(net.fc.weight);
    expect(groups[1]!.weightDecay).toBe(0);
    const opt = new AdamW(groups, { lr: 0.1 });
    // Zero gradients: Adam's step is 0, so only decoupled decay moves parameters.
    const w0 = Array.from(net.fc.weight.dataSync());
    const b0 = Array.from(net.fc.bias!.dataSync());
    for (const p of net.parameters()) p.grad = tensor(new Float32Array(p.size), { shape: [...p.shape] });
    opt.step();
    Array.from(net.fc.weight.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(w0[i]! * (1 - 0.1 * 0.5), 6));
    expect(Array.from(net.fc.bias!.dataSync())).toEqual(b0);
    expect(Array.from(net.norm.weight!.dataSync())).toEqual([1, 1]);
    opt.dispose();
    net.dispose();
  });

  it('state dicts restore moments, step counts and lr so training continues identically', () => {
    const a = tensor(P0, { requiresGrad: true });
    const optA = new AdamW([a], { lr: 0.05 });
    runSteps(a, optA, 2);
    optA.paramGroups[0]!.lr = 0.02;
    const b = tensor(Array.from(a.dataSync()), { requiresGrad: true });
    const optB = new AdamW([b], { lr: 0.9 });
    optB.loadStateDict(optA.stateDict());
    expect(optB.paramGroups[0]!.lr).toBe(0.02);
    expect(optB.getState(b)!.step).toBe(2);
    expect(runSteps(b, optB, 2)).toEqual(runSteps(a, optA, 2));
    expect(() => optB.loadStateDict({ state: new Map(), paramGroups: [] })).toThrow('AdamW.loadStateDict: state dict has 0 parameter groups, optimizer has 1');
    for (const x of [optA, optB, a, b]) x.dispose();
  });

  it('rejects bad hyperparameters with the offending values', () => {
    const p = tensor([1], { requiresGrad: true });
    expect(() => new AdamW([p], { betas: [0.9, 1.5] })).toThrow('AdamW group 0: betas must be two numbers in [0, 1), got [0.9,1.5]');
    expect(() => new SGD([p], { lr: 0.1, nesterov: true })).toThrow('SGD group 0: Nesterov momentum requires a momentum > 0 and zero dampening, got momentum=0 dampening=0');
    expect(() => new SGD([p, p], { lr: 0.1 })).toThrow(/appears in more than one group/);
    p.dispose();
  });
});

describe('SGD', () => {
  const cases = [
    { name: 'plain', lr: 0.1, momentum: 0, dampening: 0, nesterov: false, wd: 0 },
    { name: 'momentum', lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, wd: 0 },
    { name: 'momentum + dampening + weight decay', lr: 0.05, momentum: 0.8, dampening: 0.3, nesterov: false, wd: 0.1 },
    { name: 'nesterov + weight decay', lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true, wd: 0.01 },
  ];
  for (const c of cases) {
    it(`matches torch.optim.SGD for 3 steps: ${c.name}`, () => {
      const p = tensor(P0, { requiresGrad: true });
      const opt = new SGD([p], { lr: c.lr, momentum: c.momentum, dampening: c.dampening, nesterov: c.nesterov, weightDecay: c.wd });
      expectClose(runSteps(p, opt, 3), refSGD(c, 3));
      opt.dispose();
      p.dispose();
    });
  }
});

describe('clipGradNorm', () => {
  it('returns the total 2-norm and scales gradients by maxNorm / (norm + 1e-6)', async () => {
    const a = tensor([1, 1], { requiresGrad: true });
    const b = tensor([[1]], { requiresGrad: true });
    a.grad = tensor([3, 4]);
    b.grad = tensor([[12]]);
    const norm = clipGradNorm([a, b], 6.5);
    expect(await norm.item()).toBeCloseTo(13, 5);
    const s = 6.5 / (13 + 1e-6);
    expect(Array.from(a.grad.dataSync())).toEqual([expect.closeTo(3 * s, 5), expect.closeTo(4 * s, 5)]);
    expect(b.grad.dataSync()[0]).toBeCloseTo(12 * s, 5);
    norm.dispose();
    // Under the limit: unchanged (coefficient clamped to 1).
    const n2 = clipGradNorm([a, b], 100);
    expect(await n2.item()).toBeCloseTo(6.5, 4);
    expect(b.grad.dataSync()[0]).toBeCloseTo(12 * s, 5);
    n2.dispose();
    const ninf = clipGradNorm([a, b], 1, Infinity);
    expect(await ninf.item()).toBeCloseTo(12 * s, 5);
    expect(b.grad.dataSync()[0]).toBeCloseTo(1, 5);
    ninf.dispose();
    a.dispose();
    b.dispose();
  });

  it('scales in place with bitwise the values of g.mul(coef), float32 and float64, the norm before clipping returned', async () => {
    const values = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 1.37) * (1 + (i % 5)));
    for (const dtype of ['float32', 'float64'] as const) {
      const ps = [tensor(values(37, 1), { dtype, requiresGrad: true }), tensor(values(12, 2), { dtype, requiresGrad: true }).reshape(3, 4)];
      const grads = [tensor(values(37, 3), { dtype }), tensor(values(12, 4), { dtype, shape: [3, 4] })];
      ps.forEach((p, i) => (p.grad = grads[i]!.clone()));
      const norm = clipGradNorm(ps, 0.5);
      const want = noGrad(() => {
        const total = grads.map((g) => g.square().sum()).reduce((x, y) => x.add(y)).sqrt();
        const coef = total.add(1e-6).reciprocal().mul(0.5).clamp(undefined, 1);
        return { total, scaled: grads.map((g) => g.mul(coef)) };
      });
      expect(Array.from(norm.dataSync())).toEqual(Array.from(want.total.dataSync()));
      ps.forEach((p, i) => expect(Array.from(p.grad!.dataSync())).toEqual(Array.from(want.scaled[i]!.dataSync())));
      expect(norm.dtype).toBe(dtype);
    }
  });
});

describe('LR schedules', () => {
  it('linear warmup then cosine to minLr, and the scheduler writes group lrs with lrScale', () => {
    const f = linearWarmupCosine({ lr: 1, warmupSteps: 4, totalSteps: 14, minLr: 0.1 });
    expect([0, 1, 2, 3].map(f)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(f(4)).toBeCloseTo(1, 12);
    expect(f(9)).toBeCloseTo(0.1 + 0.45 * (1 + Math.cos(Math.PI / 2)), 12);
    expect(f(14)).toBe(0.1);
    expect(f(100)).toBe(0.1);
    const lin = linearWarmupLinear({ lr: 2, warmupSteps: 0, totalSteps: 4 });
    expect([0, 1, 2, 3, 4].map(lin)).toEqual([2, 1.5, 1, 0.5, 0]);
    expect(constantLR(0.3)(77)).toBe(0.3);
    // Warmup 2, stable until the last fifth of the 10 post-warmup steps, then a half-cosine to 0.1.
    const wsd = warmupStableDecay({ lr: 1, warmupSteps: 2, totalSteps: 12, minLr: 0.1 });
    expect([0, 1, 2, 9].map(wsd)).toEqual([0.5, 1, 1, 1]);
    expect(wsd(10)).toBeCloseTo(1, 12);
    expect(wsd(11)).toBeCloseTo(0.1 + 0.45 * (1 + Math.cos(Math.PI / 2)), 12);
    expect(wsd(12)).toBe(0.1);
    expect(() => warmupStableDecay({ warmupSteps: 0, totalSteps: 4, decayFraction: 2 })).toThrow('warmupStableDecay: decayFraction must be in [0, 1], got 2');
    expect(() => linearWarmupCosine({ warmupSteps: 5, totalSteps: 3 })).toThrow('linearWarmupCosine: totalSteps must be an integer >= warmupSteps (5), got 3');

    const p = tensor([1], { requiresGrad: true });
    const q = tensor([1], { requiresGrad: true });
    const opt = new SGD([{ params: [p] }, { params: [q], lrScale: 0.5 }], { lr: 123 });
    const sched = new LRScheduler(opt, linearWarmupCosine({ lr: 0.2, warmupSteps: 2, totalSteps: 10 }));
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.05]);
    sched.step();
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.2, 0.1]);
    sched.setStep(10);
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0, 0]);
    p.dispose();
    q.dispose();
  });
});

describe('ExponentialMovingAverage', () => {
  it('averages theta_ema = m * ema + (1 - m) * theta on device, copies to a module, and has a state dict', () => {
    const lin = new Linear(2, 1, { generator: new Generator(0) });
    const w0 = Array.from(lin.weight.dataSync());
    const ema = new ExponentialMovingAverage(lin, { decay: 0.9 });
    expect([...ema.stateDict().keys()]).toEqual(['weight', 'bias']);
    const ref = [...w0];
    for (let k = 1; k <= 3; k++) {
      const v = tensor([[k, -k]]);
      lin.weight.assign(v);
      v.dispose();
      ema.update();
      ref[0] = 0.9 * ref[0]! + 0.1 * k;
      ref[1] = 0.9 * ref[1]! - 0.1 * k;
    }
    expect(ema.numUpdates).toBe(3);
    const sw = Array.from(ema.shadows().get('weight')!.dataSync());
    sw.forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 6));
    ema.store();
    ema.copyTo();
    Array.from(lin.weight.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 6));
    ema.restore();
    expect(Array.from(lin.weight.dataSync())).toEqual([3, -3]);
    // Warmup decay rule.
    const w = new ExponentialMovingAverage([lin.weight], { decay: 0.999, warmup: true });
    expect(w.currentDecay()).toBeCloseTo(0.1, 12);
    expect([...w.stateDict().keys()]).toEqual(['0']);
    const base = memory().tensors;
    for (let i = 0; i < 5; i++) ema.update();
    expect(memory().tensors).toBe(base);
    w.dispose();
    ema.dispose();
    lin.dispose();
  });
});
