/**
 * Sample sheets: a grid of images with their captions underneath, as one RGB image (captions in the
 * built-in 5x7 font) and as SVG (embedded PNGs and real text), for looking at generated samples.
 */
import { drawText, GLYPH_HEIGHT, GLYPH_WIDTH, wrapText } from './font.js';
import { checkImage, createImage, upscale } from './image.js';
import { encodePng, writePng } from './png.js';
import type { RGB, RgbImage } from './types.js';
import { nodeBuiltin } from './node-builtin.js';

/** Layout options of a sheet. */
export interface SheetOptions {
  /** Images per row (default `ceil(sqrt(n))`). */
  columns?: number;
  /** Integer upscale of every image (default 4, so 32 px images show at 128 px). */
  scale?: number;
  /** Gap between tiles and around the sheet, px (default 6). */
  gap?: number;
  /** Most caption lines per image (default 4; longer captions end with "..."). */
  maxLines?: number;
  /** Sheet background (default white). */
  background?: RGB;
  /** Caption colour (default black). */
  textColour?: RGB;
}

interface Layout {
  columns: number;
  rows: number;
  tileW: number;
  tileH: number;
  captionH: number;
  gap: number;
  scale: number;
  lines: string[][];
}

const LINE_H = GLYPH_HEIGHT + 3;

function layoutSheet(images: readonly RgbImage[], captions: readonly string[] | undefined, o: SheetOptions): Layout {
  if (images.length === 0) throw new Error('imageSheet: no images');
  if (captions && captions.length !== images.length) throw new Error(`imageSheet: ${images.length} images but ${captions.length} captions`);
  images.forEach((im, i) => checkImage(im, `imageSheet (image ${i})`));
  const scale = o.scale ?? 4;
  const gap = o.gap ?? 6;
  const maxLines = o.maxLines ?? 4;
  const columns = o.columns ?? Math.ceil(Math.sqrt(images.length));
  for (const [k, v, lo] of [['scale', scale, 1], ['gap', gap, 0], ['maxLines', maxLines, 1], ['columns', columns, 1]] as const) {
    if (!Number.isInteger(v) || v < lo) throw new Error(`imageSheet: ${k} must be an integer >= ${lo}, got ${v}`);
  }
  const tileW = Math.max(...images.map((im) => im.width)) * scale;
  const tileH = Math.max(...images.map((im) => im.height)) * scale;
  const maxChars = Math.max(1, Math.floor((tileW + 1) / (GLYPH_WIDTH + 1)));
  const lines = images.map((_, i) => {
    if (!captions) return [];
    const all = wrapText(captions[i]!, maxChars);
    if (all.length <= maxLines) return all;
    const kept = all.slice(0, maxLines);
    const last = kept[maxLines - 1]!;
    kept[maxLines - 1] = `${last.slice(0, Math.max(0, maxChars - 3))}...`;
    return kept;
  });
  const captionH = captions ? Math.max(1, ...lines.map((l) => l.length)) * LINE_H + 2 : 0;
  return { columns, rows: Math.ceil(images.length / columns), tileW, tileH, captionH, gap, scale, lines };
}

/** A sheet image: images in a grid (upscaled), each caption wrapped underneath in the built-in font. */
export function imageSheet(images: readonly RgbImage[], captions?: readonly string[], options: SheetOptions = {}): RgbImage {
  const L = layoutSheet(images, captions, options);
  const width = L.gap + L.columns * (L.tileW + L.gap);
  const height = L.gap + L.rows * (L.tileH + L.captionH + L.gap);
  const sheet = createImage(width, height, options.background ?? [255, 255, 255]);
  const ink = options.textColour ?? [0, 0, 0];
  images.forEach((im, i) => {
    const x0 = L.gap + (i % L.columns) * (L.tileW + L.gap);
    const y0 = L.gap + Math.floor(i / L.columns) * (L.tileH + L.captionH + L.gap);
    const big = upscale(im, L.scale);
    for (let y = 0; y < big.height; y++) {
      sheet.data.set(big.data.subarray(y * big.width * 3, (y + 1) * big.width * 3), ((y0 + y) * width + x0) * 3);
    }
    L.lines[i]!.forEach((line, k) => drawText(sheet, line, x0, y0 + L.tileH + 2 + k * LINE_H, ink));
  });
  return sheet;
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The same sheet as SVG: PNG data URIs (pixelated scaling) with the captions as text. */
export function svgSheet(images: readonly RgbImage[], captions?: readonly string[], options: SheetOptions = {}): string {
  const L = layoutSheet(images, captions, options);
  const width = L.gap + L.columns * (L.tileW + L.gap);
  const height = L.gap + L.rows * (L.tileH + L.captionH + L.gap);
  const bg = options.background ?? [255, 255, 255];
  const ink = options.textColour ?? [0, 0, 0];
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="rgb(${bg.join(',')})"/>`,
  ];
  images.forEach((im, i) => {
    const x0 = L.gap + (i % L.columns) * (L.tileW + L.gap);
    const y0 = L.gap + Math.floor(i / L.columns) * (L.tileH + L.captionH + L.gap);
    const b64 = base64(encodePng(im));
    parts.push(`<image x="${x0}" y="${y0}" width="${im.width * L.scale}" height="${im.height * L.scale}" style="image-rendering:pixelated" href="data:image/png;base64,${b64}"/>`);
    L.lines[i]!.forEach((line, k) => {
      parts.push(`<text x="${x0}" y="${y0 + L.tileH + 2 + (k + 1) * LINE_H - 3}" font-family="monospace" font-size="${LINE_H - 1}" fill="rgb(${ink.join(',')})">${escapeXml(line)}</text>`);
    });
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Writes `<path>` as a PNG sheet and, unless `svg: false`, `<path minus .png>.svg` alongside (Node only). */
export async function writeSheet(path: string, images: readonly RgbImage[], captions?: readonly string[], options: SheetOptions & { svg?: boolean } = {}): Promise<{ png: string; svg?: string }> {
  if (!path.endsWith('.png')) throw new Error(`writeSheet: path must end with .png, got '${path}'`);
  await writePng(path, imageSheet(images, captions, options));
  if (options.svg === false) return { png: path };
  const svg = `${path.slice(0, -4)}.svg`;
  const fs = nodeBuiltin<typeof import('node:fs/promises')>('node:fs/promises', 'writeSheet');
  await fs.writeFile(svg, svgSheet(images, captions, options));
  return { png: path, svg };
}
