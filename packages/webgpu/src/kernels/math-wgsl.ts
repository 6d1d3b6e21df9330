/**
 * WGSL helper functions shared by the elementwise, reduction and norm kernels.
 *
 * WGSL (and the GLSL/MSL/HLSL it is translated to) gives no NaN or accuracy guarantees for its
 * builtins, so everything whose semantics the CPU reference backend pins down (NaN propagation,
 * stable sigmoid/softplus/tanh, erf to ~1e-7, pow with negative bases) is written out here.
 * Each helper is emitted only into kernels that reference it.
 */

interface Helper {
  deps: string[];
  code: string;
}

const HELPERS: Record<string, Helper> = {
  isnan_: { deps: [], code: `fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }` },
  isinf_: { deps: [], code: `fn isinf_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }` },
  nan_: { deps: [], code: `fn nan_() -> f32 { var u = 0x7fc00000u; return bitcast<f32>(u); }` },
  inf_: { deps: [], code: `fn inf_() -> f32 { var u = 0x7f800000u; return bitcast<f32>(u); }` },
  fmax_: {
    deps: ['isnan_'],
    code: `fn fmax_(a: f32, b: f32) -> f32 { if (isnan_(a) || isnan_(b)) { return a + b; } return max(a, b); }`,
  },
  fmin_: {
    deps: ['isnan_'],
    code: `fn fmin_(a: f32, b: f32) -> f32 { if (isnan_(a) || isnan_(b)) { return a + b; } return min(a, b); }`,
  },
  // log(1 + u) for u in [0, 1], accurate to a few ulp: 2 atanh(u / (2 + u)) as a series in s^2 <= 1/9.
  log1p01_: {
    deps: [],
    code: `fn log1p01_(u: f32) -> f32 {
  let s = u / (2.0 + u);
  let z = s * s;
  return 2.0 * s * (1.0 + z * (0.33333333333 + z * (0.2 + z * (0.14285714286 + z * (0.11111111111 + z * (0.09090909091 + z * (0.07692307692 + z * (0.06666666667 + z * 0.05882352941))))))));
}`,
  },
  sigmoid_: {
    deps: [],
    code: `fn sigmoid_(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}`,
  },
  softplus_: {
    deps: ['log1p01_', 'isnan_'],
    code: `fn softplus_(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  return max(x, 0.0) + log1p01_(exp(-abs(x)));
}`,
  },
  // tanh: odd Taylor series below 0.3 (no cancellation), (1 - e^-2|x|) / (1 + e^-2|x|) above (no overflow).
  tanh_: {
    deps: [],
    code: `fn tanh_(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.3) {
    let z = x * x;
    return x * (1.0 + z * (-0.33333333333 + z * (0.13333333333 + z * (-0.05396825397 + z * (0.02186948854 + z * -0.00886323553)))));
  }
  let t = exp(-2.0 * a);
  let r = (1.0 - t) / (1.0 + t);
  return select(r, -r, x < 0.0);
}`,
  },
  // erfc for z >= 0 (Numerical Recipes erfcc, fractional error < 1.2e-7).
  erfc_pos_: {
    deps: [],
    code: `fn erfc_pos_(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  return t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
}`,
  },
  // erf: Maclaurin series below 0.5 (relative accuracy near 0), 1 - erfc above (absolute error ~1e-7).
  erf_: {
    deps: ['erfc_pos_'],
    code: `fn erf_(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.5) {
    let z = x * x;
    return 1.1283791671 * x * (1.0 + z * (-0.33333333333 + z * (0.1 + z * (-0.02380952381 + z * (0.00462962963 + z * (-0.00075757576 + z * (0.00010683761 + z * -0.00001322751)))))));
  }
  let r = 1.0 - erfc_pos_(a);
  return select(r, -r, x < 0.0);
}`,
  },
  // erfc over the whole line: the tail formula for x >= 0, 2 - erfc(-x) below.
  erfc_: {
    deps: ['erfc_pos_'],
    code: `fn erfc_(x: f32) -> f32 {
  if (x >= 0.0) { return erfc_pos_(x); }
  return 2.0 - erfc_pos_(-x);
}`,
  },
  // log(1 + u) without cancellation: log(w) * u / (w - 1) with w = 1 + u (exact where w == 1).
  log1p_: {
    deps: [],
    code: `fn log1p_(u: f32) -> f32 {
  let w = 1.0 + u;
  if (w == 1.0) { return u; }
  return log(w) * (u / (w - 1.0));
}`,
  },
  // Standard normal CDF, with relative accuracy in the lower tail.
  phi_: {
    deps: ['erfc_pos_'],
    code: `fn phi_(x: f32) -> f32 {
  let z = abs(x) * 0.70710678118654752;
  let c = 0.5 * erfc_pos_(z);
  return select(1.0 - c, c, x < 0.0);
}`,
  },
  // x^y with the C/JS pow semantics for negative bases, zeros and infinities; integer |y| <= 64 by repeated squaring.
  powf_: {
    deps: ['isnan_', 'nan_'],
    code: `fn powf_(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (isnan_(x) || isnan_(y)) { return nan_(); }
  let isInt = floor(y) == y;
  if (isInt && abs(y) <= 64.0) {
    var n = u32(abs(y));
    var b = x;
    var r = 1.0;
    loop {
      if ((n & 1u) == 1u) { r = r * b; }
      n = n >> 1u;
      if (n == 0u) { break; }
      b = b * b;
    }
    return select(r, 1.0 / r, y < 0.0);
  }
  if (x == 1.0) { return 1.0; }
  let m = exp2(y * log2(abs(x)));
  if (x < 0.0) {
    if (!isInt) { return nan_(); }
    let h = y * 0.5;
    return select(m, -m, floor(h) != h);
  }
  return m;
}`,
  },
  // Round half to even (WGSL's round() is specified that way, but not every translation honours it).
  rne_: {
    deps: [],
    code: `fn rne_(x: f32) -> f32 {
  let f = floor(x);
  let d = x - f;
  if (d > 0.5) { return f + 1.0; }
  if (d < 0.5) { return f; }
  return select(f + 1.0, f, (f * 0.5) == floor(f * 0.5));
}`,
  },
};

/** WGSL source of the named helpers (and their dependencies) that `code` references. */
export function helpersFor(code: string): string {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const d of HELPERS[name]!.deps) visit(d);
    out.push(HELPERS[name]!.code);
  };
  for (const name of Object.keys(HELPERS)) {
    if (new RegExp(`\\b${name}\\(`).test(code)) visit(name);
  }
  return out.join('\n');
}
