/**
 * `compile`: replayed results equal eager ones (forward, gradients, a fused Adam step, over many
 * steps), replay allocates nothing new and keeps live tensors flat, and every fallback reason
 * produces its message and the eager result.
 */
import { describe, expect, it } from 'vitest';
import {
  CpuBackend,
  Generator,
  applyElementwise,
  compile,
  crossEntropy,
  expr,
  hostEffect,
  hostScalar,
  liveTensorCount,
  noGrad,
  randn,
  tensor,
  tidy,
  type Backend,
  type Tensor,
} from '../src/index.js';

/** A tiny MLP with an Adam-like fused update; `step` is what gets compiled. */
function makeMlp(be: Backend, seed: number) {
  const gen = new Generator(seed);
  const w1 = randn([6, 16], { generator: gen, backend: be, requiresGrad: true });
  const w2 = randn([16, 4], { generator: gen, backend: be, requiresGrad: true });
  const params = [w1, w2];
  const state = params.map((p) => ({ m: noGrad(() => p.mul(0)), v: noGrad(() => p.mul(0)) }));
  let t = 0;
  const prog = expr.program(
    (() => {
      const p = expr.input(0, 'float32');
      const g = expr.input(1, 'float32');
      const m = expr.binary('add', expr.binary('mul', expr.input(2, 'float32'), expr.constant(0.9, 'float32')), expr.binary('mul', g, expr.constant(0.1, 'float32')));
      const v = expr.binary('add', expr.binary('mul', expr.input(3, 'float32'), expr.constant(0.99, 'float32')), expr.binary('mul', expr.binary('mul', g, g), expr.constant(0.01, 'float32')));
      const upd = expr.binary('div', m, expr.binary('add', expr.unary('sqrt', v), expr.constant(1e-8, 'float32')));
      return [expr.binary('sub', p, expr.binary('mul', upd, expr.scalar(0, 'float32'))), m, v];
    })(),
  );
  const lr = hostScalar(() => 0.01 / Math.sqrt(t));
  const step = (x: Tensor, y: Tensor): Tensor => {
    for (const p of params) p.zeroGrad();
    const loss = tidy(() => crossEntropy(x.matmul(w1).gelu('tanh').matmul(w2), y));
    loss.backward();
    hostEffect(() => {
      t += 1;
    });
    noGrad(() => params.forEach((p, i) => applyElementwise(prog, [p, p.grad!, state[i]!.m, state[i]!.v], [p, state[i]!.m, state[i]!.v], [lr])));
    return loss;
  };
  return { params, step, steps: () => t };
}

function batches(be: Backend, n: number) {
  const gen = new Generator(7);
  return Array.from({ length: n }, () => ({
    x: randn([8, 6], { generator: gen, backend: be }),
    y: tensor(Int32Array.from({ length: 8 }, () => gen.int(4)), { backend: be }),
  }));
}

describe('compile', () => {
  it('replays a training step (backward + fused update) with the same losses and weights as eager, fusing kernels', () => {
    const be = new CpuBackend();
    const data = batches(be, 4);
    const eager = makeMlp(be, 1);
    const comp = makeMlp(be, 1);
    const stepC = compile(comp.step, { onFallback: (m) => expect.fail(m) });
    for (let i = 0; i < 12; i++) {
      const { x, y } = data[i % data.length]!;
      const le = eager.step(x, y);
      const lc = stepC(x, y);
      expect(lc.itemSync()).toBeCloseTo(le.itemSync(), 5);
      le.dispose();
      lc.dispose();
    }
    const st = stepC.stats()!;
    expect(st.mode).toBe('replay');
    expect(st.replayed).toBeGreaterThan(4);
    expect(st.plan!.kernels).toBeLessThan(st.plan!.tracedKernels);
    expect(st.plan!.fused).toBeGreaterThan(0);
    expect(comp.steps()).toBe(12); // host effects replay
    for (let k = 0; k < 2; k++) {
      const a = eager.params[k]!.dataSync();
      const b = comp.params[k]!.dataSync();
      a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 5));
    }
  });

  it('a replayed step allocates nothing new after its first calls; storages and live tensors stay flat over 1,000 steps', () => {
    const be = new CpuBackend();
    const data = batches(be, 2);
    const m = makeMlp(be, 3);
    const step = compile(m.step, { onFallback: (msg) => expect.fail(msg) });
    for (let i = 0; i < 6; i++) step(data[i % 2]!.x, data[i % 2]!.y).dispose();
    expect(step.stats()!.mode).toBe('replay');
    const mem = be.memory();
    const live = liveTensorCount();
    for (let i = 0; i < 1000; i++) step(data[i % 2]!.x, data[i % 2]!.y).dispose();
    expect(be.memory()).toEqual(mem);
    expect(liveTensorCount()).toBe(live);
  });

  it('a new input signature traces again; replayed outputs are fresh tensors', () => {
    const be = new CpuBackend();
    const f = compile((a: Tensor, b: Tensor) => a.mul(b).add(1).exp().sum(-1), { onFallback: (m) => expect.fail(m) });
    const x = randn([3, 5], { backend: be });
    const y = randn([3, 5], { backend: be });
    const want = tidy(() => x.mul(y).add(1).exp().sum(-1)).dataSync();
    const outs = Array.from({ length: 4 }, () => f(x, y));
    for (const o of outs) Array.from(o.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    expect(new Set(outs.map((o) => o._slab.storage)).size).toBe(4);
    expect(f.stats()!.mode).toBe('replay');
    const z = randn([2, 5], { backend: be });
    const r = f(z, z);
    expect(f.stats()!.mode).toBe('tracing');
    expect(r.shape).toEqual([2]);
  });

  describe('fallbacks: each reason gives its message and the eager result', () => {
    const be = new CpuBackend();
    const run = (fn: (x: Tensor) => Tensor, calls = 8) => {
      const msgs: string[] = [];
      const c = compile(fn, { name: 'f', onFallback: (m) => msgs.push(m) });
      const x = tensor([1, 2, 3], { backend: be });
      const results = Array.from({ length: calls }, () => c(x));
      return { msgs, results, stats: c.stats()! };
    };

    it('host reads', () => {
      const { msgs, results } = run((x) => (x.sum().itemSync() > 0 ? x.mul(2) : x.mul(3)));
      expect(msgs).toEqual(['compile: f: running eagerly: it reads tensor values on the host (data(), item(), dataSync() ...) inside the function, so later calls could take another path']);
      expect(Array.from(results.at(-1)!.dataSync())).toEqual([2, 4, 6]);
    });

    it('a program that keeps changing (host random numbers)', () => {
      const gen = new Generator(0);
      const { msgs, results } = run((x) => x.mul(tensor([gen.uniform(), 1, 1], { backend: be })));
      expect(msgs).toHaveLength(1);
      expect(msgs[0]).toMatch(/^compile: f: running eagerly: the traced program kept changing between calls \(first difference at backend call \d+: 'alloc n\d+ float32\[3\] cpu data#3:[0-9a-f]+' then 'alloc n\d+ float32\[3\] cpu data#3:[0-9a-f]+'\): host random numbers/);
      expect(results.at(-1)!.dataSync()[1]).toBe(2);
    });

    it('returning an argument or a view of it shares it, as eager does', () => {
      const { msgs, results, stats } = run((x) => x.reshape(3, 1));
      expect(msgs).toEqual([]);
      expect(stats.mode).toBe('replay');
      expect(results.at(-1)!.shape).toEqual([3, 1]);
      expect(results.at(-1)!.dataSync()[2]).toBe(3);
    });

    it('disposing an argument', () => {
      const msgs: string[] = [];
      const c = compile((x: Tensor) => {
        const y = x.add(1);
        x.dispose();
        return y;
      }, { name: 'f', onFallback: (m) => msgs.push(m) });
      for (let i = 0; i < 4; i++) expect(c(tensor([1, 2], { backend: be })).dataSync()[1]).toBe(3);
      expect(msgs).toEqual(['compile: f: running eagerly: it disposes one of its arguments']);
    });

    it('returning a tensor with a live autograd graph', () => {
      const w = tensor([1, 1, 1], { backend: be, requiresGrad: true });
      const { msgs } = run((x) => x.mul(w));
      expect(msgs).toEqual(['compile: f: running eagerly: it returns a tensor that still has an autograd graph (call backward() inside the function, or run it under noGrad)']);
    });

    it('a Promise', async () => {
      const msgs: string[] = [];
      const c = compile(async (x: Tensor) => x.add(1), { name: 'f', onFallback: (m) => msgs.push(m) });
      const r = await c(tensor([1], { backend: be }));
      expect(msgs).toEqual(['compile: f: running eagerly: it returns a Promise (compile traces synchronous functions only)']);
      expect(r.itemSync()).toBe(2);
    });

    it('state freed between calls', () => {
      const msgs: string[] = [];
      const w = tensor([1, 2, 3], { backend: be, requiresGrad: true });
      const c = compile(
        (x: Tensor) => {
          const l = tidy(() => x.mul(w).sum());
          l.backward();
          return l;
        },
        { name: 'f', onFallback: (m) => msgs.push(m) },
      );
      const x = tensor([1, 1, 1], { backend: be });
      for (let i = 0; i < 12; i++) {
        w.zeroGrad(); // outside the compiled step: frees the gradient the step created
        c(x).dispose();
      }
      expect(msgs).toEqual(['compile: f: running eagerly: tensors the function created or used were disposed outside it between calls (e.g. zeroGrad() outside the compiled step: call it inside)']);
      expect(Array.from(w.grad!.dataSync())).toEqual([1, 1, 1]);
    });
  });
});
