/**
 * 8-bit RGB images (HWC) and their conversions to and from `[-1, 1]` float CHW tensors, plus the
 * degradations (Gaussian noise, Gaussian blur) used to test the judge's robustness.
 */
import { tensor, type Backend, type Generator, type Tensor } from '@unihetero/tensor';
import type { RGB, RgbImage } from './types.js';

/** A `width x height` image filled with `colour` (default black). */
export function createImage(width: number, height: number, colour: RGB = [0, 0, 0]): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`createImage: width and height must be positive integers, got ${width}x${height}`);
  }
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    data[i * 3] = colour[0];
    data[i * 3 + 1] = colour[1];
    data[i * 3 + 2] = colour[2];
  }
  return { width, height, data };
}

/** Checks that `image` is a well-formed RgbImage; `op` names the caller in the error. */
export function checkImage(image: RgbImage, op: string): void {
  if (!image || !(image.data instanceof Uint8Array)) throw new Error(`${op}: expected an RgbImage with a Uint8Array data field`);
  if (image.data.length !== image.width * image.height * 3) {
    throw new Error(`${op}: image data has ${image.data.length} bytes, expected ${image.width}x${image.height}x3 = ${image.width * image.height * 3}`);
  }
}

/** Image to `[3, H, W]` float32 values in [-1, 1] (`v / 127.5 - 1`). */
export function imageToCHW(image: RgbImage, out?: Float32Array, offset = 0): Float32Array {
  checkImage(image, 'imageToCHW');
  const hw = image.width * image.height;
  const dst = out ?? new Float32Array(3 * hw);
  const src = image.data;
  for (let c = 0; c < 3; c++) {
    const base = offset + c * hw;
    for (let i = 0; i < hw; i++) dst[base + i] = src[i * 3 + c]! / 127.5 - 1;
  }
  return dst;
}

/** `[3, H, W]` values in [-1, 1] to an image: clamp, then `round((v + 1) * 127.5)`. NaN is an error. */
export function chwToImage(values: ArrayLike<number>, height: number, width: number, offset = 0): RgbImage {
  const hw = height * width;
  if (values.length < offset + 3 * hw) throw new Error(`chwToImage: need ${3 * hw} values from offset ${offset}, got ${values.length - offset}`);
  const data = new Uint8Array(hw * 3);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < hw; i++) {
      const v = values[offset + c * hw + i]!;
      if (Number.isNaN(v)) throw new Error(`chwToImage: NaN at channel ${c}, pixel ${i}`);
      const u = Math.round((Math.min(1, Math.max(-1, v)) + 1) * 127.5);
      data[i * 3 + c] = u;
    }
  }
  return { width, height, data };
}

/** Images (all the same size) as host data `[B, 3, H, W]` in [-1, 1] (what `imagesToTensor` uploads). */
export function imagesToCHW(images: readonly RgbImage[], op = 'imagesToCHW'): { data: Float32Array; shape: [number, number, number, number] } {
  if (images.length === 0) throw new Error(`${op}: no images`);
  const { width, height } = images[0]!;
  const size = 3 * width * height;
  const data = new Float32Array(images.length * size);
  images.forEach((img, b) => {
    if (img.width !== width || img.height !== height) {
      throw new Error(`${op}: image ${b} is ${img.width}x${img.height}, image 0 is ${width}x${height}`);
    }
    imageToCHW(img, data, b * size);
  });
  return { data, shape: [images.length, 3, height, width] };
}

/** Images (all the same size) to a `[B, 3, H, W]` float32 tensor in [-1, 1] on `backend`. */
export function imagesToTensor(images: readonly RgbImage[], backend?: Backend): Tensor {
  const { data, shape } = imagesToCHW(images, 'imagesToTensor');
  return tensor(data, { shape, backend });
}

/** A `[B, 3, H, W]` or `[3, H, W]` tensor in [-1, 1] back to images (values clamped). */
export async function tensorToImages(t: Tensor): Promise<RgbImage[]> {
  const shape = t.shape;
  const s4 = shape.length === 3 ? [1, ...shape] : [...shape];
  if (s4.length !== 4 || s4[1] !== 3) throw new Error(`tensorToImages: expected [B, 3, H, W] or [3, H, W], got [${shape.join(', ')}]`);
  const [b, , h, w] = s4 as [number, number, number, number];
  const values = await t.data(); // reads in logical (contiguous) order, no copy left behind
  const out: RgbImage[] = [];
  for (let i = 0; i < b; i++) out.push(chwToImage(values, h, w, i * 3 * h * w));
  return out;
}

/** A copy with i.i.d. Gaussian noise of standard deviation `std` (8-bit units) added, rounded and clamped. */
export function addGaussianNoise(image: RgbImage, std: number, gen: Generator): RgbImage {
  checkImage(image, 'addGaussianNoise');
  if (!(std >= 0)) throw new Error(`addGaussianNoise: std must be >= 0, got ${std}`);
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.min(255, Math.max(0, Math.round(image.data[i]! + std * gen.normal())));
  return { width: image.width, height: image.height, data };
}

/** Normalised 1-D Gaussian kernel of standard deviation `sigma`, radius `ceil(3 sigma)`. */
export function gaussianKernel(sigma: number): Float64Array {
  if (!(sigma > 0)) throw new Error(`gaussianKernel: sigma must be > 0, got ${sigma}`);
  const r = Math.ceil(3 * sigma);
  const k = new Float64Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) s += k[i + r] = Math.exp((-i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i]! /= s;
  return k;
}

/** Separable Gaussian blur of a float plane `[h, w]` with edge clamping. */
export function blurPlane(src: Float64Array | Float32Array, w: number, h: number, sigma: number): Float64Array {
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  const tmp = new Float64Array(w * h);
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += k[i + r]! * src[y * w + Math.min(w - 1, Math.max(0, x + i))]!;
      tmp[y * w + x] = s;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += k[i + r]! * tmp[Math.min(h - 1, Math.max(0, y + i)) * w + x]!;
      out[y * w + x] = s;
    }
  }
  return out;
}

/** A Gaussian-blurred copy (standard deviation `sigma` px, edges clamped); `sigma = 0` copies. */
export function gaussianBlur(image: RgbImage, sigma: number): RgbImage {
  checkImage(image, 'gaussianBlur');
  if (!(sigma >= 0)) throw new Error(`gaussianBlur: sigma must be >= 0, got ${sigma}`);
  const { width: w, height: h } = image;
  if (sigma === 0) return { width: w, height: h, data: image.data.slice() };
  const data = new Uint8Array(w * h * 3);
  const plane = new Float64Array(w * h);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < w * h; i++) plane[i] = image.data[i * 3 + c]!;
    const b = blurPlane(plane, w, h, sigma);
    for (let i = 0; i < w * h; i++) data[i * 3 + c] = Math.min(255, Math.max(0, Math.round(b[i]!)));
  }
  return { width: w, height: h, data };
}

/** Nearest-neighbour upscale by an integer factor. */
export function upscale(image: RgbImage, factor: number): RgbImage {
  checkImage(image, 'upscale');
  if (!Number.isInteger(factor) || factor < 1) throw new Error(`upscale: factor must be a positive integer, got ${factor}`);
  if (factor === 1) return { width: image.width, height: image.height, data: image.data.slice() };
  const w = image.width * factor;
  const h = image.height * factor;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const sy = Math.floor(y / factor);
    for (let x = 0; x < w; x++) {
      const s = (sy * image.width + Math.floor(x / factor)) * 3;
      const d = (y * w + x) * 3;
      data[d] = image.data[s]!;
      data[d + 1] = image.data[s + 1]!;
      data[d + 2] = image.data[s + 2]!;
    }
  }
  return { width: w, height: h, data };
}
