/**
 * Inputs from the user: PNG files checked against the model's image size (greyscale, palette and
 * alpha PNGs arrive as RGB: `decodePng` composites transparency over black), and captions encoded
 * with the world's tokenizer, its unknown-word error surfaced with the caption that caused it.
 */
import { readFile } from 'node:fs/promises';
import { decodePng, type RgbImage, type SceneObject, type ShapesWorld, type Tokenizer } from '@unihetero/data';
import { UsageError, messageOf } from './io.js';

/** Read `path` as an RGB image of exactly `size` x `size` pixels. */
export async function readInputPng(path: string, size: number): Promise<RgbImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `image '${path}' does not exist` : `image '${path}' cannot be read: ${messageOf(e)}`);
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

/** Token ids of `text` (no specials); an unknown word becomes a `UsageError` naming `what` and the word. */
export function encodeText(tokenizer: Tokenizer, text: string, what: string): number[] {
  try {
    return tokenizer.encode(text, { bos: false, eos: false });
  } catch (e) {
    throw new UsageError(`${what} "${text}" cannot be encoded by the world's tokenizer: ${messageOf(e)}`);
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
