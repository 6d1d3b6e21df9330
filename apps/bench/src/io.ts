/** Where a suite writes: results (the table) to `out`, progress lines to `progress`. */
export interface BenchIO {
  /** Results: tables, footnotes (stdout in the CLI). */
  out(text: string): void;
  /** Progress: which suite / peer / size is running (stderr in the CLI). */
  progress(text: string): void;
}

/** The CLI's streams: stdout for results, stderr for progress. */
export const processIO: BenchIO = {
  out: (text) => void process.stdout.write(`${text}\n`),
  progress: (text) => void process.stderr.write(`${text}\n`),
};

/** A message from anything thrown (first line only, for table footnotes). */
export function reason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!.trim() || 'unknown error';
}
