/**
 * The two encoder contracts UniHetero needs (docs/method.md 0, 3.6, 7): a frozen semantic encoder giving
 * patch features `[B, N, d_s]`, and an invertible pixel encoder giving pixel latents `[B, N, C]`,
 * over token grids that line up (docs/method.md 7.3).
 */
import type { Tensor } from '@unihetero/tensor';
import type { TokenGrid } from './patchify.js';

/**
 * A frozen image encoder: `images [B, 3, H, W]` in `[-1, 1]` -> patch features `[B, N, d_s]`,
 * row-major over `grid(H, W)`. `encode` records no gradient, so its output can be cached per image.
 */
export interface SemanticEncoder {
  /** Feature width `d_s`. */
  readonly featureDim: number;
  /** The token grid produced for an input image of `height × width` pixels. */
  grid(height: number, width: number): TokenGrid;
  /** Patch features `[B, N, d_s]` (no gradient). */
  encode(images: Tensor): Tensor;
}

/**
 * An invertible image <-> pixel-latent map: `encode(images [B, 3, H, W]) -> [B, N, C]` and
 * `decode(latents [B, N, C]) -> images` over the token grid `grid(H, W)`.
 */
export interface PixelEncoder {
  /** Latent channels per token `C`. */
  readonly latentDim: number;
  /** The token grid produced for an input image of `height × width` pixels. */
  grid(height: number, width: number): TokenGrid;
  /** Pixel latents `[B, N, C]`, normalised by the encoder's stored statistics. */
  encode(images: Tensor): Tensor;
  /** Images `[B, 3, H, W]` from latents `[B, N, C]` on `grid` (default: the grid of `imageSize`). */
  decode(latents: Tensor, grid?: TokenGrid): Tensor;
}

/** The image size each encoder sees (the same image may be resized differently for each). */
export interface AlignmentInput {
  /** `[height, width]` of the image given to the semantic encoder. */
  semanticImage: readonly [number, number];
  /** `[height, width]` of the image given to the pixel encoder (default: `semanticImage`). */
  pixelImage?: readonly [number, number];
}

/**
 * Check that token `i` of both encoders covers the same image region (same grid, row-major;
 * docs/method.md 7.3) and return the shared grid; throws naming both grids otherwise.
 */
export function checkTokenGridsAlign(semantic: Pick<SemanticEncoder, 'grid'>, pixel: Pick<PixelEncoder, 'grid'>, input: AlignmentInput): TokenGrid {
  const [sh, sw] = input.semanticImage;
  const [ph, pw] = input.pixelImage ?? input.semanticImage;
  const s = semantic.grid(sh, sw);
  const p = pixel.grid(ph, pw);
  if (s.height !== p.height || s.width !== p.width) {
    throw new Error(
      `checkTokenGridsAlign: semantic grid ${s.height}x${s.width} (image ${sh}x${sw}) does not match pixel grid ${p.height}x${p.width} (image ${ph}x${pw}); resize the images so both encoders produce the same grid`,
    );
  }
  return { height: s.height, width: s.width };
}
