/**
 * Progress on stderr through cli-progress: a bar with step/total, samples/s, ETA and the current
 * loss. On a terminal it redraws in place; elsewhere (a log file, CI) it prints a line every few
 * seconds. `--quiet` replaces it with a silent one.
 */
import { SingleBar } from 'cli-progress';
import { formatDuration } from '@unihetero/app-common';
import type { TextSink } from './io.js';

/** What the commands report progress through. */
export interface Progress {
  /** Start a bar of `total` units (at `start`), labelled `label`, counting `unit`; `training` adds samples/s and the loss. */
  start(label: string, total: number, start: number, unit: string, training?: boolean): void;
  /** Move to `value` with the given display fields. */
  update(value: number, fields: { rate?: string; loss?: string }): void;
  /** Stop the bar (it stays on screen). */
  stop(): void;
  /** Print a line (above the bar on a terminal). */
  log(line: string): void;
}

/** A progress reporter writing to `stream`; `quiet` prints nothing. */
export function createProgress(stream: TextSink, options: { quiet?: boolean; notTTYSchedule?: number } = {}): Progress {
  if (options.quiet) return { start() {}, update() {}, stop() {}, log() {} };
  let bar: SingleBar | null = null;
  const tty = stream.isTTY === true;
  return {
    start(label, total, start, unit, training = true) {
      bar?.stop();
      bar = new SingleBar({
        // cli-progress only uses write/isTTY (and readline cursor calls on a TTY).
        stream: stream as unknown as NodeJS.WritableStream,
        format: training ? `${label} [{bar}] {value}/{total} ${unit} | {rate} | ETA {eta_formatted} | loss {loss}` : `${label} [{bar}] {value}/{total} ${unit} | ETA {eta_formatted}`,
        barsize: 24,
        noTTYOutput: true,
        notTTYSchedule: options.notTTYSchedule ?? 5000,
        gracefulExit: false,
        hideCursor: false,
        etaBuffer: 20,
        fps: 5,
        formatTime: (t: number) => formatDuration(t),
      });
      bar.start(total, start, { rate: '-', loss: '-' });
    },
    update(value, fields) {
      bar?.update(value, { rate: fields.rate ?? '-', loss: fields.loss ?? '-' });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
    log(line) {
      if (bar && tty) stream.write(`\r\x1b[K${line}\n`);
      else stream.write(`${line}\n`);
    },
  };
}

/** Throughput over a sliding window of steps. */
export class RateMeter {
  private readonly times: number[] = [];
  private readonly counts: number[] = [];
  constructor(private readonly window = 20) {}
  /** Record `count` units done at time `now` (ms). */
  add(count: number, now: number): void {
    this.times.push(now);
    this.counts.push(count);
    if (this.times.length > this.window + 1) {
      this.times.shift();
      this.counts.shift();
    }
  }
  /** Units per second over the window (NaN before two records). */
  perSecond(): number {
    if (this.times.length < 2) return NaN;
    const dt = (this.times[this.times.length - 1]! - this.times[0]!) / 1000;
    const n = this.counts.slice(1).reduce((a, b) => a + b, 0);
    return dt > 0 ? n / dt : NaN;
  }
}
