/** Where the CLI writes: results to `out` (stdout), messages and progress to `err` (stderr). */
export interface SampleIO {
  /** One line of results (stdout in the CLI). */
  out(line: string): void;
  /** One line of diagnostics or plain-text progress (stderr in the CLI). */
  err(line: string): void;
  /** The progress stream; a TTY gets a live bar, anything else gets throttled lines through `err`. */
  progressStream?: { isTTY?: boolean; write(chunk: string): boolean };
}

/** The process streams. */
export const processIO: SampleIO = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
  progressStream: process.stderr,
};

export { UsageError } from '@unihetero/app-common';

/** The message of anything thrown. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
