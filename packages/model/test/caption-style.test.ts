import { describe, expect, it } from 'vitest';
import { Generator } from '@unihetero/tensor';
import { batchExamples } from '../src/index.js';
import { tinyModel } from './helpers.js';

/** Every sample as an understanding caption (no questions) and a generation prompt, no dropout. */
const mix = (extra: Record<string, string>) => ({ pairing: 'both' as const, questionFraction: 0, captionDropout: 0, ...extra });

describe('caption styles of the training examples', () => {
  it("understandingCaptions 'canonical' makes understanding targets canonical and leaves generation prompts random", async () => {
    const { model, world } = await tinyModel('exp2', { config: { mix: mix({ understandingCaptions: 'canonical' }) } });
    const samples = Array.from({ length: 8 }, (_, i) => world.sample('train', i));
    expect(samples.some((s) => s.caption !== s.canonicalCaption)).toBe(true);
    const ex = batchExamples(model, samples, new Generator(1), 0, 0);
    expect(ex.length).toBe(16);
    const enc = (s: string) => model.tokenizer.encode(s, { bos: false, eos: false });
    ex.slice(0, 8).forEach((e, i) => expect(e.kind === 'understand' && e.target).toEqual(enc(samples[i]!.canonicalCaption)));
    ex.slice(8).forEach((e, i) => expect(e.kind === 'generate' && e.prompt).toEqual(enc(samples[i]!.caption)));
  });

  it("the default ('same') follows captionStyle in both directions", async () => {
    for (const style of ['random', 'canonical'] as const) {
      const { model, world } = await tinyModel('exp2', { config: { mix: mix({ captionStyle: style }) } });
      const samples = Array.from({ length: 4 }, (_, i) => world.sample('train', i));
      const want = (s: (typeof samples)[number]) => model.tokenizer.encode(style === 'canonical' ? s.canonicalCaption : s.caption, { bos: false, eos: false });
      const ex = batchExamples(model, samples, new Generator(1), 0, 0);
      ex.slice(0, 4).forEach((e, i) => expect(e.kind === 'understand' && e.target).toEqual(want(samples[i]!)));
      ex.slice(4).forEach((e, i) => expect(e.kind === 'generate' && e.prompt).toEqual(want(samples[i]!)));
    }
  });

  it('rejects an unknown understandingCaptions value, naming it', async () => {
    await expect(tinyModel('exp2', { config: { mix: { understandingCaptions: 'sorted' as never } } })).rejects.toThrow(/mix\.understandingCaptions.*"sorted"/s);
  });
});
