/** Command-line value parsers (strict: decimal digits only): each error names the option and the offending text. */
import { InvalidArgumentError } from 'commander';
import { checked, parseInteger, parseNumber } from '@unihetero/app-common';

/** A parser for an integer option `>= min` (and `<= max`). */
export function intArg(option: string, min: number, max?: number): (text: string) => number {
  return checked((text) => parseInteger(option, text, min, max));
}

/** A parser for a finite positive number option. */
export function positiveArg(option: string) {
  return (text: string): number => {
    try {
      return parseNumber(option, text, { min: 0, exclusiveMin: true });
    } catch {
      throw new InvalidArgumentError(`${option}: expected a positive number, got '${text}'`);
    }
  };
}
