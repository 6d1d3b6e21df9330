/**
 * Inputs from the user: PNG files checked against the model's image size (greyscale, palette and
 * alpha PNGs arrive as RGB: `decodePng` composites transparency over black), and captions encoded
 * with the checkpoint's tokenizer (the world's, or the vocabulary a `--data` run saved), its
 * unknown-word error surfaced with the caption that caused it.
 */
import { readFile, stat } from 'node:fs/promises';
import { decodePng, type RgbImage, type SceneObject, type ShapesWorld } from '@unihetero/data';
import type { TextTokenizer } from '@unihetero/model';
import { UsageError, messageOf } from './io.js';
import { LIMITS, clip } from './commands/common.js';

/** Width and height from a PNG's IHDR chunk (null when the bytes do not start like a PNG). */
function pngSize(bytes: Uint8Array): { width: number; height: number } | null {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || sig.some((b, i) => bytes[i] !== b)) return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}

/**
 * Read `path` as an RGB image of exactly `size` x `size` pixels. The file size and the PNG header's
 * dimensions are checked before anything is decoded (a huge image never reaches the decoder).
 */
export async function readInputPng(path: string, size: number): Promise<RgbImage> {
  let bytes: Uint8Array;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw new UsageError(`image '${path}' is a folder, not a PNG file`);
    if (st.size > LIMITS.pngBytes) throw new UsageError(`image '${path}' is ${st.size} bytes; the model reads ${size}x${size} RGB images (PNG files of at most ${LIMITS.pngBytes} bytes are read)`);
    bytes = await readFile(path);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `image '${path}' does not exist` : `image '${path}' cannot be read: ${messageOf(e)}`);
  }
  const dims = pngSize(bytes);
  if (dims && (dims.width !== size || dims.height !== size)) {
    throw new UsageError(`image '${path}' is ${dims.width}x${dims.height}; the model reads ${size}x${size} RGB images`);
  }
  let image: RgbImage;
  try {
    image = decodePng(bytes);
  } catch (e) {
    throw new UsageError(`image '${path}': ${messageOf(e)}`);
  }
  if (image.width !== size || image.height !== size) {
    throw new UsageError(`image '${path}' is ${image.width}x${image.height}; the model reads ${size}x${size} RGB images`);
  }
  return image;
}

/** Token ids of `text` (no specials); an unknown word becomes a `UsageError` naming `what`, the word and `vocabulary` (what encodes). */
export function encodeText(tokenizer: TextTokenizer, text: string, what: string, vocabulary = "the world's tokenizer"): number[] {
  try {
    return tokenizer.encode(text, { bos: false, eos: false });
  } catch (e) {
    // The tokenizer quotes the whole text; a long one is clipped so the message stays one short line.
    const reason = messageOf(e).replace(/ of "[\s\S]*"$/, '');
    throw new UsageError(`${what} "${clip(text)}" cannot be encoded by ${vocabulary}: ${reason}`);
  }
}

/** Objects of a caption, or the parser's complaint. */
export function parseObjects(world: ShapesWorld, text: string): { objects: SceneObject[] } | { error: string } {
  try {
    return { objects: world.parseCaption(text) };
  } catch (e) {
    return { error: messageOf(e) };
  }
}

/** One object as `large red circle @ (row 0, col 2)`. */
export function describeObject(o: SceneObject): string {
  return `${o.size} ${o.colour} ${o.shape} @ (row ${o.cell.row}, col ${o.cell.col})`;
}

/** Whether two object lists name the same objects (every attribute, any order). */
export function sameObjects(a: readonly SceneObject[], b: readonly SceneObject[]): boolean {
  const key = (o: SceneObject) => `${o.cell.row},${o.cell.col},${o.shape},${o.colour},${o.size}`;
  const ka = a.map(key).sort();
  const kb = b.map(key).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
}

/** How many of `truth`'s objects appear in `found` with every attribute. */
export function objectsRecovered(truth: readonly SceneObject[], found: readonly SceneObject[]): number {
  const key = (o: SceneObject) => `${o.cell.row},${o.cell.col},${o.shape},${o.colour},${o.size}`;
  const have = new Set(found.map(key));
  return truth.filter((o) => have.has(key(o))).length;
}
