/** Option parsers of the CLI: each error names the option and the offending text. */
import { parseNumber } from '@unihetero/app-common';

/** A non-negative (or >= min) integer option. */
export function parseInteger(name: string, text: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const t = text.trim();
  const want = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
  if (!/^-?\d+$/.test(t)) throw new Error(`${name}: expected ${want}, got '${text}'`);
  const v = Number(t);
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new Error(`${name}: expected ${want}, got '${text}'`);
  return v;
}

/** Upper bounds of the evaluation counts (each item costs a forward pass or a generation). */
export const COUNT_LIMITS = { questions: 100_000, images: 10_000, steps: 1_024 } as const;

/** A positive finite number option (decimal: `0x10` is refused). */
export function parsePositive(name: string, text: string): number {
  try {
    return parseNumber(name, text, { min: 0, exclusiveMin: true });
  } catch {
    throw new Error(`${name}: expected a positive number, got '${text}'`);
  }
}

/** A comma-separated list of integers (>= min), e.g. `--scales 2000,4000,8000`. */
export function parseIntegerList(name: string, text: string, min = 0): number[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) throw new Error(`${name}: expected a comma-separated list of integers, got '${text}'`);
  return parts.map((p) => parseInteger(name, p, min));
}

/** A comma-separated list of names, each one of `known` (`kind` names them in errors: preset, design, variant). */
export function parseNameList(name: string, text: string, known: readonly string[], kind = 'preset'): string[] {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (parts.length === 0) throw new Error(`${name}: expected a comma-separated list, got '${text}'`);
  for (const p of parts) if (!known.includes(p)) throw new Error(`${name}: unknown ${kind} '${p}'; expected a comma-separated subset of ${known.join(', ')}`);
  if (new Set(parts).size !== parts.length) throw new Error(`${name}: '${text}' names a ${kind} twice`);
  return parts;
}
