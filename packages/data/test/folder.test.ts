import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FolderSource, ShapesWorld, captionTokenizer, encodePng, imageFolderFromEntries, readImageFolder } from '../src/index';

const world = new ShapesWorld();
const root = mkdtempSync(join(tmpdir(), 'unihetero-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A folder of `n` shapes-world pairs (`p0.png` + `p0.txt`, ...), under `sub` when given. */
function makeFolder(name: string, n: number, sub?: (i: number) => string): string {
  const dir = join(root, name);
  for (let i = 0; i < n; i++) {
    const d = sub ? join(dir, sub(i)) : dir;
    mkdirSync(d, { recursive: true });
    const s = world.sample('train', i);
    writeFileSync(join(d, `p${i}.png`), encodePng(s.image));
    writeFileSync(join(d, `p${i}.txt`), `${s.canonicalCaption}\n`);
  }
  return dir;
}

describe('readImageFolder', () => {
  it('reads NAME.png + NAME.txt pairs, splits them by name hash, and builds a tokenizer over the captions', async () => {
    const dir = makeFolder('flat', 12);
    const src = await readImageFolder(dir, { imageSize: 32 });
    expect(src).toBeInstanceOf(FolderSource);
    expect(src.imageSize).toEqual([32, 32]);
    expect(src.size('train') + src.size('test')).toBe(12);
    expect(src.size('test')).toBeGreaterThanOrEqual(1);
    expect(src.size('validation')).toBe(0);
    // Deterministic: the split depends on the names only (not on where the folder is).
    const again = await readImageFolder(dir, { imageSize: [32, 32] });
    expect(again.splits.test.map((s) => s.name)).toEqual(src.splits.test.map((s) => s.name));
    const sample = src.samples('train', 0, 1)[0]!;
    const i = Number(sample.name.slice(1, -4));
    expect(sample.image.data).toEqual(world.sample('train', i).image.data);
    expect(sample.caption).toBe(world.sample('train', i).canonicalCaption);
    for (const s of [...src.splits.train, ...src.splits.test]) expect(src.tokenizer.decode(src.tokenizer.encode(s.caption))).toBe(s.caption);
    // Indices wrap around the split.
    const n = src.size('train');
    expect(src.samples('train', n, 2).map((s) => s.name)).toEqual(src.samples('train', 0, 2).map((s) => s.name));
    expect(() => src.samples('validation', 0, 1)).toThrow(`FolderSource.samples: split 'validation' has no pairs (train: ${n}, test: ${12 - n})`);
  });

  it('uses train/ and test/ subfolders when present', async () => {
    const dir = makeFolder('split', 5, (i) => (i < 3 ? 'train' : 'test'));
    const src = await readImageFolder(dir, { imageSize: 32 });
    expect(src.splits.train.map((s) => s.name)).toEqual(['train/p0.png', 'train/p1.png', 'train/p2.png']);
    expect(src.splits.test.map((s) => s.name)).toEqual(['test/p3.png', 'test/p4.png']);
  });

  it('names the folder or file that is wrong', async () => {
    await expect(readImageFolder(join(root, 'nope'), { imageSize: 32 })).rejects.toThrow(`readImageFolder: '${join(root, 'nope')}' does not exist`);
    const noCaption = makeFolder('no-caption', 2);
    rmSync(join(noCaption, 'p1.txt'));
    await expect(readImageFolder(noCaption, { imageSize: 32 })).rejects.toThrow(`readImageFolder: '${join(noCaption, 'p1.png')}' has no caption file '${join(noCaption, 'p1.txt')}'`);
    const noImage = makeFolder('no-image', 2);
    rmSync(join(noImage, 'p0.png'));
    await expect(readImageFolder(noImage, { imageSize: 32 })).rejects.toThrow(`readImageFolder: '${join(noImage, 'p0.txt')}' has no image '${join(noImage, 'p0.png')}'`);
    const wrongSize = makeFolder('wrong-size', 2);
    writeFileSync(join(wrongSize, 'p1.png'), encodePng({ width: 24, height: 16, data: new Uint8Array(24 * 16 * 3) }));
    await expect(readImageFolder(wrongSize, { imageSize: 32 })).rejects.toThrow(`readImageFolder: '${join(wrongSize, 'p1.png')}' is 16x24 pixels (height x width); every image must be 32x32, the model's image size`);
    const empty = join(root, 'empty');
    mkdirSync(empty);
    await expect(readImageFolder(empty, { imageSize: 32 })).rejects.toThrow(`readImageFolder: '${empty}' holds no NAME.png + NAME.txt pairs`);
    const blank = makeFolder('blank', 2);
    writeFileSync(join(blank, 'p0.txt'), ' \n');
    await expect(readImageFolder(blank, { imageSize: 32 })).rejects.toThrow(`readImageFolder: the caption of '${join(blank, 'p0.png')}' is empty`);
    const broken = makeFolder('broken', 2);
    writeFileSync(join(broken, 'p0.png'), 'not a png');
    await expect(readImageFolder(broken, { imageSize: 32 })).rejects.toThrow(`readImageFolder: '${join(broken, 'p0.png')}': decodePng: not a readable PNG (9 bytes)`);
    await expect(readImageFolder(join(broken, 'p0.txt'), { imageSize: 32 })).rejects.toThrow('is a file, not a folder');
  });
});

describe('imageFolderFromEntries and captionTokenizer', () => {
  it('builds a source from bytes; the tokenizer does not depend on the captions order', () => {
    const entries = [0, 1, 2].map((i) => ({ name: `x${i}.png`, split: i === 2 ? ('test' as const) : ('train' as const), png: encodePng(world.sample('test', i).image), caption: world.sample('test', i).caption }));
    const src = imageFolderFromEntries(entries, { imageSize: 32 });
    expect([src.size('train'), src.size('test')]).toEqual([2, 1]);
    const a = captionTokenizer(['b a.', 'c']);
    expect(a.words).toEqual(['.', 'a', 'b', 'c']);
    expect(captionTokenizer(['c', 'b a.']).words).toEqual(a.words);
    expect(a.vocabSize).toBe(10);
    expect(() => imageFolderFromEntries([], { imageSize: 32 })).toThrow('imageFolderFromEntries: no image-caption pairs');
    expect(() => imageFolderFromEntries(entries, { imageSize: 32, testFraction: 1 })).toThrow('testFraction must be in [0, 1), got 1');
  });
});
