import { processReportIO, type ReportIO } from '@unihetero/app-common';

/** Where a suite writes: results (tables, footnotes) to `out`, which suite / peer / size is running to `progress`. */
export type BenchIO = ReportIO;

/** The CLI's streams: stdout for results, stderr for progress. */
export const processIO: BenchIO = processReportIO;

/** A message from anything thrown (first line only, for table footnotes). */
export function reason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!.trim() || 'unknown error';
}
