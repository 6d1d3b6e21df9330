/** The head: zero init, parameter names and counts, init distributions, shapes, errors, gradcheck. */
import { describe, expect, it } from 'vitest';
import { Generator, gradcheck, randn, rand, tensor, memory, type Tensor } from '@unihetero/tensor';
import { FLOW_HEAD_SIZES, FlowHead, flowHeadConfig, flowHeadParamCount, resolveFlowHeadConfig } from '../src/index.js';
import { randomize, setParameter, values } from './helpers.js';

describe('FlowHead structure', () => {
  it("has MAR's SimpleMLPAdaLN parameter names and shapes", () => {
    const head = new FlowHead({ tokenDim: 3, conditionDim: 5, width: 8, depth: 2, timeEmbedDim: 6 }, { generator: new Generator(0) });
    const shapes = head.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`);
    const block = (i: number) => [
      `res_blocks.${i}.in_ln.weight:8`,
      `res_blocks.${i}.in_ln.bias:8`,
      `res_blocks.${i}.mlp.0.weight:8x8`,
      `res_blocks.${i}.mlp.0.bias:8`,
      `res_blocks.${i}.mlp.2.weight:8x8`,
      `res_blocks.${i}.mlp.2.bias:8`,
      `res_blocks.${i}.adaLN_modulation.1.weight:24x8`,
      `res_blocks.${i}.adaLN_modulation.1.bias:24`,
    ];
    expect(shapes).toEqual([
      'time_embed.mlp.0.weight:8x6',
      'time_embed.mlp.0.bias:8',
      'time_embed.mlp.2.weight:8x8',
      'time_embed.mlp.2.bias:8',
      'cond_embed.weight:8x5',
      'cond_embed.bias:8',
      'input_proj.weight:8x3',
      'input_proj.bias:8',
      ...block(0),
      ...block(1),
      'final_layer.linear.weight:3x8',
      'final_layer.linear.bias:3',
      'final_layer.adaLN_modulation.1.weight:16x8',
      'final_layer.adaLN_modulation.1.bias:16',
    ]);
    head.dispose();
  });

  it("matches docs/method.md 8.1's parameter-count formula and its check values", () => {
    expect(flowHeadParamCount({ tokenDim: 16, conditionDim: 1024, width: 1024, depth: 3 })).toBe(20_245_520);
    expect(flowHeadParamCount(flowHeadConfig('small', { tokenDim: 48, conditionDim: 128 }))).toBe(359_856);
    const small = new FlowHead(flowHeadConfig('small', { tokenDim: 48, conditionDim: 128 }), { generator: new Generator(1) });
    expect(small.numParameters()).toBe(359_856);
    small.dispose();
    expect(flowHeadParamCount(flowHeadConfig('base', { tokenDim: 16, conditionDim: 1024 }))).toBe(20_245_520);
    // The generalised formula (MLP ratio, odd time features, separate output width) matches the module.
    for (const o of [
      { tokenDim: 4, conditionDim: 7, width: 6, depth: 2, mlpRatio: 2 },
      { tokenDim: 5, conditionDim: 3, width: 4, depth: 1, timeEmbedDim: 9, outDim: 10 },
    ]) {
      const h = new FlowHead(o, { generator: new Generator(2) });
      expect(h.numParameters()).toBe(flowHeadParamCount(o));
      h.dispose();
    }
  });

  it('offers small/base and the MAR sizes as presets', () => {
    expect(FLOW_HEAD_SIZES.small).toEqual({ width: 128, depth: 3 });
    expect(FLOW_HEAD_SIZES.base).toEqual({ width: 1024, depth: 3 });
    expect(FLOW_HEAD_SIZES['mar-base']).toEqual({ width: 1024, depth: 6 });
    expect(FLOW_HEAD_SIZES['mar-large']).toEqual({ width: 1280, depth: 8 });
    expect(FLOW_HEAD_SIZES['mar-huge']).toEqual({ width: 1536, depth: 12 });
    const c = flowHeadConfig('mar-large', { tokenDim: 16, conditionDim: 64 });
    expect(c).toEqual({ tokenDim: 16, conditionDim: 64, width: 1280, depth: 8, mlpRatio: 1, outDim: 16, timeEmbedDim: 256, timeScale: 1000, maxPeriod: 10000, eps: 1e-6 });
    expect(() => flowHeadConfig('tiny' as 'small', { tokenDim: 1, conditionDim: 1 })).toThrow("flowHeadConfig: unknown size 'tiny' (expected one of small, base, mar-base, mar-large, mar-huge)");
  });

  it('initialises as MAR: Xavier-uniform Linears, N(0, 0.02²) time MLP, zero biases, zero adaLN and output', async () => {
    const head = new FlowHead({ tokenDim: 16, conditionDim: 64, width: 128, depth: 2 }, { generator: new Generator(3) });
    const sd = head.stateDict();
    for (const [name, p] of sd) {
      const v = await values(p);
      if (name.endsWith('.bias')) expect(v.every((x) => x === 0), name).toBe(true);
      else if (name.includes('adaLN_modulation') || name.startsWith('final_layer.linear')) expect(v.every((x) => x === 0), name).toBe(true);
      else if (name.endsWith('in_ln.weight')) expect(v.every((x) => x === 1), name).toBe(true);
      else if (name.startsWith('time_embed')) {
        const std = Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length);
        expect(std, name).toBeGreaterThan(0.018);
        expect(std, name).toBeLessThan(0.022);
      } else {
        const [fo, fi] = p.shape as [number, number];
        const bound = Math.sqrt(6 / (fi + fo));
        expect(Math.max(...v.map(Math.abs)), name).toBeLessThanOrEqual(bound);
        const std = Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length);
        expect(std / (bound / Math.sqrt(3)), name).toBeGreaterThan(0.9); // U(-a, a) has std a/sqrt(3)
        expect(std / (bound / Math.sqrt(3)), name).toBeLessThan(1.1);
      }
    }
    head.dispose();
  });

  it("loads a MAR-style state dict (keys under `net.` with the prefix stripped) and reproduces its outputs", async () => {
    const gen = new Generator(9);
    const src = new FlowHead({ tokenDim: 3, conditionDim: 4, width: 8, depth: 2 }, { generator: gen });
    randomize(src, gen, 0.3);
    const mar = new Map([...src.stateDict()].map(([k, v]) => [`net.${k}`, v] as const));
    const dst = new FlowHead({ tokenDim: 3, conditionDim: 4, width: 8, depth: 2 }, { generator: new Generator(10) });
    dst.loadStateDict(new Map([...mar].map(([k, v]) => [k.replace(/^net\./, ''), v] as const)));
    const x = randn([5, 3], { generator: gen });
    const c = randn([5, 4], { generator: gen });
    expect(await values(dst.forward(x, 0.3, c))).toEqual(await values(src.forward(x, 0.3, c)));
    src.dispose();
    dst.dispose();
  });

  it('is deterministic for a seed', async () => {
    const a = new FlowHead({ tokenDim: 2, conditionDim: 3, width: 8, depth: 1 }, { generator: new Generator(7) });
    const b = new FlowHead({ tokenDim: 2, conditionDim: 3, width: 8, depth: 1 }, { generator: new Generator(7) });
    for (const [[n, p], [, q]] of a.namedParameters().map((e, i) => [e, b.namedParameters()[i]!] as const)) expect(await values(q), n).toEqual(await values(p));
    a.dispose();
    b.dispose();
  });
});

describe('FlowHead forward', () => {
  it('an untrained (zero-initialised) head outputs exactly 0', async () => {
    const gen = new Generator(4);
    const head = new FlowHead({ tokenDim: 16, conditionDim: 32, width: 64, depth: 3 }, { generator: gen });
    const x = randn([2, 5, 16], { generator: gen });
    const c = randn([2, 5, 32], { generator: gen });
    for (const t of [0, 0.37, 1, rand([2, 5], { generator: gen })]) {
      const v = head.forward(x, t, c);
      expect(v.shape).toEqual([2, 5, 16]);
      expect((await values(v)).every((e) => e === 0)).toBe(true);
      v.dispose();
      if (typeof t !== 'number') t.dispose();
    }
    for (const t of [x, c, head]) t.dispose();
  });

  it('treats tokens independently: leading dims, per-token times and a scalar time agree with the flat batch', async () => {
    const gen = new Generator(5);
    const head = new FlowHead({ tokenDim: 3, conditionDim: 4, width: 8, depth: 2, timeEmbedDim: 10 }, { generator: gen });
    randomize(head, gen, 0.3);
    const x = randn([2, 3, 3], { generator: gen });
    const c = randn([2, 3, 4], { generator: gen });
    const t = rand([2, 3], { generator: gen });
    const batched = await values(head.forward(x, t, c));
    const flat = await values(head.forward(x.reshape(6, 3), t.reshape(6), c.reshape(6, 4)));
    expect(flat).toEqual(batched);
    // Token 4 alone gives the same row.
    const one = await values(head.forward(x.reshape(6, 3).narrow(0, 4, 1), t.reshape(6).narrow(0, 4, 1), c.reshape(6, 4).narrow(0, 4, 1)));
    one.forEach((v, j) => expect(v).toBeCloseTo(batched[4 * 3 + j]!, 6));
    // A scalar time equals the same time given per token.
    const s = await values(head.forward(x, 0.25, c));
    const per = await values(head.forward(x, tensor(new Float32Array(6).fill(0.25), { shape: [2, 3] }), c));
    s.forEach((v, i) => expect(v).toBeCloseTo(per[i]!, 6));
    head.dispose();
  });

  it('frees every intermediate when run with call()', () => {
    const gen = new Generator(6);
    const head = new FlowHead({ tokenDim: 3, conditionDim: 4, width: 8, depth: 2 }, { generator: gen });
    const x = randn([5, 3], { generator: gen });
    const c = randn([5, 4], { generator: gen });
    const base = memory();
    for (let i = 0; i < 3; i++) head.call(x, 0.5, c).dispose();
    expect(memory()).toMatchObject({ tensors: base.tensors, bytesInUse: base.bytesInUse });
    for (const t of [x, c, head]) t.dispose();
  });

  it('names the operation and the offending values in errors', () => {
    const head = new FlowHead({ tokenDim: 4, conditionDim: 128, width: 8, depth: 1 }, { generator: new Generator(0) });
    const x = randn([3, 4]);
    expect(() => head.forward(x, 0.5, randn([3, 64]))).toThrow('FlowHead.forward: condition width 64 (shape [3,64]) does not match config.conditionDim 128');
    expect(() => head.forward(randn([3, 5]), 0.5, randn([3, 128]))).toThrow('FlowHead.forward: latent [3,5] must end with config.tokenDim 4');
    expect(() => head.forward(x, 0.5, randn([2, 128]))).toThrow("FlowHead.forward: condition [2,128] must have the latent's leading dims [3]");
    expect(() => head.forward(x, randn([2]), randn([3, 128]))).toThrow('FlowHead.forward: times [2] must be one per token [3] or a single value');
    expect(() => head.forward(x, NaN, randn([3, 128]))).toThrow('FlowHead: time must be finite, got NaN');
    expect(() => resolveFlowHeadConfig({ tokenDim: 4, conditionDim: 0 })).toThrow('FlowHead: conditionDim must be a positive integer, got 0');
    expect(() => resolveFlowHeadConfig({ tokenDim: 4, conditionDim: 2, width: 3, mlpRatio: 0.5 })).toThrow('FlowHead: width * mlpRatio must be an integer, got 3 * 0.5');
    head.dispose();
  });
});

describe('FlowHead gradients', () => {
  it('passes gradcheck (float64) for inputs, times and every parameter of a randomly re-initialised tiny head', async () => {
    const gen = new Generator(8);
    const head = new FlowHead({ tokenDim: 2, conditionDim: 3, width: 4, depth: 2, timeEmbedDim: 6, mlpRatio: 1.5, timeScale: 3 }, { generator: gen, dtype: 'float64' });
    randomize(head, gen, 0.7);
    const names = head.namedParameters().map(([n]) => n);
    const params = head.namedParameters().map(([, p]) => p);
    const x = randn([3, 2], { generator: gen, dtype: 'float64' });
    const c = randn([3, 3], { generator: gen, dtype: 'float64' });
    const t = rand([3], { generator: gen, dtype: 'float64' });
    const fn = (xi: Tensor, ti: Tensor, ci: Tensor, ...ps: Tensor[]) => {
      ps.forEach((p, i) => setParameter(head, names[i]!, p));
      // The head now computes with gradcheck's float64 copies (otherwise the check would be vacuous).
      if (head.final_layer.linear.weight !== ps[names.indexOf('final_layer.linear.weight')]) throw new Error('parameters were not swapped');
      return head.forward(xi, ti, ci);
    };
    await expect(gradcheck(fn, [x, t, c, ...params], { atol: 1e-6, rtol: 1e-4 })).resolves.toBe(true);
    head.dispose();
  });
});
