/**
 * Option parsers: each turns one option's text into a value or throws naming the option and the
 * text (`--steps: expected an integer >= 1, got '0'`). Numbers are strict (decimal digits only:
 * `0x10` is refused), shared with the other apps.
 */

export { parseInteger, parseNumber } from '@unihetero/app-common';

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
