/**
 * A minimal SVG line chart for loss curves: x linear (steps), y logarithmic (loss parts span
 * decades), one polyline per series, ticks, grid and a legend. Non-finite and non-positive values
 * are skipped (a log axis cannot show them).
 */

/** One curve. */
export interface Series {
  name: string;
  /** CSS colour. */
  color: string;
  points: ReadonlyArray<readonly [number, number]>;
}

/** Chart options. */
export interface ChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** "Nice" linear ticks covering [lo, hi] (1, 2, 5 times a power of ten). */
export function linearTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Log-axis ticks in [lo, hi]: powers of ten, plus 2 and 5 times them under 2.5 decades, every digit under one. */
export function logTicks(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const span = Math.log10(hi / lo);
  const mults = span < 1 ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : span <= 2.5 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let e = a; e <= b; e++) for (const m of mults) {
    const v = m * 10 ** e;
    if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(Number(v.toPrecision(6)));
  }
  return out;
}

const fmt = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(0) : String(Number(v.toPrecision(3))));

/** An SVG document plotting `series` (x linear, y log10). */
export function lineChartSvg(series: readonly Series[], options: ChartOptions = {}): string {
  const W = options.width ?? 760;
  const H = options.height ?? 420;
  const m = { left: 64, right: 150, top: 36, bottom: 48 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const usable = series.map((s) => ({ ...s, points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && y > 0) })).filter((s) => s.points.length > 0);
  const xs = usable.flatMap((s) => s.points.map((p) => p[0]));
  const ys = usable.flatMap((s) => s.points.map((p) => p[1]));
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  if (options.title) parts.push(`<text x="${m.left}" y="22" font-size="15" font-weight="bold">${esc(options.title)}</text>`);
  if (!usable.length) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no data</text></svg>`);
    return parts.join('\n');
  }
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y1 === y0) [y0, y1] = [y0 / 2, y1 * 2];
  const ly0 = Math.log10(y0);
  const ly1 = Math.log10(y1);
  const X = (x: number) => m.left + ((x - x0) / (x1 - x0)) * pw;
  const Y = (y: number) => m.top + (1 - (Math.log10(y) - ly0) / (ly1 - ly0)) * ph;
  const r = (v: number) => v.toFixed(1);
  for (const t of linearTicks(x0, x1)) {
    parts.push(`<line x1="${r(X(t))}" y1="${m.top}" x2="${r(X(t))}" y2="${m.top + ph}" stroke="#eee"/>`);
    parts.push(`<text x="${r(X(t))}" y="${m.top + ph + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  for (const t of logTicks(y0, y1)) {
    parts.push(`<line x1="${m.left}" y1="${r(Y(t))}" x2="${m.left + pw}" y2="${r(Y(t))}" stroke="#eee"/>`);
    parts.push(`<text x="${m.left - 6}" y="${r(Y(t) + 4)}" text-anchor="end">${fmt(t)}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  if (options.xLabel) parts.push(`<text x="${m.left + pw / 2}" y="${H - 10}" text-anchor="middle">${esc(options.xLabel)}</text>`);
  if (options.yLabel) parts.push(`<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(options.yLabel)}</text>`);
  usable.forEach((s, i) => {
    const pts = s.points.map(([x, y]) => `${r(X(x))},${r(Y(y))}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${esc(s.color)}" stroke-width="1.5" points="${pts}"><title>${esc(s.name)}</title></polyline>`);
    const ly = m.top + 10 + i * 18;
    parts.push(`<line x1="${m.left + pw + 12}" y1="${ly}" x2="${m.left + pw + 32}" y2="${ly}" stroke="${esc(s.color)}" stroke-width="2"/>`);
    parts.push(`<text x="${m.left + pw + 38}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** The loss-curve chart of metrics records (total and each loss part against the step). */
export function lossCurveSvg(records: ReadonlyArray<Record<string, unknown>>, title = 'training loss'): string {
  const parts: [string, string][] = [
    ['loss', '#111'],
    ['text', '#1f77b4'],
    ['ploss', '#d62728'],
    ['diffuloss', '#2ca02c'],
  ];
  const series = parts.map(([key, color]) => ({
    name: key === 'loss' ? 'total' : key,
    color,
    points: records.filter((r) => typeof r.step === 'number' && typeof r[key] === 'number').map((r) => [r.step as number, r[key] as number] as const),
  }));
  return lineChartSvg(series, { title, xLabel: 'step', yLabel: 'loss (log scale)' });
}
