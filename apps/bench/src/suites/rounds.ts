/**
 * Interleaved timing of training contenders on a shared, noisy machine: every contender is built
 * first (same weights and batches), warmed up (jit compiles and traces happen there), then timed
 * in `rounds` rounds of `steps` steps each, contenders taking turns within a round. Speeds are
 * medians over rounds and ratios are medians of the per-round ratios, so a load spike hits every
 * contender of a round alike instead of one of them.
 */
import { reason, type BenchIO } from '../io.js';
import { fmt } from '../stats.js';
import { renderTable, type Footnotes } from '../table.js';

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
  /** One line on how the contender ran (our compiled steps: replayed or fell back, and why). */
  status?(): string | null;
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
  /** Process CPU time (user + system, all threads) per timed step of each round, in ms. */
  cpuMs: number[];
  /** Median of `cpuMs`: robust to time slicing on a shared machine, not to cache contention. */
  cpuMsPerStep: number | null;
  /** Loss of every step, warmup included, in order. */
  losses: number[];
  /** Median GPU dispatches per timed step (our WebGPU contenders), else null. */
  dispatchesPerStep: number | null;
  /** The contender's `status()` after the last round, else null. */
  status: string | null;
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
    const e: RoundsEntry = { id, variant: null, rates: [], stepsPerSec: null, msPerStep: null, cpuMs: [], cpuMsPerStep: null, losses: [], dispatchesPerStep: null, status: null, error: null };
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
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        for (let i = 0; i < opts.steps; i++) await stepOnce(slot, opts);
        const ms = (performance.now() - t0) / opts.steps;
        const cpu = process.cpuUsage(c0);
        slot.e.rates.push(1000 / ms);
        slot.e.cpuMs.push((cpu.user + cpu.system) / 1000 / opts.steps);
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
    try {
      e.status = c.status?.() ?? null;
    } catch (err) {
      e.status = `status unavailable: ${reason(err)}`;
    }
    c.dispose();
    if (e.error === null && e.rates.length > 0) {
      e.stepsPerSec = median(e.rates);
      e.msPerStep = 1000 / e.stepsPerSec;
      e.cpuMsPerStep = median(e.cpuMs);
    }
  }
  return entries;
}

/** How `trainingTable` presents a suite's entries. */
export interface TrainingTableOptions {
  /** Name of the rate column (`steps/s`, or e.g. `tokens/s` with `perStep` tokens per step). */
  rateName: string;
  /** Units per step (1 for steps/s). */
  perStep: number;
  /** Decimals of the rate and of the per-round rates. */
  rateDigits: [number, number];
  /** Warmup plus timed steps per contender (for the loss columns). */
  totalSteps: number;
  /** Largest accepted relative difference of the step-1 loss from ours. */
  lossTolerance: number;
  /** Add a `cpu ms/step` column (process CPU time per step, median of rounds). */
  cpuColumn?: boolean;
  /** Receives the failures and loss mismatches. */
  notes: Footnotes;
}

/** The table of a training suite and what it checked. */
export interface TrainingTable {
  table: string;
  /** max over contenders of |loss1 - ours1| / |ours1| (null without ours or without others). */
  firstLossMaxRelDiff: number | null;
  /** Lines to print under the table: variants, compile status, the first-loss check. */
  lines: string[];
}

/**
 * The table of a training suite: rate (median of rounds), ms/step, per-round rates, dispatches per
 * step when measured, losses of steps 1-3 and of the last step, the relative difference of the
 * step-1 loss from ours (a forward pass on identical weights and batch), and our compiled step's
 * speed relative to each contender (median of per-round ratios). The reference is
 * `ours-cpu-compiled` when it ran, else the first of ours that did.
 */
export function trainingTable(entries: readonly RoundsEntry[], o: TrainingTableOptions): TrainingTable {
  const { notes } = o;
  const ref = entries.find((e) => e.id === 'ours-cpu-compiled' && e.error === null) ?? entries.find((e) => e.id.startsWith('ours') && e.error === null);
  const lossRef = entries.find((e) => e.id.startsWith('ours') && e.error === null);
  const ref1 = lossRef?.losses[0];
  let firstLossMaxRelDiff: number | null = null;
  // Losses of the first (up to) 3 steps and of the last step.
  const lossSteps = [...Array(Math.min(3, o.totalSteps)).keys()];
  if (o.totalSteps > 3) lossSteps.push(o.totalSteps - 1);
  const showDispatches = entries.some((e) => e.dispatchesPerStep !== null);
  const refName = ref?.id ?? 'ours';
  const headers = [
    'impl',
    o.rateName,
    'ms/step',
    ...(o.cpuColumn ? ['cpu ms/step'] : []),
    `rounds (${o.rateName})`,
    ...(showDispatches ? ['dispatches/step'] : []),
    ...lossSteps.map((i) => `loss@${i + 1}`),
    'Δloss@1 vs ours',
    `${refName}/impl`,
  ];
  const rows = entries.map((e) => {
    if (e.error !== null) {
      const mark = notes.add(`${e.id}: ${e.error}`);
      return [e.id, `n/a ${mark}`, ...headers.slice(2).map(() => 'n/a')];
    }
    let diff = 'n/a';
    if (ref1 !== undefined && e !== lossRef) {
      const rel = Math.abs(e.losses[0]! - ref1) / Math.abs(ref1);
      firstLossMaxRelDiff = Math.max(firstLossMaxRelDiff ?? 0, rel);
      diff = rel.toExponential(1);
      if (rel > o.lossTolerance) diff += ` ✗${notes.add(`${e.id}: step-1 loss ${e.losses[0]} differs from ours ${ref1} by ${rel.toExponential(2)} (tolerance ${o.lossTolerance})`)}`;
    } else if (e === lossRef) diff = '0 (ref)';
    const l = (i: number) => (e.losses[i] === undefined ? 'n/a' : e.losses[i]!.toFixed(5));
    const ratio = ratioOfRounds(ref, e);
    return [
      e.id,
      fmt(e.stepsPerSec === null ? null : e.stepsPerSec * o.perStep, o.rateDigits[0]),
      fmt(e.msPerStep, 1),
      ...(o.cpuColumn ? [fmt(e.cpuMsPerStep, 1)] : []),
      e.rates.map((r) => (r * o.perStep).toFixed(o.rateDigits[1])).join(' / '),
      ...(showDispatches ? [e.dispatchesPerStep === null ? '' : e.dispatchesPerStep.toFixed(0)] : []),
      ...lossSteps.map(l),
      diff,
      e === ref ? '1.00x' : ratio === null ? 'n/a' : `${ratio.toFixed(2)}x`,
    ];
  });
  const lines: string[] = [];
  for (const e of entries) if (e.variant) lines.push(`- ${e.id} = ${e.variant}`);
  for (const e of entries) if (e.status) lines.push(`- ${e.id}: ${e.status}`);
  lines.push(
    ref1 === undefined
      ? '- first losses: no reference (our backend did not run)'
      : `- first losses: same weights and batch everywhere; max relative difference of loss@1 from ours ${firstLossMaxRelDiff === null ? 'n/a' : (firstLossMaxRelDiff as number).toExponential(2)} (tolerance ${o.lossTolerance})`,
  );
  return { table: renderTable(headers, rows), firstLossMaxRelDiff, lines };
}

async function stepOnce(slot: { c: Contender; e: RoundsEntry; next: number }, opts: RoundsOptions): Promise<void> {
  const loss = await slot.c.step(slot.next % opts.batches);
  slot.next++;
  if (!Number.isFinite(loss)) throw new Error(`loss is ${loss} at step ${slot.next}`);
  slot.e.losses.push(loss);
}

/** Print a training suite's report: its one-line description, the table, the lines under it and the footnotes; returns the footnotes. */
export function printTrainingReport(io: BenchIO, description: string, t: TrainingTable, notes: Footnotes): string[] {
  io.out('');
  io.out(description);
  io.out('');
  io.out(t.table);
  io.out('');
  for (const l of t.lines) io.out(l);
  const footnotes = notes.lines();
  for (const f of footnotes) io.out(f);
  return footnotes;
}
