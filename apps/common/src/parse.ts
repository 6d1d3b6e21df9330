/**
 * Strict option parsers: decimal digits only for integers (`0x10`, `1e3`, `12abc` and `''` are
 * refused), finite numbers in a range; each error names the option and the text.
 */

/** An integer `>= min` (and `<= max` when given), written in decimal digits. */
export function parseInteger(name: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const t = text.trim();
  const v = /^[+-]?\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new Error(`${name}: expected an integer ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`}, got '${text}'`);
  }
  return v;
}

/** A finite decimal number within `[min, max]` (bounds inclusive unless `exclusiveMin`); hexadecimal, binary and octal forms are refused. */
export function parseNumber(name: string, text: string, range: { min?: number; max?: number; exclusiveMin?: boolean } = {}): number {
  const t = text.trim();
  const v = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) ? Number(t) : NaN;
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
