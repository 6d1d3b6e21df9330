/**
 * Exponential moving average of parameters, kept on device as buffers of a `Module` (so it has
 * a state dict and moves with `toBackend`).
 */
import { Tensor, applyElementwise, expr, fmtShape, hostEffect, hostScalar, keep, noGrad, tidy, type DType, type Program } from '@unihetero/tensor';
import { Module } from './module.js';

/** Options of `ExponentialMovingAverage`. */
export interface EMAOptions {
  /** Decay `m` in `ema = m * ema + (1 - m) * theta` (default 0.999). */
  decay?: number;
  /**
   * Use `min(decay, (1 + n) / (10 + n))` for the n-th update (n from 0), which lets the average
   * follow quickly early in training (default false).
   */
  warmup?: boolean;
}

/**
 * `theta_ema = m * theta_ema + (1 - m) * theta` for every parameter of a module (or a list of
 * tensors), computed on device with no readback. The averages are buffers named like the
 * module's parameters (`layers.0.weight`; `0`, `1`, ... for a list), so `stateDict()` and
 * checkpoints include them. `copyTo(module)` writes them into a module (for evaluation or an EMA
 * target network); `store()` / `restore()` swap them in and out temporarily.
 */
export class ExponentialMovingAverage extends Module {
  /** Decay factor. */
  decay: number;
  /** Whether the warmup rule is used. */
  readonly warmup: boolean;
  /** Updates applied so far. */
  numUpdates = 0;
  private readonly _source: Module | Tensor[];
  private readonly _names: string[];
  private _stored: Tensor[] | null = null;

  /** Track the parameters of `source` (a Module or a list of tensors), starting from their current values. */
  constructor(source: Module | Tensor[], options: EMAOptions = {}) {
    super();
    const decay = options.decay ?? 0.999;
    if (!(decay >= 0 && decay <= 1)) throw new Error(`ExponentialMovingAverage: decay must be in [0, 1], got ${decay}`);
    this.decay = decay;
    this.warmup = options.warmup ?? false;
    this._source = Array.isArray(source) ? [...source] : source;
    const tracked = this.tracked();
    if (tracked.length === 0) throw new Error('ExponentialMovingAverage: nothing to track (no parameters)');
    this._names = tracked.map(([n]) => n);
    noGrad(() => {
      for (const [name, p] of tracked) {
        const shadow = keep(p.clone());
        this.registerAt(name, shadow);
      }
    });
    this.training = false;
  }

  /** Register a buffer at a dotted path, creating plain container modules along it. */
  private registerAt(path: string, t: Tensor): void {
    const parts = path.split('.');
    let m: Module = this;
    for (const seg of parts.slice(0, -1)) {
      let c = m._modules.get(seg);
      if (!c) c = m.registerModule(seg, new Module());
      m = c;
    }
    m.registerBuffer(parts[parts.length - 1]!, t);
  }

  /** `[name, live parameter]` pairs of the source. */
  private tracked(): [string, Tensor][] {
    return Array.isArray(this._source) ? this._source.map((t, i) => [String(i), t] as [string, Tensor]) : this._source.namedParameters();
  }

  /** The averaged tensors by name (the EMA's own buffers; do not dispose). */
  shadows(): Map<string, Tensor> {
    return new Map(this.namedBuffers());
  }

  /** The decay the next `update()` will use. */
  currentDecay(): number {
    return this.warmup ? Math.min(this.decay, (1 + this.numUpdates) / (10 + this.numUpdates)) : this.decay;
  }

  /** Fold the source's current parameters into the averages. */
  update(): void {
    const shadows = this.shadows();
    const live = this.liveByName('update');
    // Read at every run (and replay of a compiled step): the warmup decay follows the count.
    let d = this.currentDecay();
    hostEffect(() => {
      d = this.currentDecay();
    });
    const decay = hostScalar(() => d);
    const rest = hostScalar(() => 1 - d);
    noGrad(() => {
      for (const name of this._names) {
        const s = shadows.get(name)!;
        const p = live.get(name)!;
        // One fused pass: s = s * d + p * (1 - d).
        applyElementwise(emaProgram(s.dtype, p.dtype), [s, p], [s], [decay, rest]);
      }
    });
    hostEffect(() => {
      this.numUpdates += 1;
    });
  }

  private liveByName(op: string): Map<string, Tensor> {
    const live = new Map(this.tracked());
    const shadows = this.shadows();
    for (const name of this._names) {
      const p = live.get(name);
      if (!p) throw new Error(`ExponentialMovingAverage.${op}: the source no longer has parameter '${name}'`);
      const s = shadows.get(name);
      if (s && p.shape.join() !== s.shape.join()) throw new Error(`ExponentialMovingAverage.${op}: '${name}' has shape ${fmtShape(p.shape)} but its average has ${fmtShape(s.shape)}`);
    }
    return live;
  }

  /**
   * Write the averages into `target`'s parameters (by name; default: the tracked source). A
   * target module must have every tracked name with the same shape.
   */
  copyTo(target?: Module | Tensor[]): void {
    const shadows = this.shadows();
    const dest: Map<string, Tensor> = target === undefined ? this.liveByName('copyTo') : Array.isArray(target) ? new Map(target.map((t, i) => [String(i), t])) : new Map(target.namedParameters());
    const missing = this._names.filter((n) => !dest.has(n));
    if (missing.length) throw new Error(`ExponentialMovingAverage.copyTo: target lacks parameters [${missing.join(', ')}]`);
    noGrad(() => {
      for (const name of this._names) {
        const p = dest.get(name)!;
        const s = shadows.get(name)!;
        if (p.shape.join() !== s.shape.join()) throw new Error(`ExponentialMovingAverage.copyTo: '${name}' has shape ${fmtShape(p.shape)} in the target but ${fmtShape(s.shape)} in the average`);
        p.assign(s);
      }
    });
  }

  /** Save copies of the source's current parameters (for `restore()`), e.g. before `copyTo()` for evaluation. */
  store(): void {
    this.disposeStored();
    const live = this.liveByName('store');
    this._stored = noGrad(() => this._names.map((n) => keep(live.get(n)!.detach().clone())));
  }

  /** Put back the parameters saved by `store()` and free the copies. */
  restore(): void {
    if (!this._stored) throw new Error('ExponentialMovingAverage.restore: nothing stored (call store() first)');
    const live = this.liveByName('restore');
    const stored = this._stored;
    noGrad(() => this._names.forEach((n, i) => live.get(n)!.assign(stored[i]!)));
    this.disposeStored();
  }

  private disposeStored(): void {
    if (this._stored) for (const t of this._stored) t.dispose();
    this._stored = null;
  }

  /** The EMA is not callable. */
  override forward(): never {
    throw new Error('ExponentialMovingAverage.forward: an EMA holds averages; copyTo() a module and call that');
  }

  /** Free the averages and any stored copies. */
  override dispose(): void {
    this.disposeStored();
    super.dispose();
  }

  override extraRepr(): string {
    return `ExponentialMovingAverage(decay=${this.decay}, updates=${this.numUpdates})`;
  }
}

const emaPrograms = new Map<string, Program>();

/** `s * d + p * (1 - d)` for a shadow of `sd` and a parameter of `pd` (scalars d, 1 - d). */
function emaProgram(sd: DType, pd: DType): Program {
  const key = `${sd}|${pd}`;
  let prog = emaPrograms.get(key);
  if (!prog) {
    const s = expr.input(0, sd);
    const p = expr.cast(expr.input(1, pd), sd);
    prog = expr.program([expr.binary('add', expr.binary('mul', s, expr.scalar(0, sd)), expr.binary('mul', p, expr.scalar(1, sd)))], [sd, pd]);
    emaPrograms.set(key, prog);
  }
  return prog;
}
