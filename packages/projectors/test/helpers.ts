/** Test helpers: gradcheck through a module's parameters, float64 builders, host copies. */
import { expect } from 'vitest';
import { Generator, Tensor, gradcheck, memory, noGrad, randn, tensor, zeros, type GradcheckOptions } from '@unihetero/tensor';
import type { Module } from '@unihetero/nn';
import { InputProjector, createInvertProjector, type InputProjectorOptions, type InvertProjector, type InvertProjectorConfig } from '../src/index.js';

/** Where a parameter lives: its owner module and local name. */
function owners(module: Module): { owner: Module; local: string; name: string; tensor: Tensor }[] {
  const out: { owner: Module; local: string; name: string; tensor: Tensor }[] = [];
  for (const [path, m] of module.namedModules()) {
    for (const [local, t] of m._parameters) if (t) out.push({ owner: m, local, name: path ? `${path}.${local}` : local, tensor: t });
  }
  return out;
}

/**
 * `gradcheck` of `fn(...inputs)` with respect to `inputs` AND every parameter of `modules`: the
 * float64 copies gradcheck makes are swapped into the modules while `fn` runs.
 */
export async function gradcheckWithParams(
  modules: Module[],
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: GradcheckOptions = {},
): Promise<true> {
  const slots = modules.flatMap(owners);
  const k = inputs.length;
  try {
    return await gradcheck(
      (...xs: Tensor[]) => {
        slots.forEach((s, i) => s.owner._parameters.set(s.local, xs[k + i]!));
        return fn(...xs.slice(0, k));
      },
      [...inputs, ...slots.map((s) => s.tensor)],
      options,
    );
  } finally {
    for (const s of slots) s.owner._parameters.set(s.local, s.tensor);
  }
}

/** Host copy of a CPU tensor (-0 read as 0). */
export const host = (t: Tensor): number[] => Array.from(t.dataSync(), (v) => v + 0);

/** Build an input projector and a registered variant with small widths (float64 for gradchecks by default). */
export function build(
  name: string,
  o: { d?: number; dv?: number; seed?: number; dtype?: 'float32' | 'float64'; projector?: InputProjectorOptions; config?: Partial<InvertProjectorConfig> } = {},
): { P: InputProjector; G: InvertProjector; gen: Generator; d: number; dv: number } {
  const d = o.d ?? 3;
  const dv = o.dv ?? 2;
  const gen = new Generator(o.seed ?? 0);
  const dtype = o.dtype ?? 'float64';
  const P = new InputProjector(dv, d, { generator: gen, dtype, normalizeInput: name === 'norm-3-mlp-cos', ...o.projector });
  const G = createInvertProjector(name, { llmDim: d, featureDim: dv, inputProjector: P, generator: gen, dtype, ...o.config });
  return { P, G, gen, d, dv };
}

/** Seeded normal tensor. */
export const normal = (shape: number[], gen: Generator, dtype: 'float32' | 'float64' = 'float64', requiresGrad = false): Tensor =>
  randn(shape, { generator: gen, dtype, requiresGrad });

/** Per-row cosine on host doubles, with the eps clamp of docs/method.md 6.2. */
export function hostCos(a: number[], b: number[], eps = 1e-8): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / (Math.max(Math.sqrt(aa), eps) * Math.max(Math.sqrt(bb), eps));
}

/** Rows of a flat array of width `w`. */
/** Expected state-dict entries of a head MLP (`head.layers.k.weight` / `.bias`) with weights of the given `[out, in]` shapes. */
export const headEntries = (weights: [number, number][]): [string, number[]][] =>
  weights.flatMap(([o, i], k): [string, number[]][] => [
    [`head.layers.${k}.weight`, [o, i]],
    [`head.layers.${k}.bias`, [o]],
  ]);

export const rows = (flat: number[], w: number): number[][] => Array.from({ length: flat.length / w }, (_, i) => flat.slice(i * w, (i + 1) * w));

/**
 * Checks every variant must pass: shapes, gradcheck of `loss(predict(z), target(f), mask)` with
 * respect to z and the head's parameters, detached target, no leaks, and named errors.
 */
export async function commonVariantChecks(name: string): Promise<void> {
  const { G, P, gen, d, dv } = build(name);
  const out = G.outDim;
  expect(out).toBe(G.targetSpace === 'feature' ? dv : d);
  const z = normal([2, 2, d], gen);
  const f = normal([2, 2, dv], gen);
  const mask = tensor([[1, 0], [1, 1]], { dtype: 'int32' });
  expect(G.predict(z).shape).toEqual([2, 2, out]);
  expect(G.target(f).shape).toEqual([2, 2, out]);
  expect(G.feedback(G.predict(z)).shape).toEqual([2, 2, d]);
  // gradcheck through the head: the loss and its gradient w.r.t. z and every head parameter
  await gradcheckWithParams([G], (zz) => G.loss(G.predict(zz), G.target(f), mask), [z]);
  // the target is detached: features that require grad get none, P's parameters get none
  const fg = normal([2, 2, dv], gen, 'float64', true);
  const zg = normal([2, 2, d], gen, 'float64', true);
  const t = G.target(fg);
  expect(t.requiresGrad).toBe(false);
  const l = G.loss(G.predict(zg), t, mask);
  l.backward();
  expect(fg.grad).toBeNull();
  expect(t.grad).toBeNull();
  expect(P.parameters().every((p) => p.grad === null)).toBe(true);
  expect(zg.grad).not.toBeNull();
  expect(G.parameters().every((p) => p.grad !== null)).toBe(true);
  // nothing masked: loss 0
  expect(G.loss(G.predict(z), G.target(f), zeros([2, 2], { dtype: 'int32' })).itemSync()).toBe(0);
  // no leaks in a no-grad pass
  const before = memory().tensors;
  noGrad(() => {
    const e = G.predict(z);
    const tt = G.target(f);
    const ll = G.loss(e, tt, mask);
    const fb = G.feedback(e);
    for (const x of [e, tt, ll, fb]) x.dispose();
  });
  expect(memory().tensors).toBe(before);
  // named errors
  expect(() => G.predict(zeros([2, d + 1]))).toThrow(`${name}.predict: hidden state width ${d + 1} does not match llmDim ${d} (input [2,${d + 1}])`);
  expect(() => G.target(zeros([2, dv + 1]))).toThrow(`${name}.target: feature width ${dv + 1} does not match featureDim ${dv} (input [2,${dv + 1}])`);
  expect(() => G.feedback(zeros([2, out + 1]))).toThrow(`${name}.feedback: prediction width ${out + 1} does not match`);
  // P and the config must agree
  expect(() => createInvertProjector(name, { llmDim: d + 1, featureDim: dv, inputProjector: P })).toThrow(
    `${name}: input projector maps ${dv} -> ${d} but config says featureDim ${dv}, llmDim ${d + 1}`,
  );
}
