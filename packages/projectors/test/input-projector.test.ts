import { describe, expect, it } from 'vitest';
import { Generator, Tensor, memory, noGrad, tensor, tidy, zeros } from '@unihetero/tensor';
import { Linear } from '@unihetero/nn';
import { InputProjector, l2Normalize, projectorDepth } from '../src/index.js';
import { gradcheckWithParams, host, normal } from './helpers.js';

describe('InputProjector', () => {
  it('defaults to mlp2x_gelu with LLaVA state-dict keys and shapes', () => {
    const P = new InputProjector(6, 4, { generator: new Generator(0) });
    expect(P.type).toBe('mlp2x_gelu');
    expect(P.depth).toBe(2);
    expect([...P.stateDict()].map(([k, t]) => [k, t.shape])).toEqual([
      ['0.weight', [4, 6]],
      ['0.bias', [4]],
      ['2.weight', [4, 4]],
      ['2.bias', [4]],
    ]);
    expect(P.numParameters()).toBe(4 * 6 + 4 + 16 + 4);
  });

  it('computes W_b GELU(W_a f + a) + b exactly as nn.Linear and exact GELU do (docs/method.md 4)', () => {
    const gen = new Generator(1);
    const P = new InputProjector(3, 5, { generator: gen });
    const f = normal([2, 4, 3], gen, 'float32');
    const l0 = P._modules.get('0') as Linear;
    const l2 = P._modules.get('2') as Linear;
    const want = noGrad(() => l2.forward(l0.forward(f).gelu()));
    expect(host(P.forward(f))).toEqual(host(want));
    expect(P.forward(f).shape).toEqual([2, 4, 5]);
    // 1-D input too
    const v = f.select(0, 0).select(0, 1);
    expect(host(P.forward(v))).toEqual(host(want.select(0, 0).select(0, 1)));
  });

  it('offers a linear option and deeper mlp<N>x_gelu', () => {
    const gen = new Generator(2);
    const L = new InputProjector(3, 2, { type: 'linear', generator: gen, bias: false });
    expect([...L.stateDict().keys()]).toEqual(['0.weight']);
    const f = normal([4, 3], gen, 'float32');
    const w = host((L._modules.get('0') as Linear).weight);
    const fr = host(f);
    const got = host(L.forward(f));
    for (let i = 0; i < 4; i++)
      for (let o = 0; o < 2; o++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += fr[i * 3 + k]! * w[o * 3 + k]!;
        expect(got[i * 2 + o]).toBeCloseTo(s, 6);
      }
    const D = new InputProjector(3, 2, { type: 'mlp3x_gelu', generator: gen });
    expect([...D.stateDict().keys()]).toEqual(['0.weight', '0.bias', '2.weight', '2.bias', '4.weight', '4.bias']);
    expect(projectorDepth('mlp12x_gelu')).toBe(12);
  });

  it('L2-normalises the feature first when asked (norm-3-mlp-cos)', () => {
    const gen = new Generator(3);
    const N = new InputProjector(3, 4, { generator: new Generator(9), normalizeInput: true });
    const plain = new InputProjector(3, 4, { generator: new Generator(9) });
    const f = normal([5, 3], gen, 'float32');
    expect(host(N.forward(f))).toEqual(host(plain.forward(l2Normalize(f))));
    expect(host(N.forward(f.mul(7)))).toEqual(host(N.forward(f.mul(7)))); // deterministic
    host(N.forward(f.mul(7))).forEach((v, i) => expect(v).toBeCloseTo(host(N.forward(f))[i]!, 5)); // scale invariant
    expect(host(N.forward(zeros([1, 3])))).toEqual(host(plain.forward(zeros([1, 3])))); // zero feature stays zero
  });

  it('forwardWith runs the same function on other weights', () => {
    const a = new InputProjector(2, 3, { generator: new Generator(4) });
    const b = new InputProjector(2, 3, { generator: new Generator(5) });
    const f = normal([3, 2], new Generator(6), 'float32');
    const bw = new Map(b.namedParameters());
    expect(host(a.forwardWith((n) => bw.get(n), f))).toEqual(host(b.forward(f)));
    expect(() => a.forwardWith((n) => (n === '2.bias' ? undefined : bw.get(n)), f)).toThrow("InputProjector.forwardWith: no weight '2.bias'");
    expect(() => a.forwardWith((n) => (n === '0.weight' ? zeros([3, 3]) : bw.get(n)), f)).toThrow("InputProjector.forwardWith: '0.weight' is [3,3], expected [3,2]");
  });

  it('is seeded: same generator seed, same weights', () => {
    const a = new InputProjector(4, 4, { generator: new Generator(7) });
    const b = new InputProjector(4, 4, { generator: new Generator(7) });
    for (const [[n, x], [, y]] of a.namedParameters().map((p, i) => [p, b.namedParameters()[i]!] as const)) expect(host(x), n).toEqual(host(y));
  });

  it('passes gradcheck with respect to the feature and every weight', async () => {
    const gen = new Generator(8);
    for (const normalizeInput of [false, true]) {
      const P = new InputProjector(3, 2, { generator: gen, dtype: 'float64', normalizeInput });
      await gradcheckWithParams([P], (f) => P.forward(f), [normal([2, 3], gen)]);
    }
  });

  it('gradcheckWithParams really differentiates through the swapped-in weights (negative control)', async () => {
    const P = new InputProjector(2, 2, { generator: new Generator(9), dtype: 'float64' });
    // a term whose value depends on 0.weight but whose gradient is cut must be caught
    const broken = (f: Tensor) => P.forward(f).sum().add((P._modules.get('0') as Linear).weight.square().sum().detach());
    await expect(gradcheckWithParams([P], broken, [normal([1, 2], new Generator(1))])).rejects.toThrow('gradcheck: gradient mismatch for input 1');
  });

  it('frees its intermediates when run with call() (or forward inside a tidy)', () => {
    const P = new InputProjector(3, 4, { generator: new Generator(0), normalizeInput: true });
    const f = tensor([[1, 2, 3]]);
    const before = memory().tensors;
    P.call(f).dispose();
    noGrad(() => P.call(f)).dispose();
    tidy(() => P.forward(f)).dispose();
    expect(memory().tensors).toBe(before);
  });

  it('names bad configs and inputs', () => {
    expect(() => new InputProjector(3, 4, { type: 'mlp0x_gelu' as never })).toThrow(
      "InputProjector: unknown type 'mlp0x_gelu' (expected 'linear' or 'mlp<N>x_gelu' with N >= 1, e.g. 'mlp2x_gelu')",
    );
    expect(() => new InputProjector(0, 4)).toThrow('InputProjector: featureDim must be a positive integer, got 0');
    expect(() => new InputProjector(3, 2.5)).toThrow('InputProjector: llmDim must be a positive integer, got 2.5');
    const P = new InputProjector(3, 4);
    expect(() => P.forward(zeros([2, 5]))).toThrow('InputProjector.forward: feature width 5 does not match featureDim 3 (input [2,5])');
  });
});
