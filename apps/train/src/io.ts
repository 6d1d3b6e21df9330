/**
 * What the commands need from the outside: text streams, an abort signal (Ctrl-C), and test hooks.
 * The CLI entry passes the process streams and a SIGINT-driven signal; tests pass buffers.
 */
import type { StepMetrics, Trainer } from '@unihetero/model';

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
  /** Aborted on Ctrl-C: the run finishes its step, saves a checkpoint and exits 130. */
  signal?: AbortSignal;
  /** Test hooks. */
  hooks?: TrainHooks;
}

/** An error whose message is the whole story (printed without a stack trace). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A macrotask turn, so signal handlers and progress timers run between synchronous steps. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The Ctrl-C handler: the first call aborts `controller` (the run finishes its step, saves and
 * exits 130); a second call quits at once through `exit(130)` without saving.
 */
export function interruptHandler(controller: AbortController, stderr: TextSink, exit: (code: number) => void, name = 'unihetero-train'): () => void {
  let count = 0;
  return () => {
    count++;
    if (count === 1) {
      stderr.write(`\n${name}: Ctrl-C: finishing the current step, then saving the checkpoint (Ctrl-C again to quit without saving)\n`);
      controller.abort();
    } else {
      stderr.write(`${name}: quit without saving\n`);
      exit(130);
    }
  };
}

/** `n word` or `n words`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
