/**
 * Learning-rate schedules as pure functions `step -> lr`, and `LRScheduler`, which writes the
 * scheduled value into an optimizer's groups (times each group's optional `lrScale`).
 */
import type { GroupHyper, Optimizer } from './optim.js';

/** A learning-rate schedule: the lr to use for (0-based) optimizer step `step`. */
export type LRSchedule = (step: number) => number;

function checkNum(op: string, name: string, v: number, min = 0): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new Error(`${op}: ${name} must be a finite number >= ${min}, got ${String(v)}`);
}

/** The same lr at every step. */
export function constantLR(lr: number): LRSchedule {
  checkNum('constantLR', 'lr', lr);
  return () => lr;
}

/** Options of the warmup schedules. */
export interface WarmupScheduleOptions {
  /** Peak learning rate reached at the end of warmup (default 1: the schedule is then a multiplier). */
  lr?: number;
  /** Linear warmup steps: step s < warmupSteps uses `lr * (s + 1) / warmupSteps`. */
  warmupSteps: number;
  /** Step at which the decay reaches `minLr` (and stays there). */
  totalSteps: number;
  /** Final learning rate (default 0). */
  minLr?: number;
}

function checkWarmup(op: string, o: WarmupScheduleOptions): { lr: number; minLr: number } {
  const lr = o.lr ?? 1;
  const minLr = o.minLr ?? 0;
  checkNum(op, 'lr', lr);
  checkNum(op, 'minLr', minLr);
  if (!Number.isInteger(o.warmupSteps) || o.warmupSteps < 0) throw new Error(`${op}: warmupSteps must be a non-negative integer, got ${o.warmupSteps}`);
  if (!Number.isInteger(o.totalSteps) || o.totalSteps < o.warmupSteps) throw new Error(`${op}: totalSteps must be an integer >= warmupSteps (${o.warmupSteps}), got ${o.totalSteps}`);
  if (minLr > lr) throw new Error(`${op}: minLr ${minLr} exceeds lr ${lr}`);
  return { lr, minLr };
}

/** Linear warmup to `lr` (step s gets `lr * (s+1) / warmupSteps`), then `decay(done, span)` until `totalSteps`, then `minLr`. */
function warmupThen(op: string, options: WarmupScheduleOptions, decay: (done: number, span: number, lr: number, minLr: number) => number): LRSchedule {
  const { lr, minLr } = checkWarmup(op, options);
  const { warmupSteps: w, totalSteps: T } = options;
  return (step: number) => {
    if (step < w) return (lr * (step + 1)) / w;
    if (step >= T || T === w) return minLr;
    return decay(step - w, T - w, lr, minLr);
  };
}

/**
 * Linear warmup to `lr` over `warmupSteps` (step s gets `lr * (s+1) / warmupSteps`), then a
 * half-cosine from `lr` at `warmupSteps` to `minLr` at `totalSteps`, then `minLr`.
 */
export function linearWarmupCosine(options: WarmupScheduleOptions): LRSchedule {
  return warmupThen('linearWarmupCosine', options, (done, span, lr, minLr) => minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * (done / span))));
}

/** Linear warmup (as `linearWarmupCosine`), then a linear decay to `minLr` at `totalSteps`. */
export function linearWarmupLinear(options: WarmupScheduleOptions): LRSchedule {
  return warmupThen('linearWarmupLinear', options, (done, span, lr, minLr) => lr + ((minLr - lr) * done) / span);
}

/** Options of `warmupStableDecay`. */
export interface WarmupStableDecayOptions extends WarmupScheduleOptions {
  /** Fraction of the steps after warmup spent decaying, at the end (default 0.2). */
  decayFraction?: number;
}

/**
 * Warmup-stable-decay: linear warmup to `lr` (as `linearWarmupCosine`), `lr` held, then a
 * half-cosine from `lr` to `minLr` over the last `decayFraction` of the post-warmup steps. A short
 * run spends most of its steps at the peak rate.
 */
export function warmupStableDecay(options: WarmupStableDecayOptions): LRSchedule {
  const { lr, minLr } = checkWarmup('warmupStableDecay', options);
  const f = options.decayFraction ?? 0.2;
  if (typeof f !== 'number' || !(f >= 0 && f <= 1)) throw new Error(`warmupStableDecay: decayFraction must be in [0, 1], got ${String(f)}`);
  const { warmupSteps: w, totalSteps: T } = options;
  const decayStart = T - Math.round(f * (T - w));
  return (step: number) => {
    if (step < w) return (lr * (step + 1)) / w;
    if (step >= T) return minLr;
    if (step < decayStart) return lr;
    const progress = (step - decayStart) / Math.max(1, T - decayStart);
    return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * progress));
  };
}

/**
 * Applies a schedule to an optimizer: on construction and after every `step()` it sets each
 * group's `lr = schedule(currentStep) * (group.lrScale ?? 1)`. Call `scheduler.step()` once per
 * `optimizer.step()`, after it.
 */
export class LRScheduler {
  /** Index of the step whose lr is currently set (starts at 0). */
  currentStep: number;

  /** Attach `schedule` to `optimizer`, starting at `startStep` (default 0). */
  constructor(
    readonly optimizer: Optimizer<GroupHyper & Record<string, unknown>> | Optimizer<any>,
    readonly schedule: LRSchedule,
    startStep = 0,
  ) {
    this.currentStep = startStep;
    this.apply();
  }

  /** The lr of the current step before group scaling. */
  getLr(): number {
    return this.schedule(this.currentStep);
  }

  /** Advance one step and set the new lrs. */
  step(): void {
    this.currentStep += 1;
    this.apply();
  }

  /** Jump to `step` (for resuming) and set its lrs. */
  setStep(step: number): void {
    if (!Number.isInteger(step) || step < 0) throw new Error(`LRScheduler.setStep: step must be a non-negative integer, got ${step}`);
    this.currentStep = step;
    this.apply();
  }

  private apply(): void {
    const lr = this.schedule(this.currentStep);
    if (!Number.isFinite(lr) || lr < 0) throw new Error(`LRScheduler: schedule returned lr ${lr} at step ${this.currentStep}`);
    for (const g of this.optimizer.paramGroups as GroupHyper[]) g.lr = lr * (g.lrScale ?? 1);
  }

  /** `{ currentStep }` for checkpoints. */
  stateDict(): { currentStep: number } {
    return { currentStep: this.currentStep };
  }

  /** Restore from `stateDict()`. */
  loadStateDict(sd: { currentStep: number }): void {
    this.setStep(sd.currentStep);
  }
}
