/** PNG encoding and decoding of RGB images through `pngjs`. */
import { PNG } from 'pngjs';
import { checkImage } from './image.js';
import type { RgbImage } from './types.js';

/** Encodes an RGB image as PNG bytes (8-bit RGB, no alpha). */
export function encodePng(image: RgbImage): Uint8Array {
  checkImage(image, 'encodePng');
  const { width, height, data } = image;
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[i * 4] = data[i * 3]!;
    rgba[i * 4 + 1] = data[i * 3 + 1]!;
    rgba[i * 4 + 2] = data[i * 3 + 2]!;
    rgba[i * 4 + 3] = 255;
  }
  const buf = PNG.sync.write({ width, height, data: rgba } as PNG, { colorType: 2, inputHasAlpha: true });
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Decodes PNG bytes to an RGB image; transparent pixels are composited over black. */
export function decodePng(bytes: Uint8Array): RgbImage {
  let png: { width: number; height: number; data: Buffer };
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new Error(`decodePng: not a readable PNG (${bytes.byteLength} bytes): ${(e as Error).message}`);
  }
  const { width, height, data: rgba } = png;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const a = rgba[i * 4 + 3]!;
    for (let c = 0; c < 3; c++) data[i * 3 + c] = a === 255 ? rgba[i * 4 + c]! : Math.round((rgba[i * 4 + c]! * a) / 255);
  }
  return { width, height, data };
}

/** Writes an image as a PNG file (Node only; creates parent folders). */
export async function writePng(path: string, image: RgbImage): Promise<void> {
  const fs = await import('node:fs/promises');
  const nodePath = await import('node:path');
  await fs.mkdir(nodePath.dirname(path), { recursive: true });
  await fs.writeFile(path, encodePng(image));
}

/** Reads a PNG file as an RGB image (Node only). */
export async function readPng(path: string): Promise<RgbImage> {
  const fs = await import('node:fs/promises');
  return decodePng(await fs.readFile(path));
}
