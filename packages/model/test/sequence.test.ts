import { describe, expect, it } from 'vitest';
import { buildSequences } from '../src/index.js';

const special = { bos: 1, eos: 2, pad: 0, boi: 3, eoi: 4 };

describe('buildSequences (docs/method.md 2.1)', () => {
  it('lays out understanding and generation rows exactly', () => {
    const N = 3;
    const s = buildSequences(
      [
        { kind: 'understand', image: 1, prompt: [20], target: [30, 31] },
        { kind: 'generate', image: 0, prompt: [40, 41] },
      ],
      special,
      { numVisualTokens: N, numImages: 2, generationMask: Uint8Array.from([1, 0, 1]) },
    );
    // row 0: <bos> <boi> v v v <eoi> 20 30 31 <eos>   (10)
    // row 1: <bos> 40 41 <boi> v v v pad pad pad     (7, padded)
    expect(s.length).toBe(10);
    expect([...s.ids]).toEqual([1, 3, 0, 0, 0, 4, 20, 30, 31, 2, 1, 40, 41, 3, 0, 0, 0, 0, 0, 0]);
    expect([...s.lengths]).toEqual([10, 7]);
    expect([...s.embedsMask]).toEqual([0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0]);
    expect(s.spans).toEqual([[[2, 5]], [[4, 7]]]);
    // Visual table rows: image 1 -> 3,4,5; generation row uses image 0 with tokens 0 and 2 masked (mask row = 6).
    expect([...s.visualSource]).toEqual([3, 4, 5, 6, 1, 6]);
    expect(s.maskRow).toBe(6);
    // Targets 30, 31, <eos> are predicted from the positions before them.
    expect([...s.textRows]).toEqual([6, 7, 8]);
    expect([...s.textTargets]).toEqual([30, 31, 2]);
    expect([...s.maskedRows]).toEqual([10 + 4, 10 + 6]);
    expect([...s.maskedTokens]).toEqual([0, 2]);
    expect([s.generationRows, s.understandingRows]).toEqual([1, 1]);
  });
  it('puts a text loss on the caption only when asked', () => {
    const s = buildSequences([{ kind: 'generate', image: 0, prompt: [40, 41] }], special, { numVisualTokens: 2, numImages: 1, generationMask: Uint8Array.from([0, 1]), textLossOnPrompt: true });
    expect([...s.textRows]).toEqual([0, 1]);
    expect([...s.textTargets]).toEqual([40, 41]);
  });
  it('rejects inconsistent input with the values', () => {
    expect(() => buildSequences([], special, { numVisualTokens: 2, numImages: 1, generationMask: new Uint8Array(0) })).toThrow(/no examples/);
    expect(() => buildSequences([{ kind: 'generate', image: 0, prompt: [] }], special, { numVisualTokens: 2, numImages: 1, generationMask: new Uint8Array(3) })).toThrow(/generationMask has 3 entries, expected 1 generation rows x 2 tokens = 2/);
    expect(() => buildSequences([{ kind: 'understand', image: 5, prompt: [], target: [1] }], special, { numVisualTokens: 2, numImages: 1, generationMask: new Uint8Array(0) })).toThrow(/example 0 uses image 5, but the batch has 1 images/);
    expect(() => buildSequences([{ kind: 'understand', image: 0, prompt: [] }], special, { numVisualTokens: 2, numImages: 1, generationMask: new Uint8Array(0) })).toThrow(/understanding example 0 has no target text/);
  });
});
