// The README example, run as a test (keep the two in sync).
import { describe, expect, it } from 'vitest';
import { CpuBackend, tidy, memory } from '@unihetero/tensor';
import { ShapesWorld, Judge, collate, sampleBatches, wordTokenizer, gaussianBlur, encodePng, decodePng } from '../src/index';

describe('README example', () => {
  it('runs and prints what the README says', () => {
    const world = new ShapesWorld({ seed: 0 });
    const s = world.sample('train', 0);
    expect(s.caption).toBe('a picture of a large orange triangle in the bottom left corner and a small white triangle on the left.');
    expect(s.canonicalCaption).toBe('a small white triangle at the left and a large orange triangle at the bottom left.');
    expect(`${s.question.prompt} -> ${s.question.answerLetter}`).toBe('how many magenta objects are there? (A) three (B) two (C) zero (D) one -> C');

    const judge = new Judge(world);
    expect(judge.score(s.image, s.caption).exact).toBe(true);
    expect(judge.score(gaussianBlur(s.image, 0.8), s.scene).exact).toBe(true);

    const backend = new CpuBackend();
    const tokenizer = wordTokenizer(world);
    const seenAll: number[] = [];
    for (const { samples, seen } of sampleBatches(world, 'train', { batchSize: 8, budget: 16 })) {
      tidy(() => {
        const batch = collate(world, samples, { tokenizer, backend, text: 'caption' });
        seenAll.push(seen);
        expect(batch.images.shape).toEqual([8, 3, 32, 32]);
        expect(batch.ids.shape[0]).toBe(8);
        expect(batch.cells.shape).toEqual([8, 9, 3]);
      });
    }
    expect(seenAll).toEqual([8, 16]);
    expect(memory(backend).storages).toBe(0);

    const again = decodePng(encodePng(s.image));
    expect([again.width, again.height]).toEqual([32, 32]);
  });
});

describe('README example: your own folder', () => {
  it('runs the README block on a folder like the one it describes', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { readImageFolder } = await import('../src/index');
    const dir = mkdtempSync(join(tmpdir(), 'unihetero-data-readme-'));
    try {
      const world = new ShapesWorld();
      for (const [i, name] of ['cat', 'dog', 'owl'].entries()) {
        writeFileSync(join(dir, `${name}.png`), encodePng(world.sample('train', i).image));
        writeFileSync(join(dir, `${name}.txt`), `a ${name} on a red sofa.\n`);
      }
      const data = await readImageFolder(dir, { imageSize: 32 });
      expect([data.size('train'), data.size('test')]).toEqual([2, 1]);
      expect(data.tokenizer.words).toEqual(['.', 'a', 'cat', 'dog', 'on', 'owl', 'red', 'sofa']);
      const [first] = data.samples('train', 0, 1);
      expect(first!.split).toBe('train');
      expect(first!.caption).toMatch(/^a (cat|dog|owl) on a red sofa\.$/);
      expect(data.tokenizer.decode(data.tokenizer.encode(first!.caption))).toBe(first!.caption);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
