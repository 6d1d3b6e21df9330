/**
 * Commander glue the CLIs share: option parsers whose errors commander prints with the usage
 * hint, one way to run a program to an exit code, and the end of a CLI process.
 */
import { InvalidArgumentError, type Command } from 'commander';

/** Where a command writes: results to `out` (stdout in the CLI), progress lines to `progress` (stderr). */
export interface ReportIO {
  /** Results: tables, footnotes, summaries, where outputs are. */
  out(text: string): void;
  /** Progress: what is running, steps, throughput, ETA. */
  progress(text: string): void;
}

/** The process streams as a `ReportIO`: stdout for results, stderr for progress. */
export const processReportIO: ReportIO = {
  out: (text) => void process.stdout.write(`${text}\n`),
  progress: (text) => void process.stderr.write(`${text}\n`),
};

/** Wrap an option parser so that its error becomes commander's "invalid argument" error (its message kept). */
export function checked<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (e) {
      throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
    }
  };
}

/**
 * A commander error, recognised by its `commander.*` code rather than by class: every app has its
 * own copy of commander, so `instanceof` across copies would fail.
 */
function isCommanderError(e: unknown): e is Error & { code: string; exitCode: number } {
  const c = e as { code?: unknown; exitCode?: unknown } | null;
  return e instanceof Error && typeof c?.code === 'string' && c.code.startsWith('commander.') && typeof c.exitCode === 'number';
}

/**
 * Parse `args` (without node and script) with `program` and run its command. Resolves to the exit
 * code: commander's own for help, version and the parse errors it already printed; 0 when the
 * command finished; 1 after `report` was handed anything else the command threw.
 */
export async function runProgram(program: Command, args: string[], report: (error: unknown) => void): Promise<number> {
  try {
    await program.parseAsync(args, { from: 'user' });
    return 0;
  } catch (e) {
    if (isCommanderError(e)) return e.exitCode;
    report(e);
    return 1;
  }
}

/**
 * The end of a CLI's entry module: set the exit code, and should anything (a GPU device, a timer)
 * still hold the event loop 3 s later, say so on stderr (`<program>: something kept the process
 * alive after the <what> finished; exiting`) and exit.
 */
export function exitWhenDone(program: string, code: number, what = 'command'): void {
  process.exitCode = code;
  setTimeout(() => {
    process.stderr.write(`${program}: something kept the process alive after the ${what} finished; exiting\n`);
    process.exit(code);
  }, 3000).unref();
}
