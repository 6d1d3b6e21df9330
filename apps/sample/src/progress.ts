/**
 * Progress of long work on stderr: a live bar (cli-progress) with count, rate and ETA on a TTY;
 * elsewhere (logs, pipes, tests) plain lines, at most one every `intervalMs` plus the final one.
 */
import { createRequire } from 'node:module';
import type { SampleIO } from './io.js';
import { formatDuration } from '@unihetero/app-common';

/** The slice of cli-progress used here (the package ships no types). */
interface CliBar {
  start(total: number, value: number, payload?: Record<string, unknown>): void;
  update(value: number, payload?: Record<string, unknown>): void;
  stop(): void;
}
interface CliProgress {
  SingleBar: new (options: Record<string, unknown>, preset?: unknown) => CliBar;
  Presets: { shades_classic: unknown };
}

/** Reports `done / total` units of one task. */
export interface Progress {
  /** Mark `n` more units done. */
  tick(n?: number): void;
  /** Finish (prints the last plain line, or stops the bar). */
  stop(): void;
}

/** Seconds as `1m05s` / `12s` (negative as 0s). */
export function formatSeconds(s: number): string {
  return formatDuration(Math.max(0, s));
}

/** Start reporting `total` units of `label` (e.g. 'generate', 'images'). */
export function startProgress(io: SampleIO, label: string, unit: string, total: number, options: { intervalMs?: number; now?: () => number } = {}): Progress {
  const now = options.now ?? (() => performance.now());
  const t0 = now();
  let done = 0;
  const rate = () => done / Math.max(1e-9, (now() - t0) / 1000);
  const stream = io.progressStream;
  if (stream?.isTTY) {
    const require = createRequire(import.meta.url);
    const cli = require('cli-progress') as CliProgress;
    const bar = new cli.SingleBar(
      { stream, format: `${label} |{bar}| {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta_formatted}`, hideCursor: true, clearOnComplete: false, etaBuffer: 20, formatTime: (t: number) => formatDuration(t) },
      cli.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: '0.00' });
    return {
      tick(n = 1) {
        done += n;
        bar.update(done, { rate: rate().toFixed(2) });
      },
      stop() {
        bar.stop();
      },
    };
  }
  const interval = options.intervalMs ?? 2000;
  let last = -Infinity;
  let stopped = false;
  const line = () => {
    const r = rate();
    const eta = done > 0 ? (total - done) / r : NaN;
    io.err(`${label}: ${done}/${total} ${unit} (${r.toFixed(2)} ${unit}/s, ${done >= total ? `took ${formatSeconds((now() - t0) / 1000)}` : `ETA ${formatSeconds(eta)}`})`);
  };
  return {
    tick(n = 1) {
      done += n;
      const t = now();
      if (done < total && t - last >= interval) {
        last = t;
        line();
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      line();
    },
  };
}
