import { processReportIO, type ReportIO } from '@unihetero/app-common';

/** Where the commands write: results (tables, the summary, where outputs are) to `out`, progress lines (preset, scale, step, throughput, ETA) to `progress`. */
export type EvalIO = ReportIO;

/** The CLI's streams: stdout for results, stderr for progress. */
export const processIO: EvalIO = processReportIO;

/** `1m05s`, `42s`, `1h02m`: a short duration for progress lines and reports. */
export { formatDuration } from '@unihetero/app-common';
