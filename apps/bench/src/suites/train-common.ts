/**
 * What the training suites (`mlp`, `gpt`) share besides the timing rounds: Adam written the same
 * way for every framework, our contender (a step of the tensor API, eager or through `compile()`)
 * and the jax-js contender (`valueAndGrad` of a pure loss plus a pure Adam update, eager or `jit`).
 * A suite supplies only its loss function and its batches.
 */
import type { Backend, Tensor } from '@unihetero/tensor';
import { useJax, type Jax, type JaxDevice } from '../peers/jax.js';
import type { Contender } from './rounds.js';
import { compileNote } from './compile-note.js';

/** Adam hyper-parameters (no weight decay). */
export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

type TensorModule = typeof import('@unihetero/tensor');

/**
 * Adam as one program: inputs p, g, m, v; scalars b1, b2, eps, lr, 1 - b1^t, 1 - b2^t; outputs
 * p, m, v (`m / bc1 / (sqrt(v / bc2) + eps) * lr`, as the other frameworks compute it).
 */
export function adamProgram(T: TensorModule) {
  const e = T.expr;
  const f = 'float32' as const;
  const s = (i: number) => e.scalar(i, f);
  const one = e.constant(1, f);
  const g = e.input(1, f);
  const m = e.binary('add', e.binary('mul', e.input(2, f), s(0)), e.binary('mul', g, e.binary('sub', one, s(0))));
  const v = e.binary('add', e.binary('mul', e.input(3, f), s(1)), e.binary('mul', e.binary('mul', g, g), e.binary('sub', one, s(1))));
  const update = e.binary('mul', e.binary('div', e.binary('div', m, s(4)), e.binary('add', e.unary('sqrt', e.binary('div', v, s(5))), s(2))), s(3));
  return e.program([e.binary('sub', e.input(0, f), update), m, v]);
}

/** What `oursContender` needs from a suite. */
export interface OursSpec {
  id: string;
  /** Description of the backend (the table's `- id = variant` line). */
  variant: string;
  backend: Backend;
  /** Whole step through `compile()`. */
  compiled: boolean;
  /** Name of the compiled step in fallback messages. */
  name: string;
  /** Trainable parameters (leaves with requiresGrad), updated by Adam in place. */
  params: Tensor[];
  hyper: AdamHyper;
  /** The scalar loss of batch arguments (called inside `tidy`). */
  loss: (batch: Tensor[]) => Tensor;
  /** The argument tensors of batch `k` (pre-uploaded). */
  batch: (k: number) => Tensor[];
  /** Tensors to dispose at the end besides params and Adam state (the batches). */
  owned: Tensor[];
  /** Where a fallback to eager is reported (one line). */
  onFallback: (message: string) => void;
  /**
   * The CPU GEMM's thread setting for this contender (`setCpuThreads`, process-wide, so it is set
   * again whenever the contender is activated); default: the setting found when it is built.
   */
  threads?: number | 'auto';
}

/**
 * Our side: the tensor API with autograd; Adam as one fused kernel per parameter
 * (`applyElementwise`, bias corrections as host scalars); with `compiled`, the whole step
 * (forward, backward, update) goes through `compile`. Each step reads its loss back.
 */
export async function oursContender(spec: OursSpec): Promise<Contender> {
  const T = await import('@unihetero/tensor');
  const { params, hyper: s, backend } = spec;
  const m = params.map((p) => T.zerosLike(p));
  const v = params.map((p) => T.zerosLike(p));
  let t = 0;
  const adam = adamProgram(T);
  const scalars = [T.hostScalar(() => 1 - s.beta1 ** t), T.hostScalar(() => 1 - s.beta2 ** t)];
  const step = (...batch: Tensor[]) => {
    for (const p of params) p.zeroGrad();
    const loss = T.tidy(() => spec.loss(batch));
    loss.backward();
    T.hostEffect(() => {
      t++;
    });
    T.noGrad(() => params.forEach((p, i) => T.applyElementwise(adam, [p, p.grad!, m[i]!, v[i]!], [p, m[i]!, v[i]!], [s.beta1, s.beta2, s.eps, s.lr, ...scalars])));
    return loss;
  };
  const compiled = spec.compiled ? T.compile(step, { name: spec.name, onFallback: spec.onFallback }) : null;
  const run = compiled ?? step;
  const threads = spec.threads ?? T.cpuThreads().setting;
  const before = T.cpuThreads().setting;
  T.setCpuThreads(threads);
  const resolved = T.cpuThreads();
  T.setCpuThreads(before);
  const threadNote = backend.name === 'cpu' ? `, GEMM threads ${resolved.threads} (setting ${resolved.setting}${resolved.available ? '' : ', worker threads unavailable'})` : '';
  return {
    id: spec.id,
    variant: `${spec.variant}${threadNote}${spec.compiled ? ', compile()' : ''}`,
    async activate() {
      T.setCpuThreads(threads);
    },
    async step(k) {
      const loss = run(...spec.batch(k));
      try {
        return backend.readSync ? loss.itemSync() : await loss.item();
      } finally {
        loss.dispose();
      }
    },
    dispose() {
      for (const x of [...params, ...m, ...v, ...spec.owned]) x.dispose();
      compiled?.reset();
    },
    dispatches: 'dispatches' in backend ? () => (backend as unknown as { dispatches: number }).dispatches : undefined,
    status: compiled ? () => compileNote(compiled.stats()) : undefined,
  };
}

/** A jax-js array. */
export type JaxArray = InstanceType<Jax['Array']>;

/** What `jaxContender` needs from a suite. */
export interface JaxSpec {
  id: string;
  device: JaxDevice;
  useJit: boolean;
  hyper: AdamHyper;
  /** Initial parameters (host data and shapes), in the order `loss` reads them. */
  params: { data: Float32Array; shape: number[] }[];
  /** Upload the batches once; returns the argument arrays of each batch. */
  batches: (jax: Jax) => JaxArray[][];
  /**
   * The scalar loss: a pure function of the parameters (consumed: jax-js's move semantics) and
   * the batch arguments (also consumed).
   */
  loss: (jax: Jax, params: JaxArray[], batch: JaxArray[]) => JaxArray;
}

/** jax-js: valueAndGrad of a pure loss, Adam as a pure function of (params, m, v), optionally jit. */
export async function jaxContender(spec: JaxSpec): Promise<Contender> {
  const { jax, variant } = await useJax(spec.device);
  const { device, hyper: s } = spec;
  const np = jax.numpy;
  type A = JaxArray;
  let params: A[] = spec.params.map((p) => np.array(p.data, { shape: p.shape, device }));
  let m: A[] = params.map((p) => np.zerosLike(p.ref));
  let v: A[] = params.map((p) => np.zerosLike(p.ref));
  const batches = spec.batches(jax);
  const lossFn = (p: A[], batch: A[]): A => spec.loss(jax, p, batch);
  const trainStep = (p: A[], mm: A[], vv: A[], batch: A[], bc1: A, bc2: A): [A[], A[], A[], A] => {
    const [loss, grads] = jax.valueAndGrad(lossFn)(jax.tree.ref(p), batch);
    const np2: A[] = [];
    const nm: A[] = [];
    const nv: A[] = [];
    p.forEach((pi, i) => {
      const g = grads[i]!;
      const mi = mm[i]!.mul(s.beta1).add(g.ref.mul(1 - s.beta1));
      const vi = vv[i]!.mul(s.beta2).add(g.ref.mul(g).mul(1 - s.beta2));
      const update = mi.ref.mul(bc1.ref).div(np.sqrt(vi.ref.mul(bc2.ref)).add(s.eps)).mul(s.lr);
      np2.push(pi.sub(update));
      nm.push(mi);
      nv.push(vi);
    });
    bc1.dispose();
    bc2.dispose();
    return [np2, nm, nv, loss];
  };
  const run = spec.useJit ? jax.jit(trainStep) : trainStep;
  let t = 0;
  return {
    id: spec.id,
    variant: `@jax-js/jax ${variant}${spec.useJit ? ', jit' : ', eager'}`,
    async activate() {
      await useJax(device);
    },
    async step(k) {
      t++;
      // Bias corrections as arrays (not constants) so jit compiles once for all steps.
      const bc1 = np.array(1 / (1 - s.beta1 ** t), { device });
      const bc2 = np.array(1 / (1 - s.beta2 ** t), { device });
      const [p2, m2, v2, loss] = run(params, m, v, batches[k]!.map((a) => a.ref), bc1, bc2) as [A[], A[], A[], A];
      params = p2;
      m = m2;
      v = v2;
      return (await loss.data())[0]!;
    },
    dispose() {
      jax.tree.dispose([params, m, v, batches]);
      if (spec.useJit) (run as { dispose?: () => void }).dispose?.();
    },
  };
}
