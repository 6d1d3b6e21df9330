/**
 * Caption text: position phrases, size words, caption templates and the caption parser.
 *
 * Every object phrase has the form `a <size> <colour> <shape> <position>`, where the size word is
 * one of `SIZE_WORDS[size]` and the position phrase one of `POSITION_PHRASES[row][col]` (the first
 * of each list is canonical). Captions join the object phrases with one of `CAPTION_FRAMES`.
 * `parseCaption` inverts every template, so any caption can be scored against an image.
 */
import type { Generator } from '@unihetero/tensor';
import { pick, shuffle } from './rng.js';
import type { Cell, SceneObject, ShapeName, SizeName } from './types.js';

/** Words for each size; the first is canonical. */
export const SIZE_WORDS: Readonly<Record<SizeName, readonly string[]>> = Object.freeze({
  small: ['small', 'little'],
  large: ['large', 'big'],
});

const ROW = ['top', 'middle', 'bottom'] as const;
const COL = ['left', 'centre', 'right'] as const;
const ROW_ALT = ['upper', 'middle', 'lower'] as const;

/** Short position names used as answer options, row-major: "top left", "top", ..., "bottom right". */
export const POSITION_NAMES: readonly string[] = Object.freeze([
  'top left', 'top', 'top right',
  'left', 'centre', 'right',
  'bottom left', 'bottom', 'bottom right',
]);

function phrasesFor(row: number, col: number): string[] {
  if (row === 1 && col === 1) return ['at the centre', 'in the middle', 'in the centre'];
  if (row === 1) return [`at the ${COL[col]}`, `on the ${COL[col]}`, `at the middle ${COL[col]}`];
  if (col === 1) return [`at the ${ROW[row]}`, `at the ${ROW[row]} centre`, `at the ${ROW[row]} middle`];
  return [`at the ${ROW[row]} ${COL[col]}`, `in the ${ROW[row]} ${COL[col]} corner`, `at the ${ROW_ALT[row]} ${COL[col]}`];
}

/** Position phrases per cell (`[row][col]`); the first of each list is canonical. */
export const POSITION_PHRASES: readonly (readonly (readonly string[])[])[] = Object.freeze(
  [0, 1, 2].map((r) => Object.freeze([0, 1, 2].map((c) => Object.freeze(phrasesFor(r, c))))),
);

/** Cell index in row-major order (0..8). */
export function cellIndex(cell: Cell): number {
  return cell.row * 3 + cell.col;
}

/** The canonical short name of a cell ("top left", "centre", ...). */
export function positionName(cell: Cell): string {
  return POSITION_NAMES[cellIndex(cell)]!;
}

/** Caption frames for one object and for several; `{list}` is replaced by the joined object phrases. */
export const CAPTION_FRAMES: Readonly<{ one: readonly string[]; many: readonly string[] }> = Object.freeze({
  one: ['{list}.', 'there is {list}.', 'an image with {list}.', 'a picture of {list}.'],
  many: ['{list}.', 'there are {n} objects: {list}.', 'an image with {list}.', 'a picture of {list}.', 'there is {list}.'],
});

/** Number words used by captions and count questions. */
export const NUMBER_WORDS: readonly string[] = Object.freeze(['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']);

/** One object phrase: `a <size> <colour> <shape> <position>`; canonical words unless `gen` is given. */
export function objectPhrase(obj: SceneObject, gen?: Generator): string {
  const size = gen ? pick(gen, SIZE_WORDS[obj.size]) : SIZE_WORDS[obj.size][0]!;
  const phrases = POSITION_PHRASES[obj.cell.row]![obj.cell.col]!;
  const pos = gen ? pick(gen, phrases) : phrases[0]!;
  return `a ${size} ${obj.colour} ${obj.shape} ${pos}`;
}

/** Joins phrases as "a", "a and b", "a, b and c". */
export function joinList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Objects sorted row-major by cell (the canonical order). */
export function canonicalOrder(objects: readonly SceneObject[]): SceneObject[] {
  return objects.slice().sort((a, b) => cellIndex(a.cell) - cellIndex(b.cell));
}

/**
 * The canonical caption (for evaluation): objects in row-major order, canonical words, frame `{list}.`,
 * e.g. "a large red circle at the top left and a small blue ring at the centre.".
 */
export function canonicalCaption(objects: readonly SceneObject[]): string {
  if (objects.length === 0) throw new Error('canonicalCaption: a scene needs at least one object');
  return `${joinList(canonicalOrder(objects).map((o) => objectPhrase(o)))}.`;
}

/** A caption with a random frame, object order, size words and position paraphrases drawn from `gen`. */
export function randomCaption(objects: readonly SceneObject[], gen: Generator): string {
  if (objects.length === 0) throw new Error('randomCaption: a scene needs at least one object');
  const frame = pick(gen, objects.length === 1 ? CAPTION_FRAMES.one : CAPTION_FRAMES.many);
  const order = shuffle(gen, objects);
  const list = joinList(order.map((o) => objectPhrase(o, gen)));
  return frame.replace('{n}', NUMBER_WORDS[objects.length]!).replace('{list}', list);
}

/** Splits text into word and punctuation tokens: "a red circle." -> ["a", "red", "circle", "."]. */
export function splitWords(text: string): string[] {
  return text.match(/[A-Za-z0-9]+|[^\sA-Za-z0-9]/g) ?? [];
}

interface PhraseEntry {
  words: string[];
  cell: Cell;
}

const PHRASE_TABLE: PhraseEntry[] = (() => {
  const out: PhraseEntry[] = [];
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (const p of POSITION_PHRASES[r]![c]!) out.push({ words: p.split(' '), cell: { row: r, col: c } });
  return out.sort((a, b) => b.words.length - a.words.length); // longest match first
})();

function matchPosition(words: readonly string[], at: number): PhraseEntry | undefined {
  return PHRASE_TABLE.find((e) => e.words.every((w, k) => words[at + k] === w));
}

/**
 * Parses a caption produced by any template back into objects. `shapes` and `colours` are the world's
 * vocabularies. Throws when an object lacks a colour, size or position, or two objects share a cell.
 */
export function parseCaption(text: string, shapes: readonly string[], colours: readonly string[]): SceneObject[] {
  const words = splitWords(text.toLowerCase());
  const sizeOf = new Map<string, SizeName>();
  for (const [size, ws] of Object.entries(SIZE_WORDS) as [SizeName, readonly string[]][]) for (const w of ws) sizeOf.set(w, size);
  const out: SceneObject[] = [];
  const used = new Set<number>();
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (!shapes.includes(w)) continue;
    let colour: string | undefined;
    let size: SizeName | undefined;
    for (let k = i - 1; k >= Math.max(0, i - 3); k--) {
      const b = words[k]!;
      if (colour === undefined && colours.includes(b)) colour = b;
      else if (size === undefined && sizeOf.has(b)) size = sizeOf.get(b);
      else break;
    }
    const pos = matchPosition(words, i + 1);
    if (colour === undefined || size === undefined || pos === undefined) {
      const missing = [colour === undefined ? 'colour' : '', size === undefined ? 'size' : '', pos === undefined ? 'position' : ''].filter(Boolean).join(', ');
      throw new Error(`parseCaption: the ${w} at word ${i} lacks a ${missing} in "${text}"`);
    }
    const idx = cellIndex(pos.cell);
    if (used.has(idx)) throw new Error(`parseCaption: two objects at the ${POSITION_NAMES[idx]} in "${text}"`);
    used.add(idx);
    out.push({ shape: w as ShapeName, colour, size, cell: pos.cell });
    i += pos.words.length;
  }
  if (out.length === 0) throw new Error(`parseCaption: no object (a shape word) found in "${text}"`);
  return out;
}
