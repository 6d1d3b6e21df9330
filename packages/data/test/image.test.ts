import { describe, expect, it } from 'vitest';
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CpuBackend, memory, tidy } from '@unihetero/tensor';
import {
  ShapesWorld, chwToImage, collate, decodePng, encodePng, encodeTexts, imageSheet, imageToCHW, imagesToCHW, imagesToTensor, readPng, sampleBatches,
  svgSheet, tensorToImages, wordTokenizer, writePng, writeSheet, wrapText, glyph, ByteTokenizer,
} from '../src/index';

const world = new ShapesWorld();

describe('image conversions', () => {
  it('maps uint8 HWC to [-1, 1] CHW and back exactly', async () => {
    const img = { width: 2, height: 1, data: new Uint8Array([0, 255, 128, 10, 20, 30]) };
    const chw = imageToCHW(img);
    expect(Array.from(chw)).toEqual([-1, 10 / 127.5 - 1, 1, 20 / 127.5 - 1, 128 / 127.5 - 1, 30 / 127.5 - 1].map((v) => Math.fround(v)));
    expect(chwToImage(chw, 1, 2).data).toEqual(img.data);
    // clamped to [-1, 1]; 0 maps to round(127.5) = 128
    expect(Array.from(chwToImage([-3, 3, 0, 0, 0, 0], 1, 2).data)).toEqual([0, 128, 128, 255, 128, 128]);
    expect(() => chwToImage([NaN, 0, 0], 1, 1)).toThrow(/NaN at channel 0/);
    const s = world.samples('train', 0, 3);
    const t = imagesToTensor(s.map((x) => x.image));
    expect(t.shape).toEqual([3, 3, 32, 32]);
    const back = await tensorToImages(t);
    back.forEach((b, i) => expect(b.data).toEqual(s[i]!.image.data));
    t.dispose();
  });

  it('imagesToCHW is the host data imagesToTensor uploads, and refuses mixed sizes or no images', () => {
    const s = world.samples('train', 0, 2).map((x) => x.image);
    const host = imagesToCHW(s);
    expect(host.shape).toEqual([2, 3, 32, 32]);
    const t = imagesToTensor(s);
    expect(Array.from(t.dataSync())).toEqual(Array.from(host.data));
    t.dispose();
    const small = { width: 2, height: 1, data: new Uint8Array(6) };
    expect(() => imagesToCHW([s[0]!, small])).toThrow('imagesToCHW: image 1 is 2x1, image 0 is 32x32');
    expect(() => imagesToTensor([s[0]!, small])).toThrow('imagesToTensor: image 1 is 2x1, image 0 is 32x32');
    expect(() => imagesToCHW([])).toThrow('imagesToCHW: no images');
  });
});

describe('PNG', () => {
  it('round-trips through pngjs and files', async () => {
    const img = world.sample('test', 3).image;
    const bytes = encodePng(img);
    expect(Array.from(bytes.subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]);
    expect(decodePng(bytes)).toEqual(img);
    const dir = mkdtempSync(join(tmpdir(), 'unihetero-png-'));
    await writePng(join(dir, 'a', 'x.png'), img);
    expect(await readPng(join(dir, 'a', 'x.png'))).toEqual(img);
    expect(() => decodePng(new Uint8Array([1, 2, 3]))).toThrow(/decodePng: not a readable PNG \(3 bytes\)/);
  });
});

describe('sample sheets', () => {
  it('lays out images with captions underneath, as PNG and SVG', async () => {
    const samples = world.samples('test', 0, 5);
    const sheet = imageSheet(samples.map((s) => s.image), samples.map((s) => s.caption), { columns: 3, scale: 2, gap: 4 });
    const lines = Math.max(...samples.map((s) => Math.min(4, wrapText(s.caption, Math.floor(65 / 6)).length)));
    expect(sheet.width).toBe(4 + 3 * (64 + 4));
    expect(sheet.height).toBe(4 + 2 * (64 + lines * 10 + 2 + 4));
    // the first tile is the first image upscaled 2x
    expect(Array.from(sheet.data.subarray(((4 + 1) * sheet.width + 4 + 1) * 3, ((4 + 1) * sheet.width + 4 + 1) * 3 + 3))).toEqual(Array.from(samples[0]!.image.data.subarray(0, 3)));
    // some ink under the first tile
    let ink = 0;
    for (let y = 4 + 64; y < 4 + 64 + lines * 10; y++) for (let x = 4; x < 4 + 64; x++) if (sheet.data[(y * sheet.width + x) * 3] === 0) ink++;
    expect(ink).toBeGreaterThan(20);
    const svg = svgSheet(samples.map((s) => s.image), samples.map((s) => s.caption), { columns: 3 });
    expect(svg.match(/<image /g)).toHaveLength(5);
    expect(svg).toContain('data:image/png;base64,');
    const dir = mkdtempSync(join(tmpdir(), 'unihetero-sheet-'));
    const out = await writeSheet(join(dir, 'sheet.png'), samples.map((s) => s.image), samples.map((s) => s.caption));
    expect(existsSync(out.png) && existsSync(out.svg!)).toBe(true);
    expect(readFileSync(out.svg!, 'utf8')).toContain('<svg');
    expect(() => imageSheet([samples[0]!.image], ['a', 'b'])).toThrow(/1 images but 2 captions/);
  });

  it('wraps text and has glyphs for the caption alphabet', () => {
    expect(wrapText('a large red circle at the top left', 12)).toEqual(['a large red', 'circle at', 'the top left']);
    expect(wrapText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    const box = glyph('\u2603');
    for (const ch of 'abcdefghijklmnopqrstuvwxyz0123456789.,?:()') expect(glyph(ch)).not.toEqual(box);
  });
});

describe('batching', () => {
  it('collates samples into tensors on a chosen backend', () => {
    const backend = new CpuBackend();
    const before = memory(backend).storages;
    const tok = wordTokenizer(world);
    const samples = world.samples('train', 0, 4);
    tidy(() => {
      const b = collate(world, samples, { tokenizer: tok, backend, text: 'question' });
      expect(b.images.shape).toEqual([4, 3, 32, 32]);
      expect(b.images.dtype).toBe('float32');
      expect(b.images.backend).toBe(backend);
      const T = Math.max(...samples.map((s) => tok.encode(s.question.prompt).length + 2));
      expect(b.ids.shape).toEqual([4, T]);
      expect(b.ids.dtype).toBe('int32');
      const ids = b.ids.dataSync();
      const mask = b.mask.dataSync();
      for (let i = 0; i < 4; i++) {
        const row = Array.from(ids.subarray(i * T, (i + 1) * T));
        expect(row.slice(0, b.lengths[i])).toEqual(tok.encode(samples[i]!.question.prompt, { bos: true, eos: true }));
        expect(row.slice(b.lengths[i])).toEqual(new Array(T - b.lengths[i]!).fill(tok.special.pad));
        expect(Array.from(mask.subarray(i * T, (i + 1) * T)).reduce((a, v) => a + v, 0)).toBe(b.lengths[i]);
      }
      expect(b.cells.shape).toEqual([4, 9, 3]);
      const cells = b.cells.dataSync();
      const l = world.cellLabels(samples[0]!.scene);
      for (let c = 0; c < 9; c++) expect([cells[c * 3], cells[c * 3 + 1], cells[c * 3 + 2]]).toEqual([l.shape[c], l.colour[c], l.size[c]]);
      const v = b.images.dataSync();
      expect(Math.min(...v)).toBeGreaterThanOrEqual(-1);
      expect(Math.max(...v)).toBeLessThanOrEqual(1);
    });
    expect(memory(backend).storages).toBe(before);
  });

  it('pads to a fixed length and errors on overflow unless truncating', () => {
    const tok = new ByteTokenizer();
    const e = encodeTexts(['ab', 'abcd'], tok, { length: 8, bos: true, eos: false });
    expect(Array.from(e.ids.dataSync())).toEqual([256, 97, 98, 258, 258, 258, 258, 258, 256, 97, 98, 99, 100, 258, 258, 258]);
    expect(() => encodeTexts(['abcdefgh'], tok, { length: 4 })).toThrow(/text 0 has 10 tokens, more than length 4/);
    expect(Array.from(encodeTexts(['abcdefgh'], tok, { length: 3, truncate: true }).ids.dataSync())).toEqual([256, 97, 98]);
  });

  it('iterates under a sample budget, fresh or over a pool of epochs', () => {
    const fresh = [...sampleBatches(world, 'train', { batchSize: 4, budget: 10 })];
    expect(fresh.map((b) => b.indices)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(fresh.map((b) => b.seen)).toEqual([4, 8, 10]);
    expect(fresh[2]!.samples[1]!.scene).toEqual(world.scene('train', 9));
    expect([...sampleBatches(world, 'train', { batchSize: 4, budget: 10, dropLast: true })]).toHaveLength(2);
    const pooled = [...sampleBatches(world, 'train', { batchSize: 3, budget: 12, poolSize: 6, start: 100 })].flatMap((b) => b.indices);
    expect(pooled.slice(0, 6).sort((a, b) => a - b)).toEqual([100, 101, 102, 103, 104, 105]);
    expect(pooled.slice(6).sort((a, b) => a - b)).toEqual([100, 101, 102, 103, 104, 105]);
    expect(pooled.slice(0, 6)).not.toEqual(pooled.slice(6));
    const again = [...sampleBatches(world, 'train', { batchSize: 3, budget: 12, poolSize: 6, start: 100 })].flatMap((b) => b.indices);
    expect(again).toEqual(pooled);
    expect(() => [...sampleBatches(world, 'train', { batchSize: 0, budget: 1 })]).toThrow(/batchSize must be a positive integer, got 0/);
  });
});
