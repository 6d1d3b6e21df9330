/**
 * Optimizers (SGD, Adam, AdamW) with parameter groups, `clipGradNorm`, and the no-decay group
 * helper. Each parameter's update is one fused elementwise kernel on the parameters' backend
 * (`applyElementwise`: parameter and state written in place in one pass, no readbacks). Step
 * counts advance through `hostEffect` and the scheduled values (learning rate, bias corrections)
 * are `hostScalar`s, so a training step compiled with `compile` replays them correctly.
 */
import { Tensor, applyElementwise, expr, fmtShape, hostEffect, hostScalar, keep, noGrad, tensor, tidy, zeros, zerosLike, type DType, type Expr, type Program } from '@unihetero/tensor';
import type { Module } from './module.js';

/** Hyperparameters shared by every optimizer group. */
export interface GroupHyper {
  /** Learning rate. */
  lr: number;
  /** Weight decay (meaning depends on the optimizer). */
  weightDecay: number;
  /** Multiplier applied to the scheduled lr by `LRScheduler` (default 1). */
  lrScale?: number;
}

/** A group of parameters with its own hyperparameters (unset ones take the optimizer defaults). */
export type ParamGroupSpec<H> = { params: Tensor[] } & Partial<H> & { [extra: string]: unknown };

/** A resolved parameter group. */
export type ParamGroup<H> = { params: Tensor[] } & H & { [extra: string]: unknown };

/** What optimizers accept: a list of parameters, or a list of groups. */
export type ParamsInput<H> = Tensor[] | Iterable<Tensor> | ParamGroupSpec<H>[];

/** Per-parameter optimizer state: a step count and named tensors (moments, momentum buffers). */
export interface ParamState {
  /** Updates applied to this parameter. */
  step: number;
  /** State tensors by name (`exp_avg`, `exp_avg_sq`, `momentum_buffer`). */
  tensors: Record<string, Tensor>;
}

/**
 * A serialisable optimizer state: per-parameter state keyed by the parameter's index across
 * all groups (in order, as PyTorch), and each group's hyperparameters with its parameter indices.
 */
export interface OptimizerStateDict {
  /** State by parameter index. The tensors are the optimizer's own (do not dispose). */
  state: Map<number, ParamState>;
  /** Hyperparameters of each group plus `params` (indices). */
  paramGroups: ({ params: number[] } & Record<string, unknown>)[];
}

function isGroupList<H>(x: unknown): x is ParamGroupSpec<H>[] {
  return Array.isArray(x) && x.length > 0 && !(x[0] instanceof Tensor) && typeof x[0] === 'object' && x[0] !== null && 'params' in x[0];
}

function checkFinite(op: string, name: string, v: unknown, min = 0): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new Error(`${op}: ${name} must be a finite number >= ${min}, got ${String(v)}`);
}

/** Base class: parameter groups, per-parameter state, `zeroGrad`, state dicts. */
export abstract class Optimizer<H extends GroupHyper = GroupHyper> {
  /** The parameter groups; set `paramGroups[i].lr` to change a group's learning rate. */
  readonly paramGroups: ParamGroup<H>[];
  /** Defaults applied to groups that do not set a hyperparameter. */
  readonly defaults: H;
  /** @internal per-parameter state. */
  protected readonly state = new Map<Tensor, ParamState>();

  protected constructor(
    /** Name used in error messages. */
    protected readonly opName: string,
    params: ParamsInput<H>,
    defaults: H,
  ) {
    this.defaults = defaults;
    const specs: ParamGroupSpec<H>[] = isGroupList<H>(params) ? params : [{ params: [...(params as Iterable<Tensor>)] } as ParamGroupSpec<H>];
    const seen = new Set<Tensor>();
    this.paramGroups = specs.map((spec, gi) => {
      const ps = [...spec.params];
      for (const p of ps) {
        if (!(p instanceof Tensor)) throw new Error(`${opName}: group ${gi} contains a non-tensor parameter`);
        if (seen.has(p)) throw new Error(`${opName}: parameter ${p.name ?? `#${p.id}`} ${fmtShape(p.shape)} appears in more than one group`);
        if (p.dtype === 'int32') throw new Error(`${opName}: parameter ${p.name ?? `#${p.id}`} is int32; only floating tensors can be optimized`);
        seen.add(p);
      }
      const g = { ...defaults, ...spec, params: ps } as ParamGroup<H>;
      this.validateGroup(g, gi);
      return g;
    });
    if (seen.size === 0) throw new Error(`${opName}: got an empty parameter list`);
  }

  /** Throw on invalid hyperparameters (subclasses extend). */
  protected validateGroup(g: ParamGroup<H>, gi: number): void {
    checkFinite(`${this.opName} group ${gi}`, 'lr', g.lr);
    checkFinite(`${this.opName} group ${gi}`, 'weightDecay', g.weightDecay);
  }

  /** Every parameter, in group order. */
  params(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /** Set the learning rate of every group. */
  setLr(lr: number): void {
    checkFinite(this.opName, 'lr', lr);
    for (const g of this.paramGroups) g.lr = lr;
  }

  /** Drop every parameter's gradient (sets `.grad` to null). */
  zeroGrad(): void {
    for (const p of this.params()) p.zeroGrad();
  }

  /** Apply one update to every parameter that has a gradient. */
  step(): void {
    noGrad(() => {
      for (const g of this.paramGroups) {
        for (const p of g.params) {
          if (!p.grad) continue;
          if (p.grad.backend !== p.backend) throw new Error(`${this.opName}.step: gradient of ${p.name ?? `#${p.id}`} is on ${p.grad.backend.name}, parameter on ${p.backend.name}`);
          let st = this.state.get(p);
          if (!st) {
            st = { step: 0, tensors: {} };
            this.state.set(p, st);
          }
          const s = st;
          hostEffect(() => {
            s.step += 1;
          });
          tidy(() => this.update(p, p.grad!, s, g));
        }
      }
    });
  }

  /** Update one parameter in place (called inside `noGrad` + `tidy`; `state.step` already counts this update). */
  protected abstract update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<H>): void;

  /** @internal a persistent zero state tensor like `p` (created outside any tidy scope). */
  protected stateTensor(state: ParamState, name: string, p: Tensor, init?: Tensor): Tensor {
    let t = state.tensors[name];
    if (!t) {
      t = init ? init.clone() : zerosLike(p);
      keep(t);
      state.tensors[name] = t;
    }
    return t;
  }

  /** The optimizer state for a parameter (undefined before its first update). */
  getState(p: Tensor): ParamState | undefined {
    return this.state.get(p);
  }

  /** State by parameter index and group hyperparameters (tensors are references, as PyTorch). */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    this.params().forEach((p, i) => index.set(p, i));
    const state = new Map<number, ParamState>();
    for (const [p, st] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state.set(i, { step: st.step, tensors: { ...st.tensors } });
    }
    const paramGroups = this.paramGroups.map((g) => {
      const out: { params: number[] } & Record<string, unknown> = { params: g.params.map((p) => index.get(p)!) };
      for (const [k, v] of Object.entries(g)) if (k !== 'params') out[k] = Array.isArray(v) ? [...v] : v;
      return out;
    });
    return { state, paramGroups };
  }

  /**
   * Restore a state dict: group hyperparameters (lr included) and per-parameter step counts and
   * tensors, copied onto each parameter's backend and dtype. The group layout must match.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const op = `${this.opName}.loadStateDict`;
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new Error(`${op}: state dict has ${sd.paramGroups.length} parameter groups, optimizer has ${this.paramGroups.length}`);
    }
    sd.paramGroups.forEach((g, gi) => {
      const n = this.paramGroups[gi]!.params.length;
      if (g.params.length !== n) throw new Error(`${op}: group ${gi} has ${g.params.length} parameters in the state dict, ${n} in the optimizer`);
    });
    const params = this.params();
    for (const [i, st] of sd.state) {
      const p = params[i];
      if (!p) throw new Error(`${op}: state for parameter index ${i}, but the optimizer has ${params.length} parameters`);
      for (const [name, t] of Object.entries(st.tensors)) {
        if (t.shape.length !== p.shape.length || t.shape.some((s, k) => s !== p.shape[k])) {
          throw new Error(`${op}: state '${name}' of parameter ${i} has shape ${fmtShape(t.shape)}, parameter has ${fmtShape(p.shape)}`);
        }
      }
    }
    // Validated: apply.
    sd.paramGroups.forEach((g, gi) => {
      const target = this.paramGroups[gi]!;
      for (const [k, v] of Object.entries(g)) if (k !== 'params') (target as Record<string, unknown>)[k] = Array.isArray(v) ? [...v] : v;
      this.validateGroup(target, gi);
    });
    // Copy first (the state dict may hold this optimizer's own tensors), then free the old state.
    const next = new Map<Tensor, ParamState>();
    for (const [i, st] of sd.state) {
      const p = params[i]!;
      const tensors: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(st.tensors)) tensors[name] = copyLike(t, p);
      next.set(p, { step: st.step, tensors });
    }
    for (const old of this.state.values()) for (const t of Object.values(old.tensors)) t.dispose();
    this.state.clear();
    for (const [p, st] of next) this.state.set(p, st);
  }

  /** Free every state tensor (the parameters are not touched). */
  dispose(): void {
    for (const st of this.state.values()) for (const t of Object.values(st.tensors)) t.dispose();
    this.state.clear();
  }
}

/** A copy of `t` with p's backend and dtype (synchronous when the backends match; else via host on CPU). */
function copyLike(t: Tensor, p: Tensor): Tensor {
  const out = noGrad(() => {
    if (t.backend === p.backend) {
      const z = zeros([...p.shape], { backend: p.backend, dtype: p.dtype });
      z.assign(t);
      return z;
    }
    if (!t.backend.readSync) throw new Error(`loadStateDict: state tensor on ${t.backend.name} cannot be copied synchronously to ${p.backend.name}; create it on the parameter's backend`);
    return tensor(t.dataSync(), { shape: [...p.shape], dtype: p.dtype, backend: p.backend });
  });
  keep(out);
  return out;
}

// ---------------------------------------------------------------------------------- SGD

/** SGD hyperparameters (as `torch.optim.SGD`). */
export interface SGDHyper extends GroupHyper {
  /** Momentum factor (default 0). */
  momentum: number;
  /** Dampening of the momentum (default 0). */
  dampening: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov: boolean;
  /** Maximise instead of minimise (default false). */
  maximize: boolean;
}

/**
 * Stochastic gradient descent exactly as `torch.optim.SGD`: `g += wd * p`; with momentum
 * `buf = g` on the first step, then `buf = momentum * buf + (1 - dampening) * g`; Nesterov uses
 * `g + momentum * buf`, otherwise `buf`; `p -= lr * g`.
 */
export class SGD extends Optimizer<SGDHyper> {
  /** SGD over `params` (a list or groups). */
  constructor(params: ParamsInput<SGDHyper>, options: Partial<SGDHyper> & { lr: number }) {
    super('SGD', params, { lr: options.lr, momentum: options.momentum ?? 0, dampening: options.dampening ?? 0, nesterov: options.nesterov ?? false, weightDecay: options.weightDecay ?? 0, maximize: options.maximize ?? false });
  }

  protected override validateGroup(g: ParamGroup<SGDHyper>, gi: number): void {
    super.validateGroup(g, gi);
    checkFinite(`SGD group ${gi}`, 'momentum', g.momentum);
    checkFinite(`SGD group ${gi}`, 'dampening', g.dampening);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) throw new Error(`SGD group ${gi}: Nesterov momentum requires a momentum > 0 and zero dampening, got momentum=${g.momentum} dampening=${g.dampening}`);
  }

  protected update(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup<SGDHyper>): void {
    const lr = hostScalar(() => g.lr);
    const first = g.momentum !== 0 && !st.tensors.momentum_buffer;
    const buf = g.momentum !== 0 ? this.stateTensor(st, 'momentum_buffer', p) : null;
    const prog = sgdProgram(p.dtype, g.momentum !== 0, first, g.nesterov, g.maximize, g.weightDecay !== 0);
    const scalars = [lr, g.weightDecay, g.momentum, 1 - g.dampening];
    if (buf) applyElementwise(prog, [p, grad, buf], [p, buf], scalars);
    else applyElementwise(prog, [p, grad], [p], scalars);
  }
}

const programs = new Map<string, Program>();

function cachedProgram(key: string, make: () => Program): Program {
  let p = programs.get(key);
  if (!p) programs.set(key, (p = make()));
  return p;
}

/** `x * c` for `x` and a broadcast `c` of one dtype (clipGradNorm's in-place scaling). */
function scaleProgram(dtype: DType): Program {
  return cachedProgram(`scale|${dtype}`, () => expr.program([expr.binary('mul', expr.input(0, dtype), expr.input(1, dtype))], [dtype, dtype]));
}

const add = (a: Expr, b: Expr) => expr.binary('add', a, b);
const sub = (a: Expr, b: Expr) => expr.binary('sub', a, b);
const mul = (a: Expr, b: Expr) => expr.binary('mul', a, b);
const div = (a: Expr, b: Expr) => expr.binary('div', a, b);

/**
 * One SGD step: inputs p, g (and the momentum buffer), scalars lr, weightDecay, momentum,
 * 1 - dampening; outputs p (and the buffer). `first` initialises the buffer with the gradient.
 */
function sgdProgram(dtype: DType, momentum: boolean, first: boolean, nesterov: boolean, maximize: boolean, decay: boolean): Program {
  return cachedProgram(`sgd|${dtype}|${momentum}|${first}|${nesterov}|${maximize}|${decay}`, () => {
    const p = expr.input(0, dtype);
    let d = expr.input(1, dtype);
    const s = (i: number) => expr.scalar(i, dtype);
    if (maximize) d = expr.unary('neg', d);
    if (decay) d = add(d, mul(p, s(1)));
    if (!momentum) return expr.program([sub(p, mul(d, s(0)))]);
    const buf = first ? d : add(mul(expr.input(2, dtype), s(2)), mul(d, s(3)));
    const step = nesterov ? add(d, mul(buf, s(2))) : buf;
    return expr.program([sub(p, mul(step, s(0))), buf], [dtype, dtype, dtype]);
  });
}

// ---------------------------------------------------------------------------------- Adam / AdamW

/** Adam / AdamW hyperparameters. */
export interface AdamHyper extends GroupHyper {
  /** Moment decay rates (default [0.9, 0.999]). */
  betas: [number, number];
  /** Denominator epsilon (default 1e-8). */
  eps: number;
  /** Use the AMSGrad max of second moments (default false). */
  amsgrad: boolean;
  /** Maximise instead of minimise (default false). */
  maximize: boolean;
}

abstract class AdamBase extends Optimizer<AdamHyper> {
  protected abstract readonly decoupled: boolean;

  protected override validateGroup(g: ParamGroup<AdamHyper>, gi: number): void {
    super.validateGroup(g, gi);
    const [b1, b2] = g.betas ?? [];
    if (!Array.isArray(g.betas) || g.betas.length !== 2 || !(b1! >= 0 && b1! < 1) || !(b2! >= 0 && b2! < 1)) {
      throw new Error(`${this.opName} group ${gi}: betas must be two numbers in [0, 1), got ${JSON.stringify(g.betas)}`);
    }
    checkFinite(`${this.opName} group ${gi}`, 'eps', g.eps);
  }

  protected update(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup<AdamHyper>): void {
    const [b1, b2] = g.betas;
    const m = this.stateTensor(st, 'exp_avg', p);
    const v = this.stateTensor(st, 'exp_avg_sq', p);
    const vmax = g.amsgrad ? this.stateTensor(st, 'max_exp_avg_sq', p) : null;
    const prog = adamProgram(p.dtype, this.decoupled, g.amsgrad, g.maximize, g.weightDecay !== 0);
    // Read at every run (and replay): the learning rate may be scheduled, the step advances.
    const scalars = [
      b1,
      1 - b1,
      b2,
      1 - b2,
      g.eps,
      hostScalar(() => g.lr / (1 - Math.pow(b1, st.step))),
      hostScalar(() => Math.sqrt(1 - Math.pow(b2, st.step))),
      hostScalar(() => (this.decoupled ? 1 - g.lr * g.weightDecay : g.weightDecay)),
    ];
    const ins = [p, grad, m, v, ...(vmax ? [vmax] : [])];
    const outs = [p, m, v, ...(vmax ? [vmax] : [])];
    applyElementwise(prog, ins, outs, scalars);
  }
}

/**
 * One Adam / AdamW step for a parameter: inputs p, g, m, v (and max v for AMSGrad); scalars b1,
 * 1 - b1, b2, 1 - b2, eps, lr / (1 - b1^t), sqrt(1 - b2^t), and the decay factor (1 - lr wd for
 * AdamW, wd for Adam); outputs p, m, v (and max v).
 */
function adamProgram(dtype: DType, decoupled: boolean, amsgrad: boolean, maximize: boolean, decay: boolean): Program {
  return cachedProgram(`adam|${dtype}|${decoupled}|${amsgrad}|${maximize}|${decay}`, () => {
    const s = (i: number) => expr.scalar(i, dtype);
    let p = expr.input(0, dtype);
    let g = expr.input(1, dtype);
    if (maximize) g = expr.unary('neg', g);
    if (decay) {
      if (decoupled) p = mul(p, s(7));
      else g = add(g, mul(p, s(7)));
    }
    const m = add(mul(expr.input(2, dtype), s(0)), mul(g, s(1)));
    const v = add(mul(expr.input(3, dtype), s(2)), mul(mul(g, g), s(3)));
    const vmax = amsgrad ? expr.binary('max', expr.input(4, dtype), v) : null;
    const denom = add(div(expr.unary('sqrt', vmax ?? v), s(6)), s(4));
    const pNew = sub(p, mul(div(m, denom), s(5)));
    const types: DType[] = amsgrad ? [dtype, dtype, dtype, dtype, dtype] : [dtype, dtype, dtype, dtype];
    return expr.program([pNew, m, v, ...(vmax ? [vmax] : [])], types);
  });
}

/** Options of `Adam` / `AdamW`. */
export type AdamOptions = Partial<AdamHyper>;

/**
 * AdamW exactly as `torch.optim.AdamW`: `p *= 1 - lr * wd` (decoupled decay), then
 * `m = b1 m + (1-b1) g`, `v = b2 v + (1-b2) g^2`, `p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`.
 * Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0.01.
 */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  /** AdamW over `params` (a list or groups). */
  constructor(params: ParamsInput<AdamHyper>, options: AdamOptions = {}) {
    super('AdamW', params, { lr: options.lr ?? 1e-3, betas: options.betas ?? [0.9, 0.999], eps: options.eps ?? 1e-8, weightDecay: options.weightDecay ?? 0.01, amsgrad: options.amsgrad ?? false, maximize: options.maximize ?? false });
  }
}

/** Adam exactly as `torch.optim.Adam` (L2 weight decay added to the gradient; default 0). */
export class Adam extends AdamBase {
  protected readonly decoupled = false;
  /** Adam over `params` (a list or groups). */
  constructor(params: ParamsInput<AdamHyper>, options: AdamOptions = {}) {
    super('Adam', params, { lr: options.lr ?? 1e-3, betas: options.betas ?? [0.9, 0.999], eps: options.eps ?? 1e-8, weightDecay: options.weightDecay ?? 0, amsgrad: options.amsgrad ?? false, maximize: options.maximize ?? false });
  }
}

// ---------------------------------------------------------------------------------- helpers

/** Options of `paramGroupsNoDecay`. */
export interface NoDecayOptions {
  /** Weight decay of the decayed group (default 0.01). */
  weightDecay?: number;
  /** Extra predicate: parameters (by dotted name) that must not decay. */
  noDecay?: (name: string, p: Tensor) => boolean;
}

/**
 * Two parameter groups for AdamW: weights of rank >= 2 decay, while 1-D parameters (norm
 * scales, biases), scalars and parameters named `*.bias` do not (`weightDecay: 0`).
 * Parameters that do not require grad are left out. Empty groups are omitted.
 */
export function paramGroupsNoDecay(module: Module, options: NoDecayOptions = {}): ParamGroupSpec<GroupHyper>[] {
  const decay: Tensor[] = [];
  const noDecay: Tensor[] = [];
  for (const [name, p] of module.namedParameters()) {
    if (!p.requiresGrad) continue;
    const skip = p.rank < 2 || name === 'bias' || name.endsWith('.bias') || (options.noDecay?.(name, p) ?? false);
    (skip ? noDecay : decay).push(p);
  }
  const groups: ParamGroupSpec<GroupHyper>[] = [];
  if (decay.length) groups.push({ params: decay, weightDecay: options.weightDecay ?? 0.01 });
  if (noDecay.length) groups.push({ params: noDecay, weightDecay: 0 });
  return groups;
}

/**
 * Scale the gradients of `params` in place so that their total norm is at most `maxNorm`
 * (`coef = min(1, maxNorm / (total + 1e-6))`, as `torch.nn.utils.clip_grad_norm_`). Returns the
 * total norm before clipping as a scalar tensor (no readback; `await norm.item()` if needed;
 * dispose it). `normType` is 2 (default), 1, or Infinity.
 */
export function clipGradNorm(params: Iterable<Tensor> | Module, maxNorm: number, normType = 2): Tensor {
  if (!(maxNorm >= 0)) throw new Error(`clipGradNorm: maxNorm must be >= 0, got ${maxNorm}`);
  if (!(normType === 2 || normType === 1 || normType === Infinity)) throw new Error(`clipGradNorm: normType must be 1, 2 or Infinity, got ${normType}`);
  const list = isModule(params) ? params.parameters() : [...params];
  const grads = list.map((p) => p.grad).filter((g): g is Tensor => g !== null);
  if (grads.length === 0) {
    const b = list[0]?.backend;
    return zeros([], b ? { backend: b } : {});
  }
  return noGrad(() => {
    const total = tidy(() => {
      if (normType === Infinity) {
        let m: Tensor | null = null;
        for (const g of grads) {
          const gm = g.abs().max();
          m = m ? m.maximum(gm) : gm;
        }
        return m!;
      }
      let s: Tensor | null = null;
      for (const g of grads) {
        const part = normType === 2 ? g.square().sum() : g.abs().sum();
        s = s ? s.add(part) : part;
      }
      return normType === 2 ? s!.sqrt() : s!;
    });
    tidy(() => {
      const coef = total.add(1e-6).reciprocal().mul(maxNorm).clamp(undefined, 1);
      // In place, one pass per gradient (bitwise `g.mul(coef)`); a gradient of another dtype than the
      // norm is multiplied with promotion and cast back.
      for (const g of grads) {
        if (g.dtype === coef.dtype) applyElementwise(scaleProgram(g.dtype), [g, coef], [g]);
        else g.assign(g.mul(coef));
      }
    });
    return total;
  });
}

function isModule(x: unknown): x is Module {
  return typeof x === 'object' && x !== null && typeof (x as Module).parameters === 'function' && typeof (x as Module).namedParameters === 'function';
}
