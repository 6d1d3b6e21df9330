/**
 * Sinusoidal time features and the time-embedding MLP (MAR's `TimestepEmbedder`, docs/method.md
 * section 8.1).
 */
import { Tensor, concat, fmtShape, tensor, tidy, zeros } from '@unihetero/tensor';
import { Linear, Module, Sequential, SiLU, type LayerOptions } from '@unihetero/nn';

/** Options of `timestepEmbedding`. */
export interface TimestepEmbeddingOptions {
  /** Longest period (default 10000). */
  maxPeriod?: number;
  /** Multiply `t` by this before the sinusoid (default 1; the head uses 1000, docs/method.md 8.1). */
  scale?: number;
}

/** The frequencies `f_k = exp(-ln(maxPeriod)·k/half)`, `k = 0..half-1`, as host numbers. */
export function sincosFrequencies(dim: number, maxPeriod = 10000): Float64Array {
  if (!Number.isInteger(dim) || dim < 2) throw new Error(`sincosFrequencies: dim must be an integer >= 2, got ${dim}`);
  if (!(maxPeriod > 0) || !Number.isFinite(maxPeriod)) throw new Error(`sincosFrequencies: maxPeriod must be a finite number > 0, got ${maxPeriod}`);
  const half = Math.floor(dim / 2);
  const f = new Float64Array(half);
  for (let k = 0; k < half; k++) f[k] = Math.exp((-Math.log(maxPeriod) * k) / half);
  return f;
}

/**
 * Sinusoidal features of times `t [N]` (or `[N, 1]`): `[N, dim]` = `[cos(s·t·f_0..), sin(s·t·f_0..)]`,
 * cosine half first, one zero column appended when `dim` is odd (MAR / GLIDE, docs/method.md 8.1).
 * Differentiable in `t`.
 */
export function timestepEmbedding(t: Tensor, dim: number, options: TimestepEmbeddingOptions = {}): Tensor {
  const op = 'timestepEmbedding';
  if (!(t.rank === 1 || (t.rank === 2 && t.shape[1] === 1))) throw new Error(`${op}: expected times of shape [N] or [N, 1], got ${fmtShape(t.shape)}`);
  if (t.dtype === 'int32') throw new Error(`${op}: times must be floating, got int32 ${fmtShape(t.shape)}`);
  const scale = options.scale ?? 1;
  if (!Number.isFinite(scale)) throw new Error(`${op}: scale must be finite, got ${scale}`);
  const freqsHost = sincosFrequencies(dim, options.maxPeriod ?? 10000);
  return tidy(() => {
    const n = t.shape[0]!;
    const freqs = tensor(t.dtype === 'float64' ? freqsHost : Float32Array.from(freqsHost), { shape: [1, freqsHost.length], dtype: t.dtype, backend: t.backend });
    const col = t.rank === 1 ? t.reshape(n, 1) : t;
    const args = (scale === 1 ? col : col.mul(scale)).mul(freqs);
    const parts = [args.cos(), args.sin()];
    if (dim % 2 === 1) parts.push(zeros([n, 1], { dtype: t.dtype, backend: t.backend }));
    return concat(parts, -1);
  });
}

/** Options of `TimestepEmbedder`. */
export interface TimestepEmbedderOptions extends LayerOptions {
  /** Size of the sinusoidal features (default 256). */
  frequencyDim?: number;
  /** Longest period (default 10000). */
  maxPeriod?: number;
  /** `t` is fed to the sinusoid as `scale·t` (default 1000, docs/method.md 8.1 PROPOSAL). */
  scale?: number;
}

/**
 * Time embedding `Linear_2(SiLU(Linear_1(sincos(scale·t))))` with MAR's names (`mlp.0`, `mlp.2`)
 * and init (both weights `N(0, 0.02²)`, biases 0).
 */
export class TimestepEmbedder extends Module {
  /** `Sequential(Linear(F, w), SiLU, Linear(w, w))`. */
  mlp: Sequential;
  /** Size of the sinusoidal features. */
  readonly frequencyDim: number;
  /** Longest period. */
  readonly maxPeriod: number;
  /** Time multiplier before the sinusoid. */
  readonly scale: number;

  /** An embedder from times to `hidden`-wide vectors. */
  constructor(
    readonly hidden: number,
    options: TimestepEmbedderOptions = {},
  ) {
    super();
    this.frequencyDim = options.frequencyDim ?? 256;
    this.maxPeriod = options.maxPeriod ?? 10000;
    this.scale = options.scale ?? 1000;
    const lo = { generator: options.generator, backend: options.backend, dtype: options.dtype, init: { normal: 0.02 } as const };
    this.mlp = new Sequential(new Linear(this.frequencyDim, hidden, lo), new SiLU(), new Linear(hidden, hidden, lo));
  }

  /** `t [N]` (times in [0, 1]) -> `[N, hidden]`. */
  override forward(t: Tensor): Tensor {
    return this.mlp.call(timestepEmbedding(t, this.frequencyDim, { maxPeriod: this.maxPeriod, scale: this.scale }));
  }

  override extraRepr(): string {
    return `TimestepEmbedder(freq=${this.frequencyDim}, hidden=${this.hidden}, scale=${this.scale})`;
  }
}
