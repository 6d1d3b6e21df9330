/**
 * Scalar special functions used by the CPU kernels, accurate in float64.
 *
 * `erf`/`erfc` follow W. J. Cody, "Rational Chebyshev approximations for the error function",
 * Math. Comp. 23 (1969), as in his CALERF routine (relative error below 1e-15 over the real line).
 */

const ERF_A = [3.1611237438705656, 113.86415415105016, 377.485237685302, 3209.3775891384694, 0.18577770618460315];
const ERF_B = [23.601290952344122, 244.02463793444417, 1282.6165260773723, 2844.236833439171];
const ERF_C = [
  0.5641884969886701, 8.883149794388377, 66.11919063714163, 298.635138197400131, 881.952221241769, 1712.0476126340707,
  2051.0783778260716, 1230.3393547979972, 2.1531153547440383e-8,
];
const ERF_D = [
  15.744926110709835, 117.6939508913125, 537.1811018620099, 1621.3895745666903, 3290.7992357334597, 4362.619090143247,
  3439.3676741437216, 1230.3393548037495,
];
const ERF_P = [0.30532663496123236, 0.36034489994980445, 0.12578172611122926, 0.016083785148742275, 6.587491615298378e-4, 0.016315387137302097];
const ERF_Q = [2.568520192289822, 1.8729528499234604, 0.5279051029514284, 0.06051834131244132, 0.0023352049762686918];
const INV_SQRT_PI = 0.56418958354775628695;

/** erfc(y) for y > 0.46875 (Cody's second and third ranges). */
function erfcPositive(y: number): number {
  let r: number;
  if (y <= 4) {
    let num = ERF_C[8]! * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + ERF_C[i]!) * y;
      den = (den + ERF_D[i]!) * y;
    }
    r = (num + ERF_C[7]!) / (den + ERF_D[7]!);
  } else {
    if (y >= 26.543) return 0;
    const z = 1 / (y * y);
    let num = ERF_P[5]! * z;
    let den = z;
    for (let i = 0; i < 4; i++) {
      num = (num + ERF_P[i]!) * z;
      den = (den + ERF_Q[i]!) * z;
    }
    r = (z * (num + ERF_P[4]!)) / (den + ERF_Q[4]!);
    r = (INV_SQRT_PI - r) / y;
  }
  // exp(-y^2) split as exp(-ysq^2) * exp(-del) to keep the rounding error of y^2 out of the exponent.
  const ysq = Math.trunc(y * 16) / 16;
  const del = (y - ysq) * (y + ysq);
  return Math.exp(-ysq * ysq) * Math.exp(-del) * r;
}

/** erf(x) for |x| <= 0.46875. */
function erfSmall(x: number): number {
  const y = Math.abs(x);
  const z = y > 1.11e-16 ? y * y : 0;
  let num = ERF_A[4]! * z;
  let den = z;
  for (let i = 0; i < 3; i++) {
    num = (num + ERF_A[i]!) * z;
    den = (den + ERF_B[i]!) * z;
  }
  return (x * (num + ERF_A[3]!)) / (den + ERF_B[3]!);
}

/** The error function, accurate to about 1e-15 relative in float64. */
export function erf(x: number): number {
  if (x !== x) return x;
  const y = Math.abs(x);
  if (y <= 0.46875) return erfSmall(x);
  const r = 0.5 - erfcPositive(y) + 0.5;
  return x < 0 ? -r : r;
}

/** The complementary error function 1 - erf(x), accurate in the tails. */
export function erfc(x: number): number {
  if (x !== x) return x;
  const y = Math.abs(x);
  if (y <= 0.46875) return 1 - erfSmall(x);
  const r = erfcPositive(y);
  return x < 0 ? 2 - r : r;
}

/** Numerically stable logistic sigmoid. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 0.3989422804014327;
const GELU_TANH_BETA = Math.sqrt(2 / Math.PI);
const GELU_TANH_KAPPA = 0.044715;

/** Exact GELU `x * Phi(x)`, written with erfc so the negative tail keeps its relative accuracy. */
export function gelu(x: number): number {
  return 0.5 * x * erfc(-x * SQRT1_2);
}

/** d/dx of exact GELU: `Phi(x) + x * phi(x)`. */
export function geluDeriv(x: number): number {
  return 0.5 * erfc(-x * SQRT1_2) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/** GELU with the tanh approximation: `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`. */
export function geluTanh(x: number): number {
  const inner = GELU_TANH_BETA * (x + GELU_TANH_KAPPA * x * x * x);
  return 0.5 * x * (1 + Math.tanh(inner));
}

/** d/dx of tanh-approximated GELU (same formula as PyTorch's `gelu_backward(approximate='tanh')`). */
export function geluTanhDeriv(x: number): number {
  const x2 = x * x;
  const t = Math.tanh(GELU_TANH_BETA * (x + GELU_TANH_KAPPA * x2 * x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_TANH_BETA * (1 + 3 * GELU_TANH_KAPPA * x2);
}

/** Stable softplus `log(1 + e^x) = max(x, 0) + log1p(exp(-|x|))`. */
export function softplus(x: number): number {
  return (x > 0 ? x : 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** Round half to even (banker's rounding), as `torch.round`. Keeps the sign of zero. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  let r = f;
  if (d > 0.5 || (d === 0.5 && f % 2 !== 0)) r = f + 1;
  return r === 0 && (x < 0 || Object.is(x, -0)) ? -0 : r;
}

/** C / IEEE `pow` semantics (JavaScript's `Math.pow` differs: pow(1, NaN) and pow(-1, +-Inf) are 1 in C). */
export function powC(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return Math.pow(x, y);
}

/** Integer power with int32 wrap-around, as integer `torch.pow`; negative exponents are an error. */
export function powInt(x: number, y: number): number {
  if (y < 0) {
    if (x === 1) return 1;
    if (x === -1) return y % 2 === 0 ? 1 : -1;
    throw new Error(`pow: integers to negative integer powers are not allowed (base ${x}, exponent ${y})`);
  }
  let result = 1;
  let base = x | 0;
  let e = y;
  while (e > 0) {
    if (e & 1) result = Math.imul(result, base);
    base = Math.imul(base, base);
    e = Math.floor(e / 2);
  }
  return result;
}
