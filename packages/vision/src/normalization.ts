/**
 * Per-channel latent normalisation stored with a pixel encoder: `z = (x - shift) · scale` on
 * encode, `x = z / scale + shift` on decode. MAR's KL-16 factor is the special case
 * `scale = 0.2325`, `shift = 0` (docs/method.md 7.1); docs/method.md 14 measures the scale as `1/std` of latents.
 */
import { Tensor, fmtShape, noGrad, tensor, tidy, type Backend } from '@unihetero/tensor';
import { Module } from '@unihetero/nn';

/** Plain per-channel statistics (JSON-friendly). */
export interface LatentStats {
  /** Multiplier applied after the shift, one per channel. */
  scale: number[];
  /** Subtracted before scaling, one per channel. */
  shift: number[];
}

/** Options of `measureLatentStats`. */
export interface MeasureOptions {
  /** One statistic per channel (default true) or one shared value for all channels. */
  perChannel?: boolean;
  /** Subtract the mean (default true); false keeps `shift = 0` (MAR's convention). */
  center?: boolean;
  /** Smallest standard deviation accepted before it is an error (default 1e-8). */
  minStd?: number;
}

/**
 * Measure `shift = mean` (or 0) and `scale = 1/std` (population std, around the mean) over every
 * leading position of `latents [..., C]`, so normalised latents have zero mean and unit variance.
 * Throws naming the channel whose std is (near) zero.
 */
export async function measureLatentStats(latents: Tensor, options: MeasureOptions = {}): Promise<LatentStats> {
  if (latents.rank < 1) throw new Error(`measureLatentStats: expected latents [..., C], got ${fmtShape(latents.shape)}`);
  const c = latents.shape[latents.rank - 1]!;
  const n = latents.size / c;
  if (n < 2) throw new Error(`measureLatentStats: need at least 2 samples per channel, got ${n} (latents ${fmtShape(latents.shape)})`);
  const data = await latents.data();
  const perChannel = options.perChannel ?? true;
  const center = options.center ?? true;
  const minStd = options.minStd ?? 1e-8;
  const groups = perChannel ? c : 1;
  const sum = new Float64Array(groups);
  const cnt = new Float64Array(groups);
  for (let i = 0; i < data.length; i++) {
    const g = perChannel ? i % c : 0;
    sum[g] += data[i]!;
    cnt[g]! += 1;
  }
  const mean = Array.from(sum, (s, g) => s / cnt[g]!);
  const sq = new Float64Array(groups);
  for (let i = 0; i < data.length; i++) {
    const g = perChannel ? i % c : 0;
    const d = data[i]! - mean[g]!;
    sq[g] += d * d;
  }
  const scale: number[] = [];
  const shift: number[] = [];
  for (let g = 0; g < groups; g++) {
    const std = Math.sqrt(sq[g]! / cnt[g]!);
    if (!(std > minStd)) {
      const what = perChannel ? `channel ${g}` : 'the latents';
      throw new Error(`measureLatentStats: ${what} has std ${std} over ${cnt[g]} values (latents ${fmtShape(latents.shape)}); cannot normalise${perChannel ? ' (try perChannel: false)' : ''}`);
    }
    scale.push(1 / std);
    shift.push(center ? mean[g]! : 0);
  }
  if (!perChannel) return { scale: new Array(c).fill(scale[0]), shift: new Array(c).fill(shift[0]) };
  return { scale, shift };
}

/** Check a stats object against a channel count. */
export function checkLatentStats(op: string, stats: LatentStats, channels: number): void {
  for (const k of ['scale', 'shift'] as const) {
    const v = stats[k];
    if (!Array.isArray(v) || v.length !== channels) throw new Error(`${op}: ${k} must have ${channels} entries, got ${Array.isArray(v) ? v.length : typeof v}`);
    v.forEach((x, i) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error(`${op}: ${k}[${i}] is not a finite number: ${x}`);
    });
  }
  stats.scale.forEach((x, i) => {
    if (x === 0) throw new Error(`${op}: scale[${i}] is 0; decoding would divide by zero`);
  });
}

/**
 * A module holding the statistics as buffers `scale [C]` and `shift [C]` (saved in state dicts and
 * checkpoints). Identity by default.
 */
export class LatentNormalization extends Module {
  /** Per-channel multiplier `[C]`. */
  declare scale: Tensor;
  /** Per-channel offset `[C]`. */
  declare shift: Tensor;

  /** Statistics for `channels` channels (default: identity, scale 1 and shift 0). */
  constructor(
    readonly channels: number,
    stats?: LatentStats,
    backend?: Backend,
  ) {
    super();
    if (!Number.isInteger(channels) || channels <= 0) throw new Error(`LatentNormalization: channels must be a positive integer, got ${channels}`);
    const s = stats ?? { scale: new Array(channels).fill(1), shift: new Array(channels).fill(0) };
    checkLatentStats('LatentNormalization', s, channels);
    this.registerBuffer('scale', tensor(s.scale, { backend }));
    this.registerBuffer('shift', tensor(s.shift, { backend }));
  }

  /** Replace the statistics in place. */
  set(stats: LatentStats): void {
    checkLatentStats('LatentNormalization.set', stats, this.channels);
    noGrad(() => {
      tidy(() => {
        this.scale.assign(tensor(stats.scale, { backend: this.scale.backend }));
        this.shift.assign(tensor(stats.shift, { backend: this.shift.backend }));
      });
    });
  }

  /** The statistics as plain arrays. */
  async stats(): Promise<LatentStats> {
    return { scale: Array.from(await this.scale.data()), shift: Array.from(await this.shift.data()) };
  }

  /** `(x - shift) · scale` over the last dim of `x [..., C]`. */
  normalize(x: Tensor): Tensor {
    this.check('normalize', x);
    return tidy(() => x.sub(this.shift).mul(this.scale));
  }

  /** `z / scale + shift` over the last dim of `z [..., C]`. */
  denormalize(z: Tensor): Tensor {
    this.check('denormalize', z);
    return tidy(() => z.div(this.scale).add(this.shift));
  }

  private check(op: string, x: Tensor): void {
    if (x.rank === 0 || x.shape[x.rank - 1] !== this.channels) {
      throw new Error(`LatentNormalization.${op}: expected [..., ${this.channels}], got ${fmtShape(x.shape)}`);
    }
  }

  override extraRepr(): string {
    return `LatentNormalization(${this.channels})`;
  }
}
