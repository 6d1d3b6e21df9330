/** Small, exact statistics and formatting helpers shared by the suites. */

/** Median of a non-empty list (mean of the two middle values for even lengths). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median: empty list');
  for (const v of values) if (!Number.isFinite(v)) throw new Error(`median: non-finite value ${v}`);
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** FLOPs of an n x n by n x n matmul: 2 n^3 (one multiply and one add per term). */
export function matmulFlops(n: number, m = n, k = n): number {
  return 2 * n * m * k;
}

/** GFLOP/s of a square n x n matmul that took `seconds`. */
export function gflops(n: number, seconds: number): number {
  if (!(seconds > 0)) throw new Error(`gflops: seconds must be positive, got ${seconds}`);
  return matmulFlops(n) / seconds / 1e9;
}

/** A number with `digits` decimals, or `n/a` for null / non-finite. */
export function fmt(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
}

/** `ours / peer` as `1.23x`, or `n/a` when either side is missing. */
export function fmtRatio(ours: number | null | undefined, peer: number | null | undefined): string {
  if (ours == null || peer == null || !Number.isFinite(ours) || !Number.isFinite(peer) || peer === 0) return 'n/a';
  return `${(ours / peer).toFixed(2)}x`;
}

/** Parse `128,256,512` into positive integers; throws naming the bad entry. */
export function parseSizes(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (parts.length === 0) throw new Error(`--sizes: expected a comma-separated list of positive integers, got '${text}'`);
  return parts.map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--sizes: '${p}' is not a positive integer (in '${text}')`);
    return n;
  });
}

/** Parse a non-negative (or positive with `min = 1`) integer option; throws naming the option. */
export function parseCount(name: string, text: string, min = 0): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}: expected an integer >= ${min}, got '${text}'`);
  return n;
}
