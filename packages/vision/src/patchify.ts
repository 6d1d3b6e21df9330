/**
 * Exact, weight-free patchify / unpatchify between image batches `[B, C, H, W]` and token
 * sequences `[B, N, p·p·C]` over a row-major `h × w` grid (docs/method.md 7.1, 14). Pure views plus one
 * copy, so the round trip is bit-exact and differentiable on every backend.
 */
import { Tensor, fmtShape } from '@unihetero/tensor';

/**
 * Order of the values inside a token: `'hwc'` (patch row, patch column, channel: MAR's
 * `nchpwq -> nhwpqc`, the pixel-latent default) or `'chw'` (channel, patch row, patch column: the
 * order of a `Conv2d` weight `[D, C, p, p]` flattened, used by ViT patch embeddings).
 */
export type PatchLayout = 'hwc' | 'chw';

/** A token grid: `height × width` tokens, row-major (token `i` is at row `floor(i/width)`). */
export interface TokenGrid {
  /** Token rows. */
  height: number;
  /** Token columns. */
  width: number;
}

function checkPatch(op: string, p: number): void {
  if (!Number.isInteger(p) || p <= 0) throw new Error(`${op}: patch size must be a positive integer, got ${p}`);
}

function checkLayout(op: string, layout: string): void {
  if (layout !== 'hwc' && layout !== 'chw') throw new Error(`${op}: unknown layout '${layout}' (expected 'hwc' or 'chw')`);
}

/** The token grid of an `H × W` image cut into `p × p` patches; throws unless `p` divides both. */
export function patchGrid(height: number, width: number, patchSize: number): TokenGrid {
  checkPatch('patchGrid', patchSize);
  if (height % patchSize !== 0 || width % patchSize !== 0) {
    throw new Error(`patchGrid: image ${height}x${width} is not divisible by patch size ${patchSize}`);
  }
  return { height: height / patchSize, width: width / patchSize };
}

/**
 * `images [B, C, H, W] -> tokens [B, (H/p)·(W/p), p·p·C]`, tokens row-major over the grid; exact
 * and invertible by `unpatchify`. Throws unless `p` divides `H` and `W`.
 */
export function patchify(images: Tensor, patchSize: number, layout: PatchLayout = 'hwc'): Tensor {
  checkPatch('patchify', patchSize);
  checkLayout('patchify', layout);
  if (images.rank !== 4) throw new Error(`patchify: expected images [B, C, H, W], got ${fmtShape(images.shape)}`);
  const [b, c, hh, ww] = images.shape as [number, number, number, number];
  if (hh % patchSize !== 0 || ww % patchSize !== 0) {
    throw new Error(`patchify: image ${hh}x${ww} (input ${fmtShape(images.shape)}) is not divisible by patch size ${patchSize}`);
  }
  const p = patchSize;
  const h = hh / p;
  const w = ww / p;
  const six = images.reshape([b, c, h, p, w, p]); // n c h p w q
  const perm = layout === 'hwc' ? six.permute([0, 2, 4, 3, 5, 1]) : six.permute([0, 2, 4, 1, 3, 5]);
  six.dispose();
  const out = perm.reshape([b, h * w, p * p * c]);
  perm.dispose();
  return out;
}

/**
 * Inverse of `patchify`: `tokens [B, h·w, p·p·C] -> images [B, C, h·p, w·p]` for the given grid
 * and channel count. Throws when the token count or width does not fit.
 */
export function unpatchify(tokens: Tensor, patchSize: number, grid: TokenGrid, channels: number, layout: PatchLayout = 'hwc'): Tensor {
  checkPatch('unpatchify', patchSize);
  checkLayout('unpatchify', layout);
  if (!Number.isInteger(channels) || channels <= 0) throw new Error(`unpatchify: channels must be a positive integer, got ${channels}`);
  if (tokens.rank !== 3) throw new Error(`unpatchify: expected tokens [B, N, D], got ${fmtShape(tokens.shape)}`);
  const [b, n, d] = tokens.shape as [number, number, number];
  const p = patchSize;
  const { height: h, width: w } = grid;
  if (n !== h * w) throw new Error(`unpatchify: ${n} tokens do not fill a ${h}x${w} grid (${h * w} tokens)`);
  if (d !== p * p * channels) throw new Error(`unpatchify: token width ${d} is not patch ${p}x${p} x ${channels} channels = ${p * p * channels}`);
  const six = layout === 'hwc' ? tokens.reshape([b, h, w, p, p, channels]) : tokens.reshape([b, h, w, channels, p, p]);
  const perm = layout === 'hwc' ? six.permute([0, 5, 1, 3, 2, 4]) : six.permute([0, 3, 1, 4, 2, 5]);
  six.dispose();
  const out = perm.reshape([b, channels, h * p, w * p]);
  perm.dispose();
  return out;
}
