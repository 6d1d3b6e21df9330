/**
 * `@unihetero/tensor/testing`: the op cases every backend is checked on, published so that a
 * backend's own suite (in its package, or outside the repository) runs the same list: tensor's
 * gradcheck and compiled-vs-eager suites, @unihetero/webgpu's parity suite in Node, and the
 * browser parity page. Inputs are host data so each suite places them on its own backend;
 * `runCase` runs one forward and backward on a backend and reads the results back.
 *
 * ```ts
 * import { allCases, runCase } from '@unihetero/tensor/testing';
 * for (const [name, fn, inputs] of allCases) {
 *   const ref = await runCase(cpu, fn, inputs()); // compare with runCase(myBackend, fn, same inputs)
 * }
 * ```
 *
 * The built entry imports the tensor runtime from `@unihetero/tensor` itself (tsup.config.ts), so
 * a consumer gets one copy of the runtime, never a second one bundled into this entry.
 */
import {
  Generator,
  getDefaultBackend,
  setDefaultBackend,
  tidy,
  type Backend,
  concat,
  cosineSimilarity,
  crossEntropy,
  crossEntropyWithLogsumexp,
  embedding,
  layerNorm,
  mseLoss,
  rmsNorm,
  rope,
  scaledDotProductAttention,
  stack,
  tensor,
  where,
  type Tensor,
} from './index.js';

/** Host data for one input of a case. */
export interface HostInput {
  data: Float32Array;
  shape: number[];
}

const gen = new Generator(1234);
const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const host = (shape: number[], f: () => number): HostInput => ({ data: Float32Array.from({ length: numel(shape) }, f), shape });
const rn = (...shape: number[]) => host(shape, () => gen.normal());
/** Positive inputs away from 0, for log/sqrt/div. */
const pos = (...shape: number[]) => host(shape, () => gen.uniform() + 0.5);
/** Inputs away from kinks (|x| >= 0.2) for relu/abs. */
const awayFromZero = (...shape: number[]) => host(shape, () => (gen.uniform() * 2 + 0.2) * (gen.uniform() > 0.5 ? 1 : -1));
const lit = (values: number[], shape = [values.length]): HostInput => ({ data: Float32Array.from(values), shape });
/** Standard normal inputs times `scale` (to reach both tails of saturating functions). */
const rnScaled = (scale: number, ...shape: number[]) => host(shape, () => gen.normal() * scale);

/** Constant rotary tables `[1, 1, 3, 4]` (three positions, HF layout: cos = [c, c], sin = [-s, s]). */
const ropeTables = () => {
  const angles = [0, 1, 2].map((p) => [p, p / 100]);
  const cos = angles.flatMap(([a, b]) => [Math.cos(a!), Math.cos(b!), Math.cos(a!), Math.cos(b!)]);
  const sin = angles.flatMap(([a, b]) => [-Math.sin(a!), -Math.sin(b!), Math.sin(a!), Math.sin(b!)]);
  return { cos: tensor(cos, { shape: [1, 1, 3, 4] }), sin: tensor(sin, { shape: [1, 1, 3, 4] }) };
};

/** An additive attention mask [3, 4] with a fully masked second query row. */
const attentionMask = () => tensor([0, -Infinity, 0, 0, -Infinity, -Infinity, -Infinity, -Infinity, 0, 0, -1.5, 0], { shape: [3, 4] });

/**
 * [name, function of the inputs, input generator, gradcheck options]. Constants inside fns use the
 * default backend. The options widen the finite-difference step for cases that pass through
 * float32 on purpose (a central difference with eps 1e-6 cannot resolve float32 rounding).
 */
export type Case = [string, (...xs: Tensor[]) => Tensor, () => HostInput[], { eps?: number; atol?: number; rtol?: number }?];

export const unaryCases: Case[] = [
  ['neg', (x) => x.neg(), () => [rn(2, 3)]],
  ['abs', (x) => x.abs(), () => [awayFromZero(2, 3)]],
  ['exp', (x) => x.exp(), () => [rn(2, 3)]],
  ['log', (x) => x.log(), () => [pos(2, 3)]],
  ['sqrt', (x) => x.sqrt(), () => [pos(2, 3)]],
  ['rsqrt', (x) => x.rsqrt(), () => [pos(2, 3)]],
  ['reciprocal', (x) => x.reciprocal(), () => [pos(2, 3)]],
  ['square', (x) => x.square(), () => [rn(2, 3)]],
  ['sin', (x) => x.sin(), () => [rn(2, 3)]],
  ['cos', (x) => x.cos(), () => [rn(2, 3)]],
  ['tanh', (x) => x.tanh(), () => [rn(2, 3)]],
  ['erf', (x) => x.erf(), () => [rn(2, 3)]],
  ['sigmoid', (x) => x.sigmoid(), () => [rn(2, 3)]],
  ['relu', (x) => x.relu(), () => [awayFromZero(2, 3)]],
  ['gelu', (x) => x.gelu(), () => [rn(2, 3)]],
  ['gelu tanh', (x) => x.gelu('tanh'), () => [rn(2, 3)]],
  ['silu', (x) => x.silu(), () => [rn(2, 3)]],
  ['softplus', (x) => x.softplus(), () => [rnScaled(3, 2, 3)]],
  ['clamp', (x) => x.clamp(-0.5, 0.7), () => [lit([-1, -0.3, 0.2, 0.9, 0.65, -0.8])]],
  ['add scalar', (x) => x.add(3), () => [rn(4)]],
  ['mul scalar', (x) => x.mul(-2.5), () => [rn(4)]],
  ['div scalar', (x) => x.div(4), () => [rn(4)]],
  ['pow scalar', (x) => x.pow(3), () => [rn(4)]],
  ['pow fractional', (x) => x.pow(1.5), () => [pos(4)]],
  ['cast f32 roundtrip', (x) => x.cast('float32').mul(2), () => [rn(3)], { eps: 1e-2, atol: 1e-4, rtol: 1e-3 }],
];

export const binaryCases: Case[] = [
  ['add broadcast', (a, b) => a.add(b), () => [rn(2, 3), rn(3)]],
  ['sub broadcast', (a, b) => a.sub(b), () => [rn(2, 1), rn(1, 3)]],
  ['mul broadcast', (a, b) => a.mul(b), () => [rn(2, 3), rn(2, 1)]],
  ['div broadcast', (a, b) => a.div(b), () => [rn(2, 3), pos(3)]],
  ['pow tensor', (a, b) => a.pow(b), () => [pos(2, 3), rn(2, 3)]],
  ['maximum', (a, b) => a.maximum(b), () => [rn(2, 3), rn(2, 3)]],
  ['minimum', (a, b) => a.minimum(b), () => [rn(2, 3), rn(3)]],
  ['atan2', (a, b) => a.atan2(b), () => [rn(2, 3), pos(2, 3)]],
  ['where', (a, b) => where(tensor(new Int32Array([1, 0, 1])), a, b), () => [rn(2, 3), rn(2, 1)]],
];

export const reductionCases: Case[] = [
  ['sum all', (x) => x.sum(), () => [rn(2, 3)]],
  ['sum dims keepdim', (x) => x.sum([0, 2], true), () => [rn(2, 3, 2)]],
  ['mean', (x) => x.mean(1), () => [rn(2, 3)]],
  ['var', (x) => x.var(1), () => [rn(2, 4)]],
  ['std', (x) => x.std(0), () => [rn(3, 2)]],
  ['prod', (x) => x.prod(1), () => [pos(2, 3)]],
  ['max dim', (x) => x.max(1), () => [rn(3, 4)]],
  ['min all', (x) => x.min(), () => [rn(3, 4)]],
  ['logsumexp', (x) => x.logsumexp(-1), () => [rn(2, 5)]],
  ['softmax', (x) => x.softmax(-1), () => [rn(2, 4)]],
  ['softmax dim 0', (x) => x.softmax(0), () => [rn(3, 2)]],
  ['logSoftmax', (x) => x.logSoftmax(1), () => [rn(2, 4)]],
];

export const shapeCases: Case[] = [
  ['matmul 2d', (a, b) => a.matmul(b), () => [rn(3, 4), rn(4, 2)]],
  ['matmul batched broadcast', (a, b) => a.matmul(b), () => [rn(2, 1, 3, 4), rn(3, 4, 2)]],
  ['matmul 1d-2d', (a, b) => a.matmul(b), () => [rn(4), rn(4, 2)]],
  ['matmul 2d-1d', (a, b) => a.matmul(b), () => [rn(3, 4), rn(4)]],
  ['matmul transposed view', (a, b) => a.T.matmul(b), () => [rn(4, 3), rn(4, 2)]],
  ['reshape', (x) => x.reshape(3, 2).mul(x.reshape(3, 2)), () => [rn(2, 3)]],
  ['permute', (x) => x.permute(2, 0, 1).mul(tensor([1, 2, 3])), () => [rn(2, 3, 3)]],
  ['expand', (x) => x.expand(3, 2, 4), () => [rn(2, 1)]],
  ['slice step', (x) => x.slice(1, 1, 6, 2), () => [rn(2, 6)]],
  ['select', (x) => x.select(0, -1), () => [rn(3, 2)]],
  ['concat', (a, b) => concat([a, b], 1), () => [rn(2, 2), rn(2, 3)]],
  ['stack', (a, b) => stack([a, b], 0), () => [rn(2, 2), rn(2, 2)]],
  ['split', (x) => x.split([1, 2], 1)[1]!.mul(2), () => [rn(2, 3)]],
  ['gather', (x) => x.gather(1, tensor(new Int32Array([0, 2, 2, 1]), { shape: [2, 2] })), () => [rn(2, 3)]],
  ['indexSelect repeated', (x) => x.indexSelect(0, tensor(new Int32Array([1, 1, 0]))), () => [rn(2, 3)]],
  ['scatterAdd', (x, s) => x.scatterAdd(1, tensor(new Int32Array([0, 0, 2, 1]), { shape: [2, 2] }), s), () => [rn(2, 3), rn(2, 2)]],
  ['embedding', (w) => embedding(tensor(new Int32Array([2, 0, 2]), { shape: [3] }), w), () => [rn(3, 2)]],
];

export const nnCases: Case[] = [
  ['crossEntropy', (x) => crossEntropy(x, tensor(new Int32Array([1, -100, 0]))), () => [rn(3, 4)]],
  ['crossEntropy smoothing 3d', (x) => crossEntropy(x, tensor(new Int32Array([1, 2, 0, 3]), { shape: [2, 2] }), { labelSmoothing: 0.2 }), () => [rn(2, 2, 4)]],
  ['mseLoss', (a, b) => mseLoss(a, b), () => [rn(2, 3), rn(2, 3)]],
  ['cosineSimilarity', (a, b) => cosineSimilarity(a, b, -1), () => [rn(3, 4), rn(3, 4)]],
  ['layerNorm affine', (x, w, b) => layerNorm(x, w, b, 1e-5), () => [rn(3, 5), rn(5), rn(5)]],
  ['layerNorm plain 2 dims', (x) => layerNorm(x, null, null, 1e-5, 2), () => [rn(2, 2, 3)]],
  ['rmsNorm', (x, w) => rmsNorm(x, w, 1e-6), () => [rn(3, 4), rn(4)]],
  ['crossEntropy none, ignored rows', (x) => crossEntropy(x, tensor(new Int32Array([4, -1, 0, -1, 2]), { shape: [5] }), { reduction: 'none', ignoreIndex: -1 }), () => [rn(5, 7)]],
  ['crossEntropyWithLogsumexp z-loss', (x) => {
    const t = tensor(new Int32Array([2, -100, 0, 5, 1]));
    const r = crossEntropyWithLogsumexp(x, t, { labelSmoothing: 0.1 });
    return r.loss.add(where(t.ne(-100), r.logsumexp.square(), 0).sum().div(r.count.maximum(1)).mul(0.3));
  }, () => [rn(5, 6)]],
  ['layerNorm bias only', (x, b) => layerNorm(x, null, b, 1e-5), () => [rn(4, 3), rn(3)]],
  ['rmsNorm plain 3d', (x) => rmsNorm(x, null, 1e-6), () => [rn(2, 3, 5)]],
  ['attention gqa, fully masked row', (q, k, v) => scaledDotProductAttention(q, k, v, { mask: attentionMask() }), () => [rn(2, 4, 3, 3), rn(2, 2, 4, 3), rn(2, 2, 4, 2)]],
  ['attention float mask with grad', (q, k, v, m) => scaledDotProductAttention(q, k, v, { mask: m, scale: 0.7 }), () => [rn(1, 2, 3, 4), rn(1, 1, 5, 4), rn(1, 1, 5, 3), rn(1, 2, 1, 5)]],
  ['rope permuted x, constant tables', (x) => { const t = ropeTables(); return rope(x.permute(0, 2, 1, 3), t.cos, t.sin); }, () => [rn(2, 3, 2, 4)]],
  ['rope tables with grad', (x, c, s) => rope(x, c, s), () => [rn(2, 3, 4), rn(3, 4), rn(1, 4)]],
  ['attention keep-mask, permuted q', (q, k, v) => scaledDotProductAttention(q.permute(0, 2, 1, 3), k, v, { mask: tensor(new Int32Array([1, 1, 0, 1, 0, 1]), { shape: [2, 1, 1, 3] }) }), () => [rn(2, 2, 3, 2), rn(2, 3, 3, 2), rn(2, 3, 3, 2)]],
  ['composite mlp', (x, w1, w2) => x.matmul(w1).gelu().matmul(w2).tanh().sum(-1), () => [rn(2, 3), rn(3, 4), rn(4, 2)]],
];


/** Every case, in one list. */
export const allCases: Case[] = [...unaryCases, ...binaryCases, ...reductionCases, ...shapeCases, ...nnCases];

/** Run `fn` with `backend` as the default backend (constants inside the cases use it), restoring the previous default after. */
export async function withDefaultBackend<T>(backend: Backend, fn: () => Promise<T>): Promise<T> {
  const previous = getDefaultBackend();
  setDefaultBackend(backend);
  try {
    return await fn();
  } finally {
    setDefaultBackend(previous);
  }
}

/** What `runCase` reads back: the output and each input's gradient (null where none flows), as float32. */
export interface CaseRun {
  out: Float32Array;
  grads: (Float32Array | null)[];
}

/** One case forward and backward on `backend` (loss `sum(out * 1)`, so the upstream gradient is all ones); frees what it made. */
export function runCase(backend: Backend, fn: (...xs: Tensor[]) => Tensor, inputs: HostInput[]): Promise<CaseRun> {
  return withDefaultBackend(backend, async () => {
    const xs = inputs.map((h) => tensor(h.data, { shape: h.shape, backend, requiresGrad: true }));
    const out = tidy(() => fn(...xs));
    const loss = tidy(() => out.mul(out.detach().mul(0).add(1)).sum());
    loss.backward();
    const result = {
      out: Float32Array.from(await out.data()),
      grads: await Promise.all(xs.map(async (x) => (x.grad ? Float32Array.from(await x.grad.data()) : null))),
    };
    for (const x of xs) x.dispose();
    out.dispose();
    loss.dispose();
    return result;
  });
}
