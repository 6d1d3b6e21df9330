/**
 * Option parsers: each turns one option's text into a value or throws naming the option and the
 * text (`--steps: expected an integer >= 1, got '0'`).
 */

/** An integer `>= min` (and `<= max` when given). */
export function parseInteger(name: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const t = text.trim();
  const v = /^[+-]?\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new Error(`${name}: expected an integer ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`}, got '${text}'`);
  }
  return v;
}

/** A finite number within `[min, max]` (bounds inclusive unless `exclusiveMin`). */
export function parseNumber(name: string, text: string, range: { min?: number; max?: number; exclusiveMin?: boolean } = {}): number {
  const t = text.trim();
  const v = t === '' ? NaN : Number(t);
  const { min = -Infinity, max = Infinity, exclusiveMin = false } = range;
  const ok = Number.isFinite(v) && (exclusiveMin ? v > min : v >= min) && v <= max;
  if (!ok) {
    const lo = min === -Infinity ? '' : `${exclusiveMin ? '>' : '>='} ${min}`;
    const hi = max === Infinity ? '' : `<= ${max}`;
    const what = [lo, hi].filter(Boolean).join(' and ');
    throw new Error(`${name}: expected a finite number${what ? ` ${what}` : ''}, got '${text}'`);
  }
  return v;
}

/** `a|b|c`: the options of a multiple-choice question (at least two, none empty, no duplicates). */
export function parseChoices(name: string, text: string): string[] {
  const options = text.split('|').map((s) => s.trim());
  if (options.length < 2) throw new Error(`${name}: expected at least two options separated by '|', got '${text}'`);
  const empty = options.findIndex((o) => o.length === 0);
  if (empty >= 0) throw new Error(`${name}: option ${empty + 1} of '${text}' is empty`);
  const seen = new Set<string>();
  for (const o of options) {
    if (seen.has(o)) throw new Error(`${name}: option '${o}' appears twice in '${text}'`);
    seen.add(o);
  }
  return options;
}

/** Lines of a captions file: one caption per line; blank lines and lines starting with '#' are skipped. */
export function parseCaptionLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
}
