/**
 * Durations for progress lines and reports: `42s`, `1m05s`, `1h02m`. The seconds are rounded
 * once, before they are split, so a value just under a minute shows as `4m00s`, never `3m60s`
 * (cli-progress's own ETA format rounds the seconds part alone).
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
