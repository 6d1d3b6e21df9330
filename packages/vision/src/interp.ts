/**
 * Separable image resizing with PyTorch's `F.interpolate` semantics (docs/method.md 3.4): bicubic
 * (a = -0.75) and bilinear, `align_corners` false or true, and the antialiased variants
 * (`antialias=True`, PIL-style filters whose support grows with the downscale factor; bicubic uses
 * a = -0.5 there, as PyTorch and PIL do). A resize along one axis is a fixed `[out, in]` matrix,
 * so a 2-D resize is two matmuls: differentiable and the same on every backend.
 */
import { Tensor, fmtShape, tensor, tidy } from '@unihetero/tensor';

/** Interpolation kernels `resize2d` offers. */
export type InterpolationMode = 'bicubic' | 'bilinear';

/** How one axis is resampled (PyTorch `F.interpolate` arguments). */
export interface ResizeOptions {
  /** 'bicubic' (default) or 'bilinear'. */
  mode?: InterpolationMode;
  /** PyTorch `align_corners` (default false). Not supported together with `antialias`. */
  alignCorners?: boolean;
  /** PyTorch `antialias` (default false): widen the filter when downsampling. */
  antialias?: boolean;
  /**
   * PyTorch `scale_factor` for this axis, used for the coordinate mapping instead of `in/out`
   * (the older DINO code passed `(n + 0.1) / n0`). Default: derived from the sizes.
   */
  scaleFactor?: number;
}

/** PyTorch's bicubic coefficient for the non-antialiased kernel. */
export const BICUBIC_A = -0.75;
/** PyTorch's (and PIL's) bicubic coefficient for the antialiased kernel. */
export const BICUBIC_AA_A = -0.5;

/** The cubic convolution kernel `W(x)` with parameter `a` (Keys 1981), zero for |x| >= 2. */
export function cubicKernel(x: number, a: number = BICUBIC_A): number {
  const t = Math.abs(x);
  if (t <= 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  return 0;
}

function checkSize(op: string, what: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${op}: ${what} must be a positive integer, got ${v}`);
}

/** PyTorch's `area_pixel_compute_scale`: input pixels per output pixel. */
function axisScale(inSize: number, outSize: number, alignCorners: boolean, scaleFactor: number | undefined): number {
  if (alignCorners) return outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
  if (scaleFactor !== undefined) return 1 / scaleFactor;
  return inSize / outSize;
}

const matrixCache = new Map<string, Float32Array>();

/**
 * The `[outSize, inSize]` row-major matrix `M` with `out = M · in` along one axis, exactly the
 * weights PyTorch's `F.interpolate` applies (borders clamp to the edge pixel; antialiased rows are
 * normalised to sum 1). Cached per arguments; treat the result as read-only.
 */
export function resizeMatrix(inSize: number, outSize: number, options: ResizeOptions = {}): Float32Array {
  checkSize('resizeMatrix', 'inSize', inSize);
  checkSize('resizeMatrix', 'outSize', outSize);
  const mode = options.mode ?? 'bicubic';
  if (mode !== 'bicubic' && mode !== 'bilinear') throw new Error(`resizeMatrix: unknown mode '${String(mode)}' (expected 'bicubic' or 'bilinear')`);
  const alignCorners = options.alignCorners ?? false;
  const antialias = options.antialias ?? false;
  const sf = options.scaleFactor;
  if (sf !== undefined && !(sf > 0 && Number.isFinite(sf))) throw new Error(`resizeMatrix: scaleFactor must be a positive number, got ${sf}`);
  if (antialias && alignCorners) throw new Error('resizeMatrix: antialias with alignCorners is not supported');
  const key = `${inSize}|${outSize}|${mode}|${alignCorners}|${antialias}|${sf}`;
  const hit = matrixCache.get(key);
  if (hit) return hit;
  const m = new Float64Array(outSize * inSize);
  const scale = axisScale(inSize, outSize, alignCorners, sf);
  const clampIdx = (i: number) => Math.min(Math.max(i, 0), inSize - 1);
  if (antialias) {
    // PyTorch `_compute_indices_weights_aa`: a filter of half-width `support` centred on the
    // output pixel's centre in input coordinates, stretched by the scale when downsampling.
    const interpSize = mode === 'bicubic' ? 4 : 2;
    const support = scale >= 1 ? (interpSize / 2) * scale : interpSize / 2;
    const inv = scale >= 1 ? 1 / scale : 1;
    const filter = mode === 'bicubic' ? (x: number) => cubicKernel(x, BICUBIC_AA_A) : (x: number) => Math.max(0, 1 - Math.abs(x));
    for (let o = 0; o < outSize; o++) {
      const center = scale * (o + 0.5);
      const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
      const xmax = Math.min(Math.trunc(center + support + 0.5), inSize);
      let total = 0;
      const w: number[] = [];
      for (let j = xmin; j < xmax; j++) {
        const v = filter((j - center + 0.5) * inv);
        w.push(v);
        total += v;
      }
      for (let j = xmin; j < xmax; j++) m[o * inSize + j] = total !== 0 ? w[j - xmin]! / total : 0;
    }
  } else if (mode === 'bicubic') {
    for (let o = 0; o < outSize; o++) {
      // Cubic keeps negative source coordinates (PyTorch clamps them only for linear modes).
      const src = alignCorners ? scale * o : scale * (o + 0.5) - 0.5;
      const i0 = Math.floor(src);
      const t = src - i0;
      const coeffs = [cubicKernel(t + 1), cubicKernel(t), cubicKernel(1 - t), cubicKernel(2 - t)];
      for (let k = 0; k < 4; k++) m[o * inSize + clampIdx(i0 - 1 + k)] += coeffs[k]!;
    }
  } else {
    for (let o = 0; o < outSize; o++) {
      const src = alignCorners ? scale * o : Math.max(scale * (o + 0.5) - 0.5, 0);
      const i0 = Math.min(Math.floor(src), inSize - 1);
      const i1 = Math.min(i0 + 1, inSize - 1);
      const l1 = src - i0;
      m[o * inSize + i0] += 1 - l1;
      m[o * inSize + i1] += l1;
    }
  }
  const out = Float32Array.from(m);
  matrixCache.set(key, out);
  return out;
}

/**
 * Resize the last two dims of `x [..., H, W]` to `[height, width]` with PyTorch's `F.interpolate`
 * semantics (per-axis options may differ through `optionsH`/`optionsW`). An axis whose size does
 * not change and has no explicit scale factor is left untouched (the weights would be the identity).
 */
export function resize2d(x: Tensor, size: readonly [number, number], options: ResizeOptions = {}, optionsW: ResizeOptions = options): Tensor {
  if (x.rank < 2) throw new Error(`resize2d: expected input [..., H, W], got ${fmtShape(x.shape)}`);
  const [oh, ow] = size;
  checkSize('resize2d', 'height', oh);
  checkSize('resize2d', 'width', ow);
  const ih = x.shape[x.rank - 2]!;
  const iw = x.shape[x.rank - 1]!;
  return tidy(() => {
    let y = x;
    if (ih !== oh || options.scaleFactor !== undefined) {
      const mh = tensor(resizeMatrix(ih, oh, options), { shape: [oh, ih], backend: x.backend });
      y = mh.matmul(y);
    }
    if (iw !== ow || optionsW.scaleFactor !== undefined) {
      const mw = tensor(resizeMatrix(iw, ow, optionsW), { shape: [ow, iw], backend: x.backend });
      y = y.matmul(mw.transpose(0, 1));
    }
    return y === x ? x.clone() : y;
  });
}
