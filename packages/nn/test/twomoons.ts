/** Seeded two-moons data (as scikit-learn's make_moons) and a small training harness. */
import { Generator, Tensor, crossEntropy, tensor, tidy, type Backend } from '@unihetero/tensor';
import { MLP, type Optimizer } from '../src/index.js';

/** `n` points (half per moon) with Gaussian noise `noise`: x `[n, 2]` float32, y `[n]` int32. */
export function twoMoons(n: number, noise: number, gen: Generator, backend?: Backend): { x: Tensor; y: Tensor } {
  const xs = new Float32Array(n * 2);
  const ys = new Int32Array(n);
  const half = Math.floor(n / 2);
  for (let i = 0; i < n; i++) {
    const outer = i < half;
    const k = outer ? i : i - half;
    const m = outer ? half : n - half;
    const t = (Math.PI * k) / Math.max(1, m - 1);
    const px = outer ? Math.cos(t) : 1 - Math.cos(t);
    const py = outer ? Math.sin(t) : 0.5 - Math.sin(t);
    xs[2 * i] = px + noise * gen.normal();
    xs[2 * i + 1] = py + noise * gen.normal();
    ys[i] = outer ? 0 : 1;
  }
  return { x: tensor(xs, { shape: [n, 2], backend }), y: tensor(ys, { shape: [n], backend }) };
}

/** One full-batch step: forward, cross-entropy, backward, optimizer step. Returns the loss tensor (caller disposes). */
export function trainStep(model: MLP, opt: Optimizer<any>, x: Tensor, y: Tensor): Tensor {
  opt.zeroGrad();
  const loss = tidy(() => crossEntropy(model.forward(x), y));
  loss.backward();
  opt.step();
  return loss;
}

/** Fraction of points classified correctly. */
export async function accuracy(model: MLP, x: Tensor, y: Tensor): Promise<number> {
  const hit = tidy(() => model.forward(x).argmax(-1).eq(y).float().mean());
  const v = await hit.item();
  hit.dispose();
  return v;
}
