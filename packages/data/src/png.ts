/**
 * PNG encoding and decoding of RGB images through `pngjs` (Node only). `pngjs` needs Node's zlib
 * and streams, so it is loaded on first use with `createRequire` from `process.getBuiltinModule`:
 * synchronous, and invisible to browser bundlers, so importing this package in a browser pulls in
 * no Node module (in a browser, draw images to a canvas instead).
 */
import type { PNG as PNGClass } from 'pngjs';
import { checkImage } from './image.js';
import type { RgbImage } from './types.js';
import { nodeBuiltin } from './node-builtin.js';

type Pngjs = { PNG: typeof PNGClass; Buffer: typeof import('node:buffer').Buffer };
let pngjs: Pngjs | null = null;

/** `pngjs` (through `createRequire`) and Node's `Buffer`, loaded on first use; throws a clear error outside Node. */
function loadPngjs(op: string): Pngjs {
  if (pngjs) return pngjs;
  const { createRequire } = nodeBuiltin<typeof import('node:module')>('node:module', op);
  const { PNG } = createRequire(import.meta.url)('pngjs') as { PNG: typeof PNGClass };
  pngjs = { PNG, Buffer: nodeBuiltin<typeof import('node:buffer')>('node:buffer', op).Buffer };
  return pngjs;
}

/** Encodes an RGB image as PNG bytes (8-bit RGB, no alpha). */
export function encodePng(image: RgbImage): Uint8Array {
  checkImage(image, 'encodePng');
  const { width, height, data } = image;
  const { PNG } = loadPngjs('encodePng');
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[i * 4] = data[i * 3]!;
    rgba[i * 4 + 1] = data[i * 3 + 1]!;
    rgba[i * 4 + 2] = data[i * 3 + 2]!;
    rgba[i * 4 + 3] = 255;
  }
  const buf = PNG.sync.write({ width, height, data: rgba } as unknown as PNGClass, { colorType: 2, inputHasAlpha: true });
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Decodes PNG bytes to an RGB image; transparent pixels are composited over black. */
export function decodePng(bytes: Uint8Array): RgbImage {
  const { PNG, Buffer } = loadPngjs('decodePng');
  let png: { width: number; height: number; data: Uint8Array };
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
  const fs = nodeBuiltin<typeof import('node:fs/promises')>('node:fs/promises', 'writePng');
  const nodePath = nodeBuiltin<typeof import('node:path')>('node:path', 'writePng');
  await fs.mkdir(nodePath.dirname(path), { recursive: true });
  await fs.writeFile(path, encodePng(image));
}

/** Reads a PNG file as an RGB image (Node only). */
export async function readPng(path: string): Promise<RgbImage> {
  const fs = nodeBuiltin<typeof import('node:fs/promises')>('node:fs/promises', 'readPng');
  return decodePng(await fs.readFile(path));
}
