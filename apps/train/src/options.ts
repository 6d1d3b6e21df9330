/** Command-line value parsers: each error names the option and the offending text. */
import { InvalidArgumentError } from 'commander';

/** A parser for an integer option `>= min`. */
export function intArg(option: string, min: number) {
  return (text: string): number => {
    const v = Number(text);
    if (text.trim() === '' || !Number.isInteger(v) || v < min) throw new InvalidArgumentError(`${option}: expected an integer >= ${min}, got '${text}'`);
    return v;
  };
}

/** A parser for a finite positive number option. */
export function positiveArg(option: string) {
  return (text: string): number => {
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v) || !(v > 0)) throw new InvalidArgumentError(`${option}: expected a positive number, got '${text}'`);
    return v;
  };
}
