/**
 * `compile` on WebGPU: every op case of the tensor package's suite (forward and backward) replays
 * with the eager results, and a compiled training step (MLP, cross-entropy, fused AdamW) matches
 * the eager one with fewer dispatches per step and no new buffers after its first calls.
 */
import { describe, expect, it } from 'vitest';
import { Generator, compile, crossEntropy, linspace, noGrad, randn, tensor, tidy, type Tensor } from '@unihetero/tensor';
import { allCases, withDefaultBackend } from '@unihetero/tensor/testing';
import { useBackends } from './helpers.js';

const b = useBackends();

function close(what: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  expect(got.length, `${what} length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w) ? Number.isNaN(g) : Math.abs(g - w) <= 1e-5 + 1e-4 * Math.abs(w)) continue;
    throw new Error(`${what}[${i}]: compiled ${g} vs eager ${w}`);
  }
}

describe('compiled op cases equal eager (WebGPU)', () => {
  for (const [name, caseFn, makeInputs] of allCases) {
    const fn = caseFn as unknown as (...xs: Tensor[]) => Tensor;
    it(name, () =>
      withDefaultBackend(b.gpu, async () => {
        const xs = makeInputs().map((h) => tensor(h.data, { shape: h.shape, backend: b.gpu, requiresGrad: true }));
        const step = (...args: Tensor[]): Tensor => {
          for (const x of args) x.zeroGrad();
          const out = tidy(() => fn(...args));
          const loss = tidy(() => out.mul(linspace(0.5, 1.5, out.size, { backend: b.gpu }).reshape([...out.shape])).sum());
          loss.backward();
          loss.dispose();
          return out;
        };
        // The first (traced, eager) call is the reference for the replay of the fourth.
        const c = compile(step, { name, onFallback: (m) => expect.fail(m) });
        let out = c(...xs);
        const want = [await out.data(), ...(await Promise.all(xs.map((x) => (x.grad ? x.grad.data() : null))))];
        for (let k = 1; k < 4; k++) {
          out.dispose();
          out = c(...xs);
        }
        expect(c.stats()!.mode).toBe('replay');
        const got = [await out.data(), ...(await Promise.all(xs.map((x) => (x.grad ? x.grad.data() : null))))];
        want.forEach((w, i) => w && close(`${name} ${i === 0 ? 'forward' : `grad ${i - 1}`}`, got[i]!, w));
        out.dispose();
        c.reset();
        for (const x of xs) x.dispose();
      }),
    );
  }
});

describe('a compiled training step on WebGPU', () => {
  it('matches eager losses, dispatches fewer kernels per step, and creates no buffers after its first calls', async () => {
    const make = () => {
      const gen = new Generator(5);
      const w1 = randn([32, 64], { generator: gen, backend: b.gpu }).mul(0.2).requiresGrad_();
      const w2 = randn([64, 10], { generator: gen, backend: b.gpu }).mul(0.2).requiresGrad_();
      const step = (x: Tensor, y: Tensor): Tensor => {
        w1.zeroGrad();
        w2.zeroGrad();
        const loss = tidy(() => crossEntropy(x.matmul(w1).relu().matmul(w2), y));
        loss.backward();
        // SGD with weight decay, written as eager ops (compile fuses them)
        noGrad(() => tidy(() => [w1, w2].forEach((w) => w.assign(w.sub(w.grad!.add(w.mul(0.01)).mul(0.05))))));
        return loss;
      };
      return step;
    };
    const gen = new Generator(9);
    const x = randn([16, 32], { generator: gen, backend: b.gpu });
    const y = tensor(Int32Array.from({ length: 16 }, () => gen.int(10)), { backend: b.gpu });
    const eager = make();
    const compiled = compile(make(), { onFallback: (m) => expect.fail(m) });
    let eagerDispatches = 0;
    let replayDispatches = 0;
    for (let s = 0; s < 6; s++) {
      const d0 = b.gpu.dispatches;
      const le = eager(x, y);
      const d1 = b.gpu.dispatches;
      const lc = compiled(x, y);
      const d2 = b.gpu.dispatches;
      eagerDispatches = d1 - d0;
      replayDispatches = d2 - d1;
      expect(await lc.item()).toBeCloseTo(await le.item(), 4);
      le.dispose();
      lc.dispose();
    }
    expect(compiled.stats()!.mode).toBe('replay');
    expect(replayDispatches).toBeLessThan(eagerDispatches);
    const created = b.gpu.buffersCreated;
    const mem = b.gpu.memory();
    for (let s = 0; s < 5; s++) (await compiled(x, y)).dispose();
    await b.gpu.sync();
    expect(b.gpu.buffersCreated).toBe(created);
    expect(b.gpu.memory().storages).toBe(mem.storages);
  });
});
