/**
 * Image preprocessing for semantic encoders, on `[B, C, H, W]` tensors in `[-1, 1]`: optional
 * resize (shortest edge or fixed size), centre crop, and mean/std normalisation of `[0, 1]` values
 * (docs/method.md 3.2: DINOv2 resizes the shortest edge to 256 bicubically, centre-crops 224 and normalises
 * with the ImageNet mean and std).
 */
import { Tensor, fmtShape, tensor, tidy } from '@unihetero/tensor';
import { resize2d, type InterpolationMode } from './interp.js';

/** The ImageNet channel mean (RGB) DINOv2 normalises with. */
export const IMAGENET_MEAN: readonly number[] = Object.freeze([0.485, 0.456, 0.406]);
/** The ImageNet channel std (RGB) DINOv2 normalises with. */
export const IMAGENET_STD: readonly number[] = Object.freeze([0.229, 0.224, 0.225]);

/** Resize targets: the shortest edge (aspect kept, long edge truncated as HF does) or an exact size. */
export type ResizeTarget = { shortestEdge: number } | { height: number; width: number };

/** A preprocessing pipeline; every step is optional and runs in this order. */
export interface Preprocessing {
  /** Resize first. */
  resize?: ResizeTarget;
  /** Resize kernel (default 'bicubic'). */
  interpolation?: InterpolationMode;
  /** Antialias when downsampling (default true: PIL-like, as HF image processors resize with PIL). */
  antialias?: boolean;
  /** Centre crop after resizing (HF: top = floor((H - h)/2), left = floor((W - w)/2)). */
  centerCrop?: { height: number; width: number };
  /**
   * Map `[-1, 1]` to `[0, 1]` and normalise `(x - mean) / std` per channel; absent or null keeps
   * the `[-1, 1]` values unchanged (what the shapes-world encoder was trained on).
   */
  normalize?: { mean: readonly number[]; std: readonly number[] } | null;
}

/** DINOv2's preprocessing (HF `preprocessor_config.json`, docs/method.md 3.2). */
export const DINOV2_PREPROCESSING: Readonly<Preprocessing> = Object.freeze({
  resize: { shortestEdge: 256 },
  interpolation: 'bicubic',
  antialias: true,
  centerCrop: { height: 224, width: 224 },
  normalize: { mean: IMAGENET_MEAN, std: IMAGENET_STD },
});

/** Only the ImageNet normalisation (for images already at the encoder's resolution). */
export const IMAGENET_NORMALIZATION: Readonly<Preprocessing> = Object.freeze({ normalize: { mean: IMAGENET_MEAN, std: IMAGENET_STD } });

/** No preprocessing: images in `[-1, 1]` go to the encoder as they are. */
export const NO_PREPROCESSING: Readonly<Preprocessing> = Object.freeze({});

function posInt(op: string, what: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${op}: ${what} must be a positive integer, got ${v}`);
}

/** Output `[height, width]` of the resize step for an input size. */
function resizedSize(h: number, w: number, r: ResizeTarget): [number, number] {
  if ('shortestEdge' in r) {
    posInt('preprocessImages', 'resize.shortestEdge', r.shortestEdge);
    const s = r.shortestEdge;
    return h <= w ? [s, Math.trunc((s * w) / h)] : [Math.trunc((s * h) / w), s];
  }
  posInt('preprocessImages', 'resize.height', r.height);
  posInt('preprocessImages', 'resize.width', r.width);
  return [r.height, r.width];
}

/** The `[height, width]` `preprocessImages` produces for an `height × width` input. */
export function preprocessedSize(height: number, width: number, p: Preprocessing): [number, number] {
  let [h, w] = p.resize ? resizedSize(height, width, p.resize) : [height, width];
  if (p.centerCrop) {
    const { height: ch, width: cw } = p.centerCrop;
    posInt('preprocessImages', 'centerCrop.height', ch);
    posInt('preprocessImages', 'centerCrop.width', cw);
    if (ch > h || cw > w) throw new Error(`preprocessImages: centre crop ${ch}x${cw} is larger than the ${h}x${w} image`);
    [h, w] = [ch, cw];
  }
  return [h, w];
}

/** Apply a preprocessing pipeline to `images [B, C, H, W]` in `[-1, 1]`. Returns a new tensor. */
export function preprocessImages(images: Tensor, p: Preprocessing): Tensor {
  if (images.rank !== 4) throw new Error(`preprocessImages: expected images [B, C, H, W], got ${fmtShape(images.shape)}`);
  const [, c, h0, w0] = images.shape as [number, number, number, number];
  const norm = p.normalize ?? null;
  if (norm) {
    if (norm.mean.length !== c || norm.std.length !== c) {
      throw new Error(`preprocessImages: normalize has ${norm.mean.length} means and ${norm.std.length} stds for ${c} channels`);
    }
    norm.std.forEach((s, i) => {
      if (!(s > 0)) throw new Error(`preprocessImages: normalize.std[${i}] must be positive, got ${s}`);
    });
  }
  const [oh, ow] = preprocessedSize(h0, w0, p);
  return tidy(() => {
    let x = images;
    if (p.resize) {
      const [rh, rw] = resizedSize(h0, w0, p.resize);
      if (rh !== h0 || rw !== w0) x = resize2d(x, [rh, rw], { mode: p.interpolation ?? 'bicubic', antialias: p.antialias ?? true });
    }
    if (p.centerCrop) {
      const [h, w] = [x.shape[2]!, x.shape[3]!];
      x = x.narrow(2, Math.trunc((h - oh) / 2), oh).narrow(3, Math.trunc((w - ow) / 2), ow);
    }
    if (norm) {
      // (x + 1) / 2 then (u - mean) / std  ==  x · (1 / 2std) + (0.5 - mean) / std
      const a = tensor(norm.std.map((s) => 1 / (2 * s)), { shape: [1, c, 1, 1], backend: x.backend });
      const b = tensor(norm.mean.map((m, i) => (0.5 - m) / norm.std[i]!), { shape: [1, c, 1, 1], backend: x.backend });
      x = x.mul(a).add(b);
    }
    return x === images ? images.clone() : x.contiguous();
  });
}
