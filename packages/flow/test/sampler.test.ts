/** ODE samplers: grid, Euler/Heun convergence on an exact velocity field, temperature, CFG, determinism. */
import { describe, expect, it } from 'vitest';
import { Generator, memory, randn, tensor, tidy, type Tensor } from '@unihetero/tensor';
import { FlowHead, integrateFlow, sampleFlow, timeGrid, type OdeMethod } from '../src/index.js';
import { randomize, values } from './helpers.js';

// Data x1 ~ N(mu, diag(sigma²)), noise x0 ~ N(0, I), x_t = t·x1 + (1 − t)·x0. The marginal at t
// is N(t·mu, s_t²) with s_t² = t²σ² + (1 − t)², the optimal velocity is
// v*(x, t) = mu + (tσ² − (1 − t)) / s_t² · (x − t·mu), and its flow maps x0 to mu + σ·x0 at t = 1.
const MU = [1, -2, 0.5];
const SIGMA = [0.5, 2, 1];
function exactVelocity(x: Tensor, t: number): Tensor {
  const a = MU.map((m, k) => m - ((t * SIGMA[k]! ** 2 - (1 - t)) / (t * t * SIGMA[k]! ** 2 + (1 - t) ** 2)) * t * m);
  const b = SIGMA.map((s) => (t * s * s - (1 - t)) / (t * t * s * s + (1 - t) ** 2));
  return tidy(() => x.mul(tensor(b)).add(tensor(a)));
}

async function endpointError(x0: Tensor, method: OdeMethod, steps: number, shift = 1): Promise<number> {
  const x1 = await values(integrateFlow(exactVelocity, x0, { method, steps, shift }));
  const z = await values(x0);
  let err = 0;
  z.forEach((v, i) => (err = Math.max(err, Math.abs(x1[i]! - (MU[i % 3]! + SIGMA[i % 3]! * v)))));
  return err;
}

/**
 * A head over 2-d tokens and 3-d conditions (width 8) from `Generator(seed)`, re-initialised
 * N(0, std²) when `std` is given, then `n` conditions from the same generator.
 */
function headAndConditions(seed: number, n: number, config: { depth: number; timeEmbedDim?: number }, std?: number): { gen: Generator; head: FlowHead; c: Tensor } {
  const gen = new Generator(seed);
  const head = new FlowHead({ tokenDim: 2, conditionDim: 3, width: 8, ...config }, { generator: gen });
  if (std !== undefined) randomize(head, gen, std);
  return { gen, head, c: randn([n, 3], { generator: gen }) };
}

describe('timeGrid', () => {
  it('is k/S, optionally shifted by t / (s − (s − 1)t), from exactly 0 to exactly 1', () => {
    expect(Array.from(timeGrid(4))).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(Array.from(timeGrid(2, 3))).toEqual([0, 0.5 / (3 - 2 * 0.5), 1]); // 0.25: more steps near noise
    const g = timeGrid(50, 2);
    expect(g.length).toBe(51);
    for (let k = 1; k < g.length; k++) expect(g[k]!).toBeGreaterThan(g[k - 1]!);
    expect(() => timeGrid(0)).toThrow('timeGrid: steps must be a positive integer, got 0');
    expect(() => timeGrid(4, 0)).toThrow('timeGrid: shift must be a finite number > 0, got 0');
  });
});

describe('integrateFlow on an exact Gaussian velocity field', () => {
  const x0 = randn([64, 3], { generator: new Generator(1) });

  it('Euler lands on the analytic endpoint mu + sigma·x0 with first-order error', async () => {
    const e = [await endpointError(x0, 'euler', 10), await endpointError(x0, 'euler', 20), await endpointError(x0, 'euler', 40), await endpointError(x0, 'euler', 160)];
    expect(e[0]).toBeLessThan(0.8); // measured 0.75, 0.39, 0.20 and 0.050 at S = 10, 20, 40, 160
    expect(e[3]).toBeLessThan(0.06);
    for (let i = 1; i < 3; i++) {
      const ratio = e[i - 1]! / e[i]!;
      expect(ratio).toBeGreaterThan(1.7); // halving h about halves the error
      expect(ratio).toBeLessThan(2.6);
    }
  });

  it('Heun converges at second order and beats Euler at the same step count', async () => {
    const h = [await endpointError(x0, 'heun', 10), await endpointError(x0, 'heun', 20), await endpointError(x0, 'heun', 40)];
    expect(h[2]).toBeLessThan(2.5e-3); // measured 0.032, 0.0072, 0.0017
    for (let i = 1; i < 3; i++) expect(h[i - 1]! / h[i]!).toBeGreaterThan(3.3); // ~4x per halving
    for (const s of [10, 20, 40]) expect(await endpointError(x0, 'heun', s)).toBeLessThan((await endpointError(x0, 'euler', s)) / 5);
    // A shifted grid still ends on the same point.
    expect(await endpointError(x0, 'heun', 40, 3)).toBeLessThan(1e-2);
  });

  it('leaves x0 alive, frees every step and rejects a velocity of the wrong shape', () => {
    const base = memory();
    const out = integrateFlow(exactVelocity, x0, { steps: 5, method: 'heun' });
    out.dispose();
    expect(memory().tensors).toBe(base.tensors);
    expect(x0.isDisposed).toBe(false);
    expect(() => integrateFlow((x) => x.sum(-1), x0, { steps: 2 })).toThrow('integrateFlow: the velocity at t=0 has shape [64], expected [64,3]');
    expect(() => integrateFlow(exactVelocity, x0, { method: 'rk4' as OdeMethod })).toThrow("integrateFlow: unknown method 'rk4' (expected 'euler' or 'heun')");
  });
});

describe('sampleFlow', () => {
  it('with an untrained head returns exactly the initial noise times the temperature', async () => {
    const head = new FlowHead({ tokenDim: 4, conditionDim: 6, width: 8, depth: 1 }, { generator: new Generator(0) });
    const c = randn([2, 3, 6], { generator: new Generator(1) });
    const noise = await values(randn([6, 4], { generator: new Generator(9) }));
    for (const tau of [1, 0.5]) {
      const s = sampleFlow(head, c, { steps: 3, temperature: tau, generator: new Generator(9) });
      expect(s.shape).toEqual([2, 3, 4]);
      expect(await values(s)).toEqual(noise.map((v) => Math.fround(v * tau)));
    }
    head.dispose();
  });

  it('defaults to 50 Euler steps and is deterministic for a seed', async () => {
    const { head, c } = headAndConditions(2, 5, { depth: 1, timeEmbedDim: 8 }, 0.3);
    let calls = 0;
    const counting = new Proxy(head, {
      get(target, prop, recv) {
        if (prop === 'velocityFromEmbeddings') calls++;
        return Reflect.get(target, prop, recv);
      },
    });
    const a = await values(sampleFlow(counting, c, { generator: new Generator(3) }));
    expect(calls).toBe(50);
    const b = await values(sampleFlow(head, c, { generator: new Generator(3), steps: 50, method: 'euler' }));
    expect(b).toEqual(a);
    const d = await values(sampleFlow(head, c, { generator: new Generator(4) }));
    expect(d).not.toEqual(a);
    calls = 0;
    sampleFlow(counting, c, { generator: new Generator(3), steps: 7, method: 'heun' }).dispose();
    expect(calls).toBe(14);
    head.dispose();
  });

  it('applies classifier-free guidance v_u + g·(v_c − v_u) with a broadcast null condition', async () => {
    const { gen, head, c } = headAndConditions(5, 4, { depth: 2, timeEmbedDim: 8 }, 0.3);
    const nul = randn([3], { generator: gen });
    const x0 = randn([4, 2], { generator: new Generator(6) });
    const g = 2.5;
    const s = await values(sampleFlow(head, c, { steps: 1, cfgScale: g, nullCondition: nul, noise: x0 }));
    const vc = await values(head.forward(x0, 0, c));
    const vu = await values(head.forward(x0, 0, nul.reshape(1, 3).expand(4, 3)));
    const x = await values(x0);
    s.forEach((v, i) => expect(v).toBeCloseTo(x[i]! + vu[i]! + g * (vc[i]! - vu[i]!), 5));
    // g = 0 samples the unconditional model; a null condition of the full shape works too.
    const u0 = await values(sampleFlow(head, c, { steps: 4, cfgScale: 0, nullCondition: nul.reshape(1, 3).expand(4, 3).contiguous(), noise: x0, method: 'heun' }));
    const un = await values(sampleFlow(head, nul.reshape(1, 3).expand(4, 3).contiguous(), { steps: 4, noise: x0, method: 'heun' }));
    u0.forEach((v, i) => expect(v).toBeCloseTo(un[i]!, 5));
    head.dispose();
  });

  it('frees everything but the result', () => {
    const { gen, head, c } = headAndConditions(7, 4, { depth: 1 });
    const nul = randn([1, 3], { generator: gen });
    const base = memory();
    sampleFlow(head, c, { steps: 3, method: 'heun', cfgScale: 3, nullCondition: nul, generator: gen }).dispose();
    expect(memory()).toMatchObject({ tensors: base.tensors, bytesInUse: base.bytesInUse });
    head.dispose();
  });

  it('names the problem in errors', () => {
    const head = new FlowHead({ tokenDim: 2, conditionDim: 3, width: 8, depth: 1 }, { generator: new Generator(0) });
    const c = randn([4, 3]);
    expect(() => sampleFlow(head, c, { cfgScale: 2 })).toThrow('sampleFlow: cfgScale 2 needs options.nullCondition (the unconditional condition)');
    expect(() => sampleFlow(head, c, { cfgScale: 2, nullCondition: randn([2, 3]) })).toThrow("sampleFlow: nullCondition [2,3] must be [3], [1, 3] or the condition's shape [4,3]");
    expect(() => sampleFlow(head, randn([4, 5]))).toThrow('sampleFlow: condition width 5 (shape [4,5]) does not match config.conditionDim 3');
    expect(() => sampleFlow(head, c, { temperature: -1 })).toThrow('sampleFlow: temperature must be a finite number >= 0, got -1');
    expect(() => sampleFlow(head, c, { noise: randn([4, 3]) })).toThrow('sampleFlow: noise [4,3] must be [4,2]');
    const two = new FlowHead({ tokenDim: 2, conditionDim: 3, width: 8, depth: 1, outDim: 4 }, { generator: new Generator(0) });
    expect(() => sampleFlow(two, c)).toThrow('sampleFlow: the head predicts 4 channels but sampling needs a velocity of config.tokenDim 2');
    head.dispose();
    two.dispose();
  });
});
