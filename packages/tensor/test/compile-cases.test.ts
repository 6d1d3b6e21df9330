/**
 * Every op case of the gradcheck suite (forward and backward) and every PyTorch golden, compiled:
 * the replayed calls equal the eager ones on the CPU backend (float32).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CpuBackend, compile, crossEntropy, getDefaultBackend, linspace, setDefaultBackend, tensor, tidy, type Tensor } from '../src/index.js';
import { allCases } from '../src/testing.js';

const be = new CpuBackend();

function closeArrays(what: string, got: ArrayLike<number>, want: ArrayLike<number>, rtol = 2e-5, atol = 1e-6): void {
  expect(got.length, `${what} length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w) ? Number.isNaN(g) : Math.abs(g - w) <= atol + rtol * Math.abs(w)) continue;
    throw new Error(`${what}[${i}]: compiled ${g} vs eager ${w}`);
  }
}

describe('compiled op cases equal eager (CPU)', () => {
  const prev = getDefaultBackend();
  for (const [name, fn, makeInputs] of allCases) {
    it(name, () => {
      setDefaultBackend(be);
      try {
        const inputs = makeInputs();
        const xs = inputs.map((h) => tensor(h.data, { shape: h.shape, backend: be, requiresGrad: true }));
        const step = (...args: Tensor[]): Tensor => {
          for (const x of args) x.zeroGrad();
          const out = tidy(() => fn(...args));
          const loss = tidy(() => out.mul(out.detach().mul(0).add(1)).mul(linspace(0.5, 1.5, out.size, { backend: be }).reshape([...out.shape])).sum());
          loss.backward();
          loss.dispose();
          return out;
        };
        const eagerOut = step(...xs);
        const wantOut = eagerOut.dataSync();
        const wantGrads = xs.map((x) => x.grad?.dataSync() ?? null);
        eagerOut.dispose();
        const messages: string[] = [];
        const c = compile(step, { name, onFallback: (m) => messages.push(m) });
        for (let k = 0; k < 5; k++) {
          const out = c(...xs);
          closeArrays(`${name} forward (call ${k})`, out.dataSync(), wantOut);
          xs.forEach((x, i) => {
            if (wantGrads[i]) closeArrays(`${name} grad ${i} (call ${k})`, x.grad!.dataSync(), wantGrads[i]!);
          });
          out.dispose();
        }
        expect(messages).toEqual([]);
        expect(c.stats()!.mode).toBe('replay');
        c.reset();
        for (const x of xs) x.dispose();
      } finally {
        setDefaultBackend(prev);
      }
    });
  }
});

describe('compiled PyTorch goldens (CPU)', () => {
  const goldens = JSON.parse(readFileSync(new URL('./goldens/torch-goldens.json', import.meta.url), 'utf8')) as {
    cases: Record<string, { inputs: Record<string, { shape: number[]; data: number[] }>; consts: Record<string, number[]>; loss: number; grads: Record<string, { shape: number[]; data: number[] }> }>;
  };
  const c = goldens.cases.mlp_cross_entropy!;
  it('mlp_cross_entropy: the compiled step matches the golden loss and gradients', () => {
    const inputs: Record<string, Tensor> = {};
    for (const [k, spec] of Object.entries(c.inputs)) inputs[k] = tensor(Float32Array.from(spec.data), { shape: spec.shape, requiresGrad: true });
    const { x, w1, b1, w2, b2 } = inputs;
    const targets = tensor(Int32Array.from(c.consts.targets!));
    const step = compile(
      () => {
        for (const t of Object.values(inputs)) t.zeroGrad();
        const loss = tidy(() => crossEntropy(x!.matmul(w1!).add(b1!).gelu().matmul(w2!).add(b2!), targets, { ignoreIndex: -100, labelSmoothing: 0.1 }));
        loss.backward();
        return loss;
      },
      { onFallback: (m) => expect.fail(m) },
    );
    for (let k = 0; k < 5; k++) {
      const loss = step();
      expect(Math.abs(loss.itemSync() - c.loss)).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(c.loss));
      loss.dispose();
      for (const [name, spec] of Object.entries(c.grads)) closeArrays(`grad ${name}`, inputs[name]!.grad!.dataSync(), spec.data, 1e-4, 1e-5);
    }
    expect(step.stats()!.mode).toBe('replay');
  });
});
