/**
 * Normal-distribution helpers (erf, erfc, pdf, cdf) and truncated-normal moments.
 *
 * `erf` uses the all-positive series `erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (2n+1)!!`
 * (no cancellation) and the continued fraction for `erfc` (modified Lentz): `erf` uses the series
 * for |x| < 3, `erfc` uses the continued fraction from x >= 1.5 (at most ~90 terms), so `erf`,
 * `erfc` and the far tails of the normal CDF are all accurate to about 1e-15 relative.
 */

const SQRT_PI = Math.sqrt(Math.PI);
const SQRT2 = Math.SQRT2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** erf(|x|) for |x| < 3 by the positive series (argument must be >= 0). */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x; // 2^0 x^1 / 1!!
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return ((2 / SQRT_PI) * Math.exp(-x2)) * sum;
}

/** erfc(x) for x >= 1.5 by the continued fraction erfc(x) = e^{-x^2}/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))). */
function erfcContinuedFraction(x: number): number {
  // Modified Lentz for f = x + a1/(x + a2/(x + ...)) with a_k = k/2.
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / SQRT_PI / f;
}

/** The error function erf(x) = 2/sqrt(pi) * integral_0^x e^{-t^2} dt. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 1;
  if (x === -Infinity) return -1;
  const ax = Math.abs(x);
  const v = ax < 3 ? erfSeries(ax) : 1 - erfcContinuedFraction(ax);
  return x === 0 ? x : x < 0 ? -v : v; // keeps the sign of -0
}

/** The complementary error function erfc(x) = 1 - erf(x), accurate in the right tail. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 0;
  if (x === -Infinity) return 2;
  if (x >= 1.5) return erfcContinuedFraction(x);
  if (x <= -1.5) return 2 - erfcContinuedFraction(-x);
  return x >= 0 ? 1 - erfSeries(x) : 1 + erfSeries(-x);
}

/** Standard normal density phi(z). */
export function normalPdf(z: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * z * z);
}

/** Standard normal CDF Phi(z) = erfc(-z/sqrt 2)/2 (accurate in both tails). */
export function normalCdf(z: number): number {
  if (z === Infinity) return 1;
  if (z === -Infinity) return 0;
  return 0.5 * erfc(-z / SQRT2);
}

/** Mean, standard deviation and mass of N(mean, std^2) truncated to [lo, hi]. */
export interface TruncatedNormalMoments {
  /** Mean of the truncated distribution. */
  mean: number;
  /** Standard deviation of the truncated distribution. */
  std: number;
  /** Probability mass of the untruncated normal inside [lo, hi] (rejection acceptance rate). */
  mass: number;
}

/**
 * Analytic moments of N(mean, std^2) truncated to [lo, hi]: with a = (lo-mu)/sigma,
 * b = (hi-mu)/sigma, Z = Phi(b) - Phi(a): mean = mu + sigma (phi(a) - phi(b))/Z and
 * var = sigma^2 [1 + (a phi(a) - b phi(b))/Z - ((phi(a) - phi(b))/Z)^2].
 */
export function truncatedNormalMoments(mean: number, std: number, lo: number, hi: number): TruncatedNormalMoments {
  if (!(std > 0) || !Number.isFinite(std)) throw new Error(`truncatedNormalMoments: std must be > 0, got ${std}`);
  if (!(lo < hi)) throw new Error(`truncatedNormalMoments: need lo < hi, got lo=${lo} hi=${hi}`);
  const a = (lo - mean) / std;
  const b = (hi - mean) / std;
  // Mass via the tail that keeps precision: if both bounds are in the right tail, use upper tails.
  const mass = a > 0 ? normalCdf(-a) - normalCdf(-b) : normalCdf(b) - normalCdf(a);
  const pa = Number.isFinite(a) ? normalPdf(a) : 0;
  const pb = Number.isFinite(b) ? normalPdf(b) : 0;
  const apa = Number.isFinite(a) ? a * pa : 0;
  const bpb = Number.isFinite(b) ? b * pb : 0;
  const shift = (pa - pb) / mass;
  const variance = std * std * (1 + (apa - bpb) / mass - shift * shift);
  return { mean: mean + std * shift, std: Math.sqrt(Math.max(0, variance)), mass };
}
