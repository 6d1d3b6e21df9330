/**
 * In-place, seeded parameter initialisations with PyTorch's formulas (`torch.nn.init`).
 * Values are drawn on the host from a `Generator` (default: the global one) in row-major order
 * and written into the tensor with `assign`, so every backend gets the same numbers.
 */
import { Generator, Tensor, fmtShape, getDefaultGenerator, noGrad, tensor } from '@unihetero/tensor';

/** Nonlinearities known to `calculateGain`. */
export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** Which fan `kaiming*` preserves: the forward pass (`fan_in`) or the backward pass (`fan_out`). */
export type FanMode = 'fan_in' | 'fan_out';

/** Options of the Kaiming initialisations. */
export interface KaimingOptions {
  /** Negative slope of the leaky ReLU after this layer (default 0). */
  a?: number;
  /** 'fan_in' (default) or 'fan_out'. */
  mode?: FanMode;
  /** Nonlinearity for the gain (default 'leaky_relu'). */
  nonlinearity?: Nonlinearity;
  /** Random stream (default: the global generator). */
  generator?: Generator;
}

/** Recommended gain for a nonlinearity, as `torch.nn.init.calculate_gain`. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (!Number.isFinite(slope)) throw new Error(`calculateGain: negative slope ${slope} is not a finite number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new Error(`calculateGain: unsupported nonlinearity '${String(nonlinearity)}'`);
  }
}

/** `[fanIn, fanOut]` of a weight as PyTorch: dim 1 times the receptive field, dim 0 times the receptive field. */
export function calculateFanInAndFanOut(t: Tensor | readonly number[]): [number, number] {
  const shape = t instanceof Tensor ? t.shape : t;
  if (shape.length < 2) throw new Error(`calculateFanInAndFanOut: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, got ${fmtShape(shape)}`);
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i]!;
  return [shape[1]! * receptive, shape[0]! * receptive];
}

function fanOf(t: Tensor, mode: FanMode): number {
  const [fi, fo] = calculateFanInAndFanOut(t);
  if (mode !== 'fan_in' && mode !== 'fan_out') throw new Error(`init: mode must be 'fan_in' or 'fan_out', got '${String(mode)}'`);
  return mode === 'fan_in' ? fi : fo;
}

/** Write host values into `t` in place (no gradient recorded); returns t. */
function fillFrom(t: Tensor, op: string, f: (i: number) => number): Tensor {
  t.assertAlive(op);
  if (t.dtype === 'int32') throw new Error(`${op}: expected a floating tensor, got int32 ${fmtShape(t.shape)}`);
  const host = t.dtype === 'float64' ? new Float64Array(t.size) : new Float32Array(t.size);
  for (let i = 0; i < host.length; i++) host[i] = f(i);
  noGrad(() => {
    const v = tensor(host, { shape: [...t.shape], dtype: t.dtype, backend: t.backend });
    try {
      t.assign(v);
    } finally {
      v.dispose();
    }
  });
  return t;
}

function gen(g?: Generator): Generator {
  return g ?? getDefaultGenerator();
}

/** Fill with U(a, b) in place; returns t. */
export function uniform_(t: Tensor, a = 0, b = 1, generator?: Generator): Tensor {
  if (!(a <= b)) throw new Error(`uniform_: need a <= b, got a=${a} b=${b}`);
  const g = gen(generator);
  return fillFrom(t, 'uniform_', () => a + (b - a) * g.uniform());
}

/** Fill with N(mean, std^2) in place; returns t. */
export function normal_(t: Tensor, mean = 0, std = 1, generator?: Generator): Tensor {
  if (!(std >= 0)) throw new Error(`normal_: std must be >= 0, got ${std}`);
  const g = gen(generator);
  return fillFrom(t, 'normal_', () => mean + std * g.normal());
}

/** Fill with N(mean, std^2) truncated to [a, b] (resampling outside values) in place; returns t. */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2, generator?: Generator): Tensor {
  if (!(std >= 0) || !(a < b)) throw new Error(`truncNormal_: need std >= 0 and a < b, got std=${std} a=${a} b=${b}`);
  if (mean + 8 * std < a || mean - 8 * std > b) throw new Error(`truncNormal_: mean ${mean} is more than 8 std from [${a}, ${b}]`);
  const g = gen(generator);
  return fillFrom(t, 'truncNormal_', () => {
    for (;;) {
      const v = mean + std * g.normal();
      if (v >= a && v <= b) return v;
    }
  });
}

/** Fill with `value` in place; returns t. */
export function constant_(t: Tensor, value: number): Tensor {
  return fillFrom(t, 'constant_', () => value);
}

/** Fill with zeros in place; returns t. */
export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

/** Fill with ones in place; returns t. */
export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

/** Identity matrix in place for a 2-D tensor; returns t. */
export function eye_(t: Tensor): Tensor {
  if (t.rank !== 2) throw new Error(`eye_: only 2-D tensors are supported, got ${fmtShape(t.shape)}`);
  const cols = t.shape[1]!;
  return fillFrom(t, 'eye_', (i) => (Math.floor(i / cols) === i % cols ? 1 : 0));
}

/** Xavier/Glorot uniform: U(-a, a) with `a = gain * sqrt(6 / (fan_in + fan_out))`; returns t. */
export function xavierUniform_(t: Tensor, gain = 1, generator?: Generator): Tensor {
  const [fi, fo] = calculateFanInAndFanOut(t);
  const a = gain * Math.sqrt(6 / (fi + fo));
  return uniform_(t, -a, a, generator);
}

/** Xavier/Glorot normal: N(0, std^2) with `std = gain * sqrt(2 / (fan_in + fan_out))`; returns t. */
export function xavierNormal_(t: Tensor, gain = 1, generator?: Generator): Tensor {
  const [fi, fo] = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fi + fo)), generator);
}

/** Kaiming/He uniform: U(-b, b) with `b = gain * sqrt(3 / fan)`; returns t. */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const fan = fanOf(t, options.mode ?? 'fan_in');
  if (fan === 0) return t;
  const gain = calculateGain(options.nonlinearity ?? 'leaky_relu', options.a ?? 0);
  const bound = Math.sqrt(3) * (gain / Math.sqrt(fan));
  return uniform_(t, -bound, bound, options.generator);
}

/** Kaiming/He normal: N(0, std^2) with `std = gain / sqrt(fan)`; returns t. */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const fan = fanOf(t, options.mode ?? 'fan_in');
  if (fan === 0) return t;
  const gain = calculateGain(options.nonlinearity ?? 'leaky_relu', options.a ?? 0);
  return normal_(t, 0, gain / Math.sqrt(fan), options.generator);
}

/**
 * PyTorch's default `nn.Linear` initialisation: weight kaiming-uniform with `a = sqrt(5)`
 * (that is U(-1/sqrt(fan_in), 1/sqrt(fan_in))), bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
 */
export function linearDefault_(weight: Tensor, bias: Tensor | null, generator?: Generator): void {
  kaimingUniform_(weight, { a: Math.sqrt(5), generator });
  if (bias) {
    const [fi] = calculateFanInAndFanOut(weight);
    const bound = fi > 0 ? 1 / Math.sqrt(fi) : 0;
    uniform_(bias, -bound, bound, generator);
  }
}

/** Namespace-style access: `init.normal_(t, 0, 0.02, gen)`. */
export const init = {
  calculateGain,
  calculateFanInAndFanOut,
  uniform_,
  normal_,
  truncNormal_,
  constant_,
  zeros_,
  ones_,
  eye_,
  xavierUniform_,
  xavierNormal_,
  kaimingUniform_,
  kaimingNormal_,
  linearDefault_,
};
