/**
 * What the commands need from the outside: text streams, an abort signal (Ctrl-C), and test hooks.
 * The CLI entry passes the process streams and a SIGINT-driven signal; tests pass buffers.
 */
import type { StepMetrics, Trainer } from '@unihetero/model';
import { interruptHandler as sharedInterruptHandler, type StopSignal } from '@unihetero/app-common';

/** A text sink (a process stream or a test buffer). */
export interface TextSink {
  write(text: string): unknown;
  /** True when the sink is an interactive terminal (the progress bar redraws in place). */
  isTTY?: boolean;
}

/** Callbacks tests use to observe or disturb a run. */
export interface TrainHooks {
  /** Called after each training step's metrics are written, before evaluation and checkpointing. */
  afterStep?: (metrics: StepMetrics, trainer: Trainer) => void | Promise<void>;
}

/** The outside world of a command. */
export interface AppIO {
  /** Results and the final summary. */
  stdout: TextSink;
  /** Progress, warnings and errors. */
  stderr: TextSink;
  /** Aborted on Ctrl-C or SIGTERM (the reason is the signal's name): the run finishes its step, saves a checkpoint and exits 130 or 143. */
  signal?: AbortSignal;
  /** Test hooks. */
  hooks?: TrainHooks;
}

export { UsageError } from '@unihetero/app-common';

/** A macrotask turn, so signal handlers and progress timers run between synchronous steps. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The SIGINT/SIGTERM handler: the first call aborts `controller` with the signal's name (the run
 * finishes its step, saves and exits 130, or 143 for SIGTERM); a second call quits at once through
 * `exit(130 | 143)` without saving.
 */
export function interruptHandler(controller: AbortController, stderr: TextSink, exit: (code: number) => void, name = 'unihetero-train'): (signal?: StopSignal) => void {
  return sharedInterruptHandler(controller, stderr, exit, name);
}

/** `n word` or `n words`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
