/**
 * The default pixel encoder of the shapes world (docs/method.md 14): `patchify` (patch 4, 32×32 -> 8×8
 * tokens of `C = 4·4·3 = 48`), exact and weight-free, with per-channel latent normalisation stored
 * alongside (docs/method.md 7.1) and saved/loaded as a small `.safetensors` file.
 */
import { Tensor, fmtShape, noGrad, tidy, type Backend } from '@unihetero/tensor';
import { Module, loadSafetensors, stateDictToSafetensors } from '@unihetero/nn';
import { parseSafetensors, readSafetensorsFile, writeFileAtomic, type SafetensorsFile } from '@unihetero/safetensors';
import type { PixelEncoder } from './encoders.js';
import { LatentNormalization, measureLatentStats, type LatentStats, type MeasureOptions } from './normalization.js';
import { patchGrid, patchify, unpatchify, type PatchLayout, type TokenGrid } from './patchify.js';

/** Metadata key holding a `PatchifyEncoder`'s config in its `.safetensors` file. */
export const PIXEL_ENCODER_METADATA_KEY = 'unihetero.pixel_encoder';

/** Configuration of a `PatchifyEncoder` (JSON-serialisable). */
export interface PatchifyConfig {
  /** Patch side in pixels (default 4). */
  patchSize?: number;
  /** Image channels (default 3). */
  channels?: number;
  /** Order of values inside a token (default 'hwc', MAR's). */
  layout?: PatchLayout;
}

/** Options of `PatchifyEncoder`. */
export interface PatchifyEncoderOptions extends PatchifyConfig {
  /** Latent statistics (default: identity). */
  stats?: LatentStats;
  /** Backend of the statistics buffers (default: the default backend). */
  backend?: Backend;
}

/**
 * `images [B, C, H, W] -> latents [B, (H/p)(W/p), p·p·C]`: patchify then normalise; `decode`
 * inverts both exactly (up to float rounding of the normalisation; bit-exact with identity stats).
 */
export class PatchifyEncoder extends Module implements PixelEncoder {
  /** Patch side. */
  readonly patchSize: number;
  /** Image channels. */
  readonly channels: number;
  /** Token value order. */
  readonly layout: PatchLayout;
  /** Latent channels per token. */
  readonly latentDim: number;
  /** The stored statistics (buffers `normalization.scale`, `normalization.shift`). */
  normalization: LatentNormalization;

  /** A patchify encoder with optional stored statistics. */
  constructor(options: PatchifyEncoderOptions = {}) {
    super();
    this.patchSize = options.patchSize ?? 4;
    this.channels = options.channels ?? 3;
    this.layout = options.layout ?? 'hwc';
    if (!Number.isInteger(this.patchSize) || this.patchSize <= 0) throw new Error(`PatchifyEncoder: patchSize must be a positive integer, got ${this.patchSize}`);
    if (!Number.isInteger(this.channels) || this.channels <= 0) throw new Error(`PatchifyEncoder: channels must be a positive integer, got ${this.channels}`);
    if (this.layout !== 'hwc' && this.layout !== 'chw') throw new Error(`PatchifyEncoder: unknown layout '${String(this.layout)}'`);
    this.latentDim = this.patchSize * this.patchSize * this.channels;
    this.normalization = new LatentNormalization(this.latentDim, options.stats, options.backend);
  }

  /** The JSON config (without statistics). */
  config(): Required<PatchifyConfig> {
    return { patchSize: this.patchSize, channels: this.channels, layout: this.layout };
  }

  /** The token grid for an `height × width` image (throws unless the patch size divides both). */
  grid(height: number, width: number): TokenGrid {
    return patchGrid(height, width, this.patchSize);
  }

  /** Raw (unnormalised) patch tokens `[B, N, C]`. */
  patchify(images: Tensor): Tensor {
    this.checkImages('patchify', images);
    return patchify(images, this.patchSize, this.layout);
  }

  /** Normalised latents `[B, N, C]`. */
  encode(images: Tensor): Tensor {
    this.checkImages('encode', images);
    return tidy(() => this.normalization.normalize(patchify(images, this.patchSize, this.layout)));
  }

  /** Images `[B, channels, h·p, w·p]` from latents `[B, h·w, C]`; a square grid is assumed unless given. */
  decode(latents: Tensor, grid?: TokenGrid): Tensor {
    if (latents.rank !== 3 || latents.shape[2] !== this.latentDim) {
      throw new Error(`PatchifyEncoder.decode: expected latents [B, N, ${this.latentDim}], got ${fmtShape(latents.shape)}`);
    }
    const n = latents.shape[1]!;
    let g = grid;
    if (!g) {
      const side = Math.round(Math.sqrt(n));
      if (side * side !== n) throw new Error(`PatchifyEncoder.decode: ${n} tokens are not a square grid; pass the grid`);
      g = { height: side, width: side };
    }
    const gg = g;
    return tidy(() => unpatchify(this.normalization.denormalize(latents), this.patchSize, gg, this.channels, this.layout));
  }

  /** Measure latent statistics on `images` (raw patch tokens), store them, and return them. */
  async fitNormalization(images: Tensor, options: MeasureOptions = {}): Promise<LatentStats> {
    const raw = noGrad(() => this.patchify(images));
    try {
      const stats = await measureLatentStats(raw, options);
      this.normalization.set(stats);
      return stats;
    } finally {
      raw.dispose();
    }
  }

  /** The encoder as `.safetensors` bytes: statistics as tensors, config in the metadata. */
  async toSafetensors(): Promise<Uint8Array> {
    return stateDictToSafetensors(this, { [PIXEL_ENCODER_METADATA_KEY]: JSON.stringify(this.config()) });
  }

  /** Write `toSafetensors()` to `path` atomically (Node). */
  async save(path: string): Promise<void> {
    await writeFileAtomic(path, await this.toSafetensors());
  }

  /** Rebuild an encoder from `toSafetensors()` bytes or a path (Node), strictly. */
  static async load(source: string | Uint8Array, backend?: Backend): Promise<PatchifyEncoder> {
    const file: SafetensorsFile = typeof source === 'string' ? await readSafetensorsFile(source) : parseSafetensors(source);
    const raw = file.metadata?.[PIXEL_ENCODER_METADATA_KEY];
    const where = typeof source === 'string' ? ` '${source}'` : '';
    if (raw === undefined) throw new Error(`PatchifyEncoder.load${where}: no '${PIXEL_ENCODER_METADATA_KEY}' metadata; not a saved PatchifyEncoder`);
    let config: PatchifyConfig;
    try {
      config = JSON.parse(raw) as PatchifyConfig;
    } catch (err) {
      throw new Error(`PatchifyEncoder.load${where}: invalid config JSON: ${(err as Error).message}`);
    }
    const enc = new PatchifyEncoder({ ...config, backend });
    await loadSafetensors(enc, file);
    return enc;
  }

  private checkImages(op: string, images: Tensor): void {
    if (images.rank !== 4 || images.shape[1] !== this.channels) {
      throw new Error(`PatchifyEncoder.${op}: expected images [B, ${this.channels}, H, W], got ${fmtShape(images.shape)}`);
    }
  }

  override extraRepr(): string {
    return `PatchifyEncoder(patch=${this.patchSize}, channels=${this.channels}, layout=${this.layout}, C=${this.latentDim})`;
  }
}
