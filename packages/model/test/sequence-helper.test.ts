// UniHetero's sequence layout expressed with the general helper of @unihetero/transformer
// (`packSequences`): the two must agree field by field, so `buildSequences` can be replaced by
// the mapping below.
import { describe, expect, it } from 'vitest';
import { Generator } from '@unihetero/tensor';
import { packSequences, type SequencePart } from '@unihetero/transformer';
import { buildSequences, type BuildOptions, type SequenceExample, type SpecialIds } from '../src/index.js';

/** `buildSequences` through `packSequences`. */
function viaHelper(examples: readonly SequenceExample[], special: SpecialIds, options: BuildOptions) {
  const N = options.numVisualTokens;
  let g = 0;
  const rows = examples.map((e): SequencePart[] => {
    if (e.kind === 'understand') {
      return [{ text: [special.bos, special.boi] }, { image: e.image }, { text: [special.eoi, ...e.prompt] }, { text: [...e.target!, special.eos], loss: true }];
    }
    const masked = options.generationMask.subarray(g * N, (g + 1) * N);
    g++;
    return [{ text: [special.bos] }, { text: e.prompt, loss: options.textLossOnPrompt ?? false }, { text: [special.boi] }, { image: e.image, masked }];
  });
  return packSequences(rows, { tokensPerImage: N, numImages: options.numImages, padId: special.pad });
}

describe('buildSequences as packSequences', () => {
  it('agrees on random batches of understanding and generation rows', () => {
    const special: SpecialIds = { bos: 1, eos: 2, pad: 0, boi: 3, eoi: 4 };
    const gen = new Generator(7);
    const words = (n: number) => Array.from({ length: n }, () => 5 + gen.int(20));
    for (let trial = 0; trial < 20; trial++) {
      const N = 1 + gen.int(6);
      const numImages = 1 + gen.int(4);
      const examples: SequenceExample[] = Array.from({ length: 1 + gen.int(5) }, () =>
        gen.uniform() < 0.5
          ? { kind: 'understand', image: gen.int(numImages), prompt: words(gen.int(4)), target: words(1 + gen.int(4)) }
          : { kind: 'generate', image: gen.int(numImages), prompt: words(gen.int(5)) },
      );
      const nGen = examples.filter((e) => e.kind === 'generate').length;
      const generationMask = Uint8Array.from({ length: nGen * N }, () => (gen.uniform() < 0.6 ? 1 : 0));
      const options: BuildOptions = { numVisualTokens: N, numImages, generationMask, textLossOnPrompt: trial % 2 === 1 };
      const a = buildSequences(examples, special, options);
      const b = viaHelper(examples, special, options);
      expect([b.batch, b.length, b.maskRow]).toEqual([a.batch, a.length, a.maskRow]);
      expect(b.ids).toEqual(a.ids);
      expect(b.lengths).toEqual(a.lengths);
      expect(b.embedsMask).toEqual(a.embedsMask);
      expect(b.embedRows).toEqual(a.visualSource);
      expect(b.spans).toEqual(a.spans);
      expect(b.textRows).toEqual(a.textRows);
      expect(b.textTargets).toEqual(a.textTargets);
      expect(b.maskedRows).toEqual(a.maskedRows);
      expect(b.maskedTokens).toEqual(a.maskedTokens);
    }
  });
});
