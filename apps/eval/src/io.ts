import { processReportIO, type ReportIO } from '@unihetero/app-common';

/** Where the commands write: results (tables, the summary, where outputs are) to `out`, progress lines (preset, scale, step, throughput, ETA) to `progress`. */
export type EvalIO = ReportIO;

/** The CLI's streams: stdout for results, stderr for progress. */
export const processIO: EvalIO = processReportIO;

/** `1m05s`, `42s`, `1h02m`: a short duration for progress lines and reports. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
