/**
 * SVG line plots (accuracy vs samples per preset, loss curves): scales and ticks from d3-scale,
 * paths from d3-shape, the document assembled as plain SVG text (no DOM needed).
 */
import { scaleLinear } from 'd3-scale';
import { line } from 'd3-shape';

/** One series of a plot. */
export interface Series {
  /** Legend label. */
  label: string;
  /** Points in data units. */
  points: readonly (readonly [number, number])[];
  /** Optional fitted line `y = a*x + b`, drawn dashed over the series' x range. */
  fit?: { a: number; b: number };
}

/** Options of `linePlotSvg`. */
export interface PlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** Fixed y domain (default: the data's, padded). */
  yDomain?: [number, number];
}

/** Distinct, colour-blind-friendly series colours (Okabe-Ito). */
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Render series as a standalone SVG document (markers, lines, dashed fits, axes, legend). */
export function linePlotSvg(series: readonly Series[], options: PlotOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const m = { top: 40, right: 170, bottom: 50, left: 64 };
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) throw new Error(`linePlotSvg '${options.title}': no points to plot`);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  let [y0, y1] = options.yDomain ?? [Math.min(...ys), Math.max(...ys)];
  if (!options.yDomain) {
    const pad = (y1 - y0) * 0.08 || Math.abs(y0) * 0.1 || 1;
    y0 -= pad;
    y1 += pad;
  }
  const x = scaleLinear().domain([Math.min(...xs), Math.max(...xs) === Math.min(...xs) ? Math.min(...xs) + 1 : Math.max(...xs)]).range([m.left, width - m.right]).nice();
  const y = scaleLinear().domain([y0, y1]).range([height - m.bottom, m.top]).nice();
  const path = line<readonly [number, number]>()
    .x((p) => x(p[0]))
    .y((p) => y(p[1]));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${width / 2 - m.right / 2 + m.left / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(options.title)}</text>`);
  // Grid and ticks.
  for (const t of y.ticks(6)) {
    out.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 6}" y="${y(t) + 4}" text-anchor="end">${esc(y.tickFormat(6)(t))}</text>`);
  }
  for (const t of x.ticks(6)) {
    out.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${height - m.bottom}" y2="${height - m.bottom + 5}" stroke="#333"/>`);
    out.push(`<text x="${x(t)}" y="${height - m.bottom + 18}" text-anchor="middle">${esc(x.tickFormat(6)(t))}</text>`);
  }
  out.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${height - m.bottom}" y2="${height - m.bottom}" stroke="#333"/>`);
  out.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${height - m.bottom}" stroke="#333"/>`);
  out.push(`<text x="${(m.left + width - m.right) / 2}" y="${height - 12}" text-anchor="middle">${esc(options.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${(m.top + height - m.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(options.yLabel)}</text>`);
  series.forEach((s, i) => {
    const c = COLOURS[i % COLOURS.length]!;
    const pts = [...s.points].sort((p, q) => p[0] - q[0]);
    if (pts.length > 1) out.push(`<path d="${path(pts)}" fill="none" stroke="${c}" stroke-width="2"/>`);
    for (const p of pts) out.push(`<circle cx="${x(p[0])}" cy="${y(p[1])}" r="3.5" fill="${c}"/>`);
    if (s.fit && pts.length > 1) {
      const xa = pts[0]![0];
      const xb = pts[pts.length - 1]![0];
      out.push(`<line x1="${x(xa)}" y1="${y(s.fit.a * xa + s.fit.b)}" x2="${x(xb)}" y2="${y(s.fit.a * xb + s.fit.b)}" stroke="${c}" stroke-width="1.5" stroke-dasharray="6 4"/>`);
    }
    const ly = m.top + 10 + i * 20;
    out.push(`<line x1="${width - m.right + 14}" x2="${width - m.right + 38}" y1="${ly}" y2="${ly}" stroke="${c}" stroke-width="2"/>`);
    out.push(`<text x="${width - m.right + 44}" y="${ly + 4}">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
