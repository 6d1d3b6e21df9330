/**
 * Ctrl-C and SIGTERM for long commands: the first signal aborts a controller (the command finishes
 * its step, saves and exits 130 for SIGINT, 143 for SIGTERM); a second signal of either kind exits
 * at once without saving. Schedulers and container runtimes stop jobs with SIGTERM.
 */

/** The signals handled, with their exit codes (128 + signal number). */
export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/** A handled signal. */
export type StopSignal = keyof typeof SIGNAL_EXIT_CODES;

/** The exit code of an aborted signal: 143 when its reason is 'SIGTERM', else 130 (Ctrl-C). */
export function stopExitCode(signal: AbortSignal | undefined): 130 | 143 {
  return signal?.reason === 'SIGTERM' ? 143 : 130;
}

/**
 * The handler for SIGINT and SIGTERM: the first call aborts `controller` with the signal's name as
 * the reason; a later call writes one line and calls `exit(128 + signal)` without saving.
 */
export function interruptHandler(controller: AbortController, stderr: { write(text: string): unknown }, exit: (code: number) => void, name: string): (signal?: StopSignal) => void {
  let count = 0;
  return (signal: StopSignal = 'SIGINT') => {
    count++;
    if (count === 1) {
      const what = signal === 'SIGINT' ? 'Ctrl-C' : signal;
      stderr.write(`\n${name}: ${what}: finishing the current step, then saving the checkpoint (${signal === 'SIGINT' ? 'Ctrl-C' : 'a second signal'} again to quit without saving)\n`);
      controller.abort(signal);
    } else {
      stderr.write(`${name}: quit without saving\n`);
      exit(SIGNAL_EXIT_CODES[signal]);
    }
  };
}

/** Route SIGINT and SIGTERM of this process to `handler`; returns a function that removes them. */
export function onStopSignals(handler: (signal: StopSignal) => void): () => void {
  const int = () => handler('SIGINT');
  const term = () => handler('SIGTERM');
  process.on('SIGINT', int);
  process.on('SIGTERM', term);
  return () => {
    process.off('SIGINT', int);
    process.off('SIGTERM', term);
  };
}
