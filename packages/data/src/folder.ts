/**
 * A sample source from a folder of image-caption pairs: `NAME.png` beside `NAME.txt` (its caption),
 * either split into `train/` and `test/` subfolders or in one folder split deterministically by a
 * hash of each name. Every image must have the model's size; captions build a word-level
 * tokenizer (`captionTokenizer`). It has the shape of `@unihetero/model`'s `SampleSource`
 * (`imageSize`, `size(split)`, `samples(split, start, count)`), so `new Trainer(model, source, ...)`
 * trains on it. `readImageFolder` reads a folder (Node only, through `process.getBuiltinModule`);
 * `imageFolderFromEntries` takes the files' bytes (PNG decoding needs Node too: `decodePng`).
 */
import { decodePng } from './png.js';
import { fnv1a } from './rng.js';
import { WordTokenizer } from './tokenizer.js';
import type { RgbImage } from './types.js';
import { nodeBuiltin } from './node-builtin.js';

/** The splits of a folder source. */
export const FOLDER_SPLITS = ['train', 'test'] as const;
/** A folder split name. */
export type FolderSplit = (typeof FOLDER_SPLITS)[number];

/** One pair as files: a name for messages (e.g. its path), the PNG bytes and the caption text. */
export interface FolderEntry {
  /** The name relative to the folder (e.g. `cat.png` or `train/cat.png`): kept on the sample, and what the hash split is drawn from. */
  name: string;
  /** Where the file lives, for messages (default `name`). */
  path?: string;
  /** The split, when the folder says it (`train/` or `test/`); otherwise chosen by `testFraction`. */
  split?: FolderSplit;
  /** The PNG file's bytes. */
  png: Uint8Array;
  /** The caption file's text (trimmed; line breaks become spaces). */
  caption: string;
}

/** Options of `readImageFolder` and `imageFolderFromEntries`. */
export interface ImageFolderOptions {
  /** The size every image must have: `[height, width]`, or one number for square images (the model's image size). */
  imageSize: number | readonly [number, number];
  /** Without `train/` and `test/` subfolders: the fraction of pairs held out for `test` (default 0.1; at least one pair when there are two or more). */
  testFraction?: number;
}

/** One sample of a folder source. */
export interface FolderSample {
  /** The decoded image. */
  image: RgbImage;
  /** The caption. */
  caption: string;
  /** The entry's name (e.g. its path). */
  name: string;
  /** Its split. */
  split: FolderSplit;
}

const WORDS = /[A-Za-z0-9]+|[^\sA-Za-z0-9]/gu;

/** A word-level tokenizer over every word and punctuation mark of `captions` (sorted, so the same captions give the same ids in any order). */
export function captionTokenizer(captions: Iterable<string>): WordTokenizer {
  const words = new Set<string>();
  for (const c of captions) for (const m of c.matchAll(WORDS)) words.add(m[0]);
  return new WordTokenizer([...words].sort());
}

/** A sample source over decoded image-caption pairs (see the module comment). */
export class FolderSource {
  /** `[height, width]` of every image. */
  readonly imageSize: readonly [number, number];
  /** The samples of each split, sorted by name. */
  readonly splits: Readonly<Record<FolderSplit, readonly FolderSample[]>>;
  /** A word-level tokenizer over the captions of both splits. */
  readonly tokenizer: WordTokenizer;

  /** A source over `samples` (each already of `imageSize`). */
  constructor(samples: readonly FolderSample[], imageSize: readonly [number, number]) {
    this.imageSize = [imageSize[0], imageSize[1]];
    const by = (split: FolderSplit) => samples.filter((s) => s.split === split).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.splits = Object.freeze({ train: Object.freeze(by('train')), test: Object.freeze(by('test')) });
    this.tokenizer = captionTokenizer([...this.splits.train, ...this.splits.test].map((s) => s.caption));
  }

  /** Pairs in `split` (0 for an unknown split). */
  size(split: string): number {
    return (FOLDER_SPLITS as readonly string[]).includes(split) ? this.splits[split as FolderSplit].length : 0;
  }

  /** Samples `start .. start + count - 1` of `split`, wrapping around (index `k` is pair `k mod size`): a run longer than the folder sees it again, epoch after epoch. */
  samples(split: string, start: number, count: number): FolderSample[] {
    const n = this.size(split);
    if (n === 0) throw new Error(`FolderSource.samples: split '${split}' has no pairs (train: ${this.splits.train.length}, test: ${this.splits.test.length})`);
    if (!Number.isSafeInteger(start) || start < 0) throw new Error(`FolderSource.samples: start must be a non-negative integer, got ${start}`);
    if (!Number.isInteger(count) || count < 0) throw new Error(`FolderSource.samples: count must be a non-negative integer, got ${count}`);
    const list = this.splits[split as FolderSplit];
    return Array.from({ length: count }, (_, i) => list[(start + i) % n]!);
  }
}

function sizeOf(op: string, imageSize: ImageFolderOptions['imageSize']): [number, number] {
  const [h, w] = typeof imageSize === 'number' ? [imageSize, imageSize] : imageSize;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h! < 1 || w! < 1) throw new Error(`${op}: imageSize must be positive integers, got ${JSON.stringify(imageSize)}`);
  return [h!, w!];
}

/** A folder source from the files' bytes; throws naming the entry for an unreadable PNG, a wrong image size or an empty caption. */
export function imageFolderFromEntries(entries: readonly FolderEntry[], options: ImageFolderOptions, op = 'imageFolderFromEntries'): FolderSource {
  const [h, w] = sizeOf(op, options.imageSize);
  const fraction = options.testFraction ?? 0.1;
  if (!(fraction >= 0 && fraction < 1)) throw new Error(`${op}: testFraction must be in [0, 1), got ${fraction}`);
  if (entries.length === 0) throw new Error(`${op}: no image-caption pairs`);
  const samples: FolderSample[] = entries.map((e) => {
    const where = e.path ?? e.name;
    const caption = e.caption.replace(/\s+/g, ' ').trim();
    if (!caption) throw new Error(`${op}: the caption of '${where}' is empty`);
    let image: RgbImage;
    try {
      image = decodePng(e.png);
    } catch (err) {
      throw new Error(`${op}: '${where}': ${(err as Error).message}`);
    }
    if (image.height !== h || image.width !== w) throw new Error(`${op}: '${where}' is ${image.height}x${image.width} pixels (height x width); every image must be ${h}x${w}, the model's image size`);
    return { image, caption, name: e.name, split: e.split ?? 'train' };
  });
  const unsplit = entries.map((e, i) => (e.split ? -1 : i)).filter((i) => i >= 0);
  if (unsplit.length) {
    // Each pair's split follows from its name alone, so adding pairs never moves the others.
    const u = (i: number) => fnv1a(entries[i]!.name) / 4294967296;
    const test = unsplit.filter((i) => u(i) < fraction);
    if (fraction > 0 && test.length === 0 && unsplit.length >= 2) test.push(unsplit.reduce((a, b) => (u(b) < u(a) ? b : a)));
    if (test.length === unsplit.length) test.splice(test.indexOf(unsplit.reduce((a, b) => (u(b) > u(a) ? b : a))), 1);
    for (const i of test) samples[i]!.split = 'test';
  }
  const source = new FolderSource(samples, [h, w]);
  if (source.size('train') === 0) throw new Error(`${op}: no training pairs (the train split is empty)`);
  return source;
}

type Fs = typeof import('node:fs/promises');

/** `.png` / `.txt` pairs of one folder as entries (names are `prefix + file`). */
async function pairsIn(op: string, fs: Fs, join: (...p: string[]) => string, dir: string, prefix: string, split: FolderSplit | undefined): Promise<FolderEntry[]> {
  const shown = dir;
  const files = (await fs.readdir(dir, { withFileTypes: true })).filter((f) => f.isFile()).map((f) => f.name);
  const has = new Set(files);
  const out: FolderEntry[] = [];
  for (const f of files.filter((x) => x.endsWith('.txt')).sort()) {
    if (!has.has(`${f.slice(0, -4)}.png`)) throw new Error(`${op}: '${join(shown, f)}' has no image '${join(shown, `${f.slice(0, -4)}.png`)}'`);
  }
  for (const f of files.filter((x) => x.endsWith('.png')).sort()) {
    const txt = `${f.slice(0, -4)}.txt`;
    if (!has.has(txt)) throw new Error(`${op}: '${join(shown, f)}' has no caption file '${join(shown, txt)}'`);
    out.push({ name: prefix + f, path: join(shown, f), split, png: new Uint8Array(await fs.readFile(join(dir, f))), caption: await fs.readFile(join(dir, txt), 'utf8') });
  }
  return out;
}

/**
 * Read a folder of `NAME.png` + `NAME.txt` pairs (Node only): from `train/` and `test/`
 * subfolders when `train/` exists, else from the folder itself, split by `testFraction`. Throws
 * naming the folder or file: a missing folder, a PNG without a caption (or a caption without a
 * PNG), an unreadable PNG, an image of another size than `imageSize`, an empty caption.
 */
export async function readImageFolder(dir: string, options: ImageFolderOptions): Promise<FolderSource> {
  const op = 'readImageFolder';
  const fs = nodeBuiltin<Fs>('node:fs/promises', op);
  const { join } = nodeBuiltin<typeof import('node:path')>('node:path', op);
  const isDir = async (p: string) => (await fs.stat(p).catch(() => null))?.isDirectory() ?? false;
  const st = await fs.stat(dir).catch((e: NodeJS.ErrnoException) => {
    throw new Error(e.code === 'ENOENT' ? `${op}: '${dir}' does not exist` : `${op}: cannot read '${dir}' (${e.code ?? e.message})`);
  });
  if (!st.isDirectory()) throw new Error(`${op}: '${dir}' is a file, not a folder of PNG + caption pairs`);
  let entries: FolderEntry[];
  if (await isDir(join(dir, 'train'))) {
    entries = await pairsIn(op, fs, join, join(dir, 'train'), 'train/', 'train');
    if (await isDir(join(dir, 'test'))) entries.push(...(await pairsIn(op, fs, join, join(dir, 'test'), 'test/', 'test')));
  } else {
    entries = await pairsIn(op, fs, join, dir, '', undefined);
  }
  if (entries.length === 0) throw new Error(`${op}: '${dir}' holds no NAME.png + NAME.txt pairs`);
  return imageFolderFromEntries(entries, options, op);
}
