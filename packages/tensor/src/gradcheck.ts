/**
 * `gradcheck`: compare autograd gradients with central finite differences, in float64 on a
 * private CPU backend (like `torch.autograd.gradcheck`, which requires double precision).
 */
import type { Backend } from './backend.js';
import { CpuBackend } from './cpu/index.js';
import { Tensor, fromStorage } from './tensor.js';
import { tidy } from './scope.js';
import { noGrad } from './autograd.js';
import { fmtShape } from './shape.js';
import { getDefaultBackend } from './default-backend.js';

/** Options of `gradcheck`. */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
  /** Seed of the random output weighting for non-scalar outputs (default 0). */
  seed?: number;
}

let f64: Backend | null = null;
/** The default backend when it has float64 (so constants made inside `fn` live there too), else a private CPU backend. */
function float64Backend(): Backend {
  const d = getDefaultBackend();
  if (d.supportsDType('float64') && d.readSync) return d;
  if (!f64) f64 = new CpuBackend();
  return f64;
}

async function toF64(t: Tensor): Promise<Tensor> {
  const values = await t.data();
  const b = float64Backend();
  const host = t.dtype === 'int32' ? Int32Array.from(values) : Float64Array.from(values);
  const out = fromStorage(b.upload(host, t.dtype === 'int32' ? 'int32' : 'float64'), t.shape);
  return out;
}

/** Weighted scalar of fn's output: sum(out * w) with fixed pseudo-random weights. */
function scalarize(out: Tensor, weights: Float64Array | null): Tensor {
  if (out.size === 1) return out.sum();
  const b = out.backend;
  const w = fromStorage(b.upload(weights!, 'float64'), out.shape);
  const s = out.mul(w).sum();
  w.dispose();
  return s;
}

/**
 * Check `fn`'s gradients with respect to every floating input against central differences.
 * Inputs are copied to float64 on a CPU backend; `fn` must build its result from its arguments
 * with tensor ops. Resolves to true, or rejects with an error naming the input, the element and
 * both values.
 */
export async function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions = {}): Promise<true> {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-3;
  const xs = await Promise.all(inputs.map(toF64));
  try {
    for (const x of xs) if (x.dtype === 'float64') x.requiresGrad_(true);
    // Fixed weights for non-scalar outputs.
    const probe = noGrad(() => fn(...xs));
    const outShape = [...probe.shape];
    const n = probe.size;
    probe.dispose();
    let weights: Float64Array | null = null;
    if (n !== 1) {
      weights = new Float64Array(n);
      let s = (options.seed ?? 0) * 2654435761 + 12345;
      for (let i = 0; i < n; i++) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        weights[i] = (s / 4294967296) * 2 - 1;
      }
    }
    const loss = tidy(() => scalarize(fn(...xs), weights));
    if (!loss.requiresGrad) {
      loss.dispose();
      throw new Error('gradcheck: the output does not depend on any input that requires grad');
    }
    loss.backward();
    loss.dispose();
    const evalAt = (): number => noGrad(() => tidy(() => scalarize(fn(...xs), weights).dataSync()[0]!));
    for (let k = 0; k < xs.length; k++) {
      const x = xs[k]!;
      if (x.dtype !== 'float64') continue;
      const storage = x._slab.storage as unknown as { data: Float64Array };
      const data = storage.data;
      const analytic = x.grad ? x.grad.dataSync() : new Float64Array(x.size);
      for (let i = 0; i < x.size; i++) {
        const orig = data[i]!;
        data[i] = orig + eps;
        const fp = evalAt();
        data[i] = orig - eps;
        const fm = evalAt();
        data[i] = orig;
        const numeric = (fp - fm) / (2 * eps);
        const a = analytic[i]!;
        if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) {
          throw new Error(
            `gradcheck: gradient mismatch for input ${k} ${fmtShape(x.shape)} at flat index ${i}: analytic ${a}, numeric ${numeric} (output shape ${fmtShape(outShape)})`,
          );
        }
      }
    }
    return true;
  } finally {
    for (const x of xs) x.dispose();
  }
}
