/**
 * Interleaved timing of training contenders on a shared, noisy machine: every contender is built
 * first (same weights and batches), warmed up (jit compiles and traces happen there), then timed
 * in `rounds` rounds of `steps` steps each, contenders taking turns within a round. Speeds are
 * medians over rounds and ratios are medians of the per-round ratios, so a load spike hits every
 * contender of a round alike instead of one of them.
 */
import { reason, type BenchIO } from '../io.js';

/** One trainer under test. */
export interface Contender {
  id: string;
  variant: string;
  /** Make this contender's device current (tfjs has one active backend). */
  activate(): Promise<void>;
  /** One training step on batch `k`; resolves to the loss (read back). */
  step(k: number): Promise<number>;
  dispose(): void;
  /** GPU dispatches recorded so far (our WebGPU backend), for dispatches per step. */
  dispatches?(): number;
}

/** Timing options. */
export interface RoundsOptions {
  /** Untimed steps per contender before the rounds. */
  warmup: number;
  /** Timed steps per contender per round. */
  steps: number;
  /** Rounds. */
  rounds: number;
  /** Distinct batches cycled through. */
  batches: number;
}

/** What was measured for one contender. */
export interface RoundsEntry {
  id: string;
  variant: string | null;
  /** Steps/s of each round. */
  rates: number[];
  /** Median of `rates`. */
  stepsPerSec: number | null;
  msPerStep: number | null;
  /** Loss of every step, warmup included, in order. */
  losses: number[];
  /** Median GPU dispatches per timed step (our WebGPU contenders), else null. */
  dispatchesPerStep: number | null;
  error: string | null;
}

/** Median of a list (NaN for an empty one). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Median over rounds of `a`'s rate divided by `b`'s (null when either has no rate). */
export function ratioOfRounds(a: RoundsEntry | undefined, b: RoundsEntry | undefined): number | null {
  if (!a || !b || a.rates.length === 0 || b.rates.length === 0) return null;
  const n = Math.min(a.rates.length, b.rates.length);
  const r: number[] = [];
  for (let i = 0; i < n; i++) r.push(a.rates[i]! / b.rates[i]!);
  return median(r);
}

/** Build, warm up and time every contender (see the module comment). Failures are recorded, not thrown. */
export async function runRounds(suite: string, loaders: { id: string; load: () => Promise<Contender> }[], opts: RoundsOptions, io: BenchIO): Promise<RoundsEntry[]> {
  const entries: RoundsEntry[] = [];
  const live: { c: Contender; e: RoundsEntry; next: number }[] = [];
  for (const { id, load } of loaders) {
    const e: RoundsEntry = { id, variant: null, rates: [], stepsPerSec: null, msPerStep: null, losses: [], dispatchesPerStep: null, error: null };
    entries.push(e);
    try {
      io.progress(`${suite}: ${id}: building, ${opts.warmup} warmup steps`);
      const c = await load();
      e.variant = c.variant;
      await c.activate();
      const slot = { c, e, next: 0 };
      for (let i = 0; i < opts.warmup; i++) await stepOnce(slot, opts);
      live.push(slot);
    } catch (err) {
      e.error = reason(err);
      io.progress(`  ${id} failed: ${e.error}`);
    }
  }
  for (let r = 0; r < opts.rounds; r++) {
    for (const slot of live) {
      if (slot.e.error) continue;
      try {
        await slot.c.activate();
        const d0 = slot.c.dispatches?.();
        const t0 = performance.now();
        for (let i = 0; i < opts.steps; i++) await stepOnce(slot, opts);
        const ms = (performance.now() - t0) / opts.steps;
        slot.e.rates.push(1000 / ms);
        if (d0 !== undefined) {
          const per = (slot.c.dispatches!() - d0) / opts.steps;
          slot.e.dispatchesPerStep = slot.e.dispatchesPerStep === null ? per : Math.min(slot.e.dispatchesPerStep, per);
        }
        io.progress(`  round ${r + 1}: ${slot.e.id} ${(1000 / ms).toFixed(2)} steps/s`);
      } catch (err) {
        slot.e.error = reason(err);
        io.progress(`  ${slot.e.id} failed: ${slot.e.error}`);
      }
    }
  }
  for (const { c, e } of live) {
    c.dispose();
    if (e.error === null && e.rates.length > 0) {
      e.stepsPerSec = median(e.rates);
      e.msPerStep = 1000 / e.stepsPerSec;
    }
  }
  return entries;
}

async function stepOnce(slot: { c: Contender; e: RoundsEntry; next: number }, opts: RoundsOptions): Promise<void> {
  const loss = await slot.c.step(slot.next % opts.batches);
  slot.next++;
  if (!Number.isFinite(loss)) throw new Error(`loss is ${loss} at step ${slot.next}`);
  slot.e.losses.push(loss);
}
