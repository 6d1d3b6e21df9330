/** Markdown-style tables with aligned columns (so the output pastes into docs as is). */

/** Render `rows` under `headers` as a pipe table; the first column is left-aligned, the others right-aligned. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  for (const r of rows) {
    if (r.length !== headers.length) throw new Error(`renderTable: row has ${r.length} cells, header has ${headers.length}: [${r.join(', ')}]`);
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length), 3));
  const numeric = headers.map((_, i) => i > 0);
  const pad = (s: string, i: number) => (numeric[i] ? s.padStart(widths[i]!) : s.padEnd(widths[i]!));
  const line = (cells: readonly string[]) => `| ${cells.map(pad).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

/** Parse a table produced by `renderTable` back into header and rows (used by tests and tools). */
export function parseTable(text: string): { headers: string[]; rows: string[][] } {
  const lines = text.split('\n').filter((l) => l.startsWith('|'));
  const cells = (l: string) => l.slice(1, -1).split('|').map((c) => c.trim());
  if (lines.length < 2) throw new Error('parseTable: no table found');
  return { headers: cells(lines[0]!), rows: lines.slice(2).map(cells) };
}

/** Numbered footnotes: `add(text)` returns the marker `[k]` (same text, same marker). */
export class Footnotes {
  private readonly notes: string[] = [];
  /** Register a note and return its marker. */
  add(text: string): string {
    let i = this.notes.indexOf(text);
    if (i < 0) i = this.notes.push(text) - 1;
    return `[${i + 1}]`;
  }
  /** The notes as `[k] text` lines. */
  lines(): string[] {
    return this.notes.map((n, i) => `[${i + 1}] ${n}`);
  }
  /** Number of notes. */
  get size(): number {
    return this.notes.length;
  }
}
