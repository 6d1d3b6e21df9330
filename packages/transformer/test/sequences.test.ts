import { describe, expect, it } from 'vitest';
import { Generator, noGrad, randn, tensor, tidy } from '@unihetero/tensor';
import { gatherRows, packSequences, sequenceInput, textLoss, type SequencePart } from '../src/index';
import { maxDiff, tinyModel } from './helpers';

const [PAD, BOS, BOI, EOI, EOS] = [0, 1, 2, 3, 4];
const N = 4;
/** An understanding row (image 0, then a caption with loss) and a generation row (caption, then image 1 with 3 of 4 tokens masked). */
const rows: SequencePart[][] = [
  [{ text: [BOS, BOI] }, { image: 0 }, { text: [EOI] }, { text: [7, 8, EOS], loss: true }],
  [{ text: [BOS, 9, 10, BOI] }, { image: 1, masked: [1, 0, 1, 1] }],
];

describe('packSequences', () => {
  it('lays out ids, labels, embeddings, spans, padding and the loss positions', () => {
    const s = packSequences(rows, { tokensPerImage: N, padId: PAD });
    expect([s.batch, s.length, s.tableRows, s.maskRow]).toEqual([2, 10, 8, 8]);
    expect([...s.ids]).toEqual([1, 2, 0, 0, 0, 0, 3, 7, 8, 4, /* row 1 */ 1, 9, 10, 2, 0, 0, 0, 0, 0, 0]);
    expect([...s.labels]).toEqual([-100, -100, -100, -100, -100, -100, -100, 7, 8, 4, ...new Array(10).fill(-100)]);
    expect([...s.lengths]).toEqual([10, 8]);
    expect([...s.embedsMask]).toEqual([0, 0, 1, 1, 1, 1, 0, 0, 0, 0, /* row 1 */ 0, 0, 0, 0, 1, 1, 1, 1, 0, 0]);
    expect([...s.imageRows]).toEqual([2, 3, 4, 5, 14, 15, 16, 17]);
    expect([...s.imageTokens]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([...s.embedRows]).toEqual([0, 1, 2, 3, 8, 5, 8, 8]);
    expect(s.spans).toEqual([[[2, 6]], [[4, 8]]]);
    expect(s.attention).toEqual({ spans: s.spans, lengths: s.lengths });
    expect([...s.textRows]).toEqual([6, 7, 8]); // position t - 1 predicts the labelled token t
    expect([...s.textTargets]).toEqual([7, 8, 4]);
    expect([...s.maskedRows]).toEqual([14, 16, 17]);
    expect([...s.maskedTokens]).toEqual([4, 6, 7]);
  });

  it('pads to a given length or multiple, and sizes the table from the images', () => {
    expect(packSequences(rows, { tokensPerImage: N, padId: PAD, padMultiple: 8 }).length).toBe(16);
    expect(packSequences(rows, { tokensPerImage: N, padId: PAD, length: 12 }).length).toBe(12);
    const wide = packSequences(rows, { tokensPerImage: N, padId: PAD, numImages: 3 });
    expect([wide.tableRows, wide.maskRow, ...wide.embedRows]).toEqual([12, 12, 0, 1, 2, 3, 12, 5, 12, 12]);
    // Images of different sizes: image i's tokens start after those of images 0..i-1.
    const mixed = packSequences([[{ text: [BOS] }, { image: 1 }, { image: 0, bidirectional: false }, { text: [5, 6], loss: true }]], { tokensPerImage: [2, 3], padId: PAD, ignoreIndex: -1 });
    expect([...mixed.ids]).toEqual([1, 0, 0, 0, 0, 0, 5, 6]);
    expect([...mixed.labels]).toEqual([-1, -1, -1, -1, -1, -1, 5, 6]);
    expect([...mixed.embedRows]).toEqual([2, 3, 4, 0, 1]);
    expect(mixed.spans).toEqual([[[1, 4]]]); // the causal image has no span
    expect([mixed.tableRows, ...mixed.textRows]).toEqual([5, 5, 6]);
    const text = packSequences([[{ text: [BOS, 5] }], [{ text: [BOS] }, { text: [5, 6], loss: true }]], { tokensPerImage: N, padId: PAD });
    expect([text.length, text.tableRows, text.embedRows.length, ...text.textRows]).toEqual([3, 0, 0, 3, 4]);
    // A row's first token has no predecessor: no label even when its part has the loss.
    const first = packSequences([[{ text: [BOS, 5, 6], loss: true }]], { tokensPerImage: N, padId: PAD });
    expect([...first.labels, ...first.textRows, ...first.textTargets]).toEqual([-100, 5, 6, 0, 1, 5, 6]);
  });

  it('names the row, the part and the values in its errors', () => {
    const o = { tokensPerImage: N, padId: PAD };
    expect(() => packSequences([], o)).toThrow('packSequences: no rows');
    expect(() => packSequences([[]], o)).toThrow('packSequences: row 0 is empty');
    expect(() => packSequences([[{ text: [BOS] }, { image: 2 }]], { ...o, numImages: 2 })).toThrow('packSequences: row 0 part 1 uses image 2, but the table has 2 images');
    expect(() => packSequences([[{ text: [BOS] }, { image: 0, masked: [1, 0] }]], o)).toThrow('packSequences: row 0 part 1: masked has 2 entries, image 0 has 4 tokens');
    expect(() => packSequences([[{ ids: [1] } as unknown as SequencePart]], o)).toThrow('packSequences: row 0 part 0 is neither { text } nor { image }: {"ids":[1]}');
    expect(() => packSequences([[{ text: [1.5] }]], o)).toThrow('packSequences: row 0 part 0 has a non-integer token 1.5');
    expect(() => packSequences(rows, { ...o, length: 9 })).toThrow('packSequences: length 9 is shorter than the longest row (10)');
    expect(() => packSequences(rows, { tokensPerImage: [4, 0], padId: PAD })).toThrow('packSequences: tokensPerImage must be positive integers, got 0 for image 1');
    expect(() => packSequences(rows, { tokensPerImage: [4, 4], numImages: 3, padId: PAD })).toThrow('packSequences: numImages 3 differs from tokensPerImage, which lists 2 images');
  });
});

describe('sequenceInput and gatherRows', () => {
  const d = 16;
  const setup = () => {
    const model = tinyModel({ vocabSize: 11 });
    const gen = new Generator(3);
    const table = randn([2, N, d], { generator: gen, requiresGrad: true });
    const mask = randn([d], { generator: gen, requiresGrad: true });
    return { model, table, mask, seq: packSequences(rows, { tokensPerImage: N, padId: PAD }) };
  };

  it('feeds the table rows and the mask embedding exactly where the layout says', async () => {
    const { model, table, mask, seq } = setup();
    const packed = noGrad(() => model.forward(sequenceInput(seq, table, { maskEmbedding: mask })).hiddenStates);
    // The same inputs written out by hand as a full [B, L, d] tensor.
    const t = await table.data();
    const m = await mask.data();
    const full = new Float32Array(seq.batch * seq.length * d);
    seq.imageRows.forEach((pos, i) => {
      const src = seq.embedRows[i] === seq.maskRow ? m : t.subarray(seq.embedRows[i]! * d, (seq.embedRows[i]! + 1) * d);
      full.set(src, pos * d);
    });
    const byHand = noGrad(() =>
      model.forward({
        inputIds: tensor(seq.ids, { shape: [2, 10], dtype: 'int32' }),
        inputsEmbeds: tensor(full, { shape: [2, 10, d] }),
        embedsMask: tensor(Int32Array.from(seq.embedsMask), { shape: [2, 10], dtype: 'int32' }),
        attention: { spans: [[[2, 6]], [[4, 8]]], lengths: [10, 8] },
      }).hiddenStates,
    );
    expect(maxDiff(await packed.data(), await byHand.data())).toBe(0);
    for (const x of [packed, byHand, model, table, mask]) x.dispose();
  });

  it('gives computeLoss the labels of the text loss, and gradients to the table rows it reads', async () => {
    const { model, table, mask, seq } = setup();
    const input = sequenceInput(seq, table, { maskEmbedding: mask });
    const out = model.computeLoss(input);
    const direct = tidy(() => textLoss(model.logits(gatherRows(out.hiddenStates, seq.textRows)), tensor(seq.textTargets, { dtype: 'int32' }), { shift: false }));
    expect(Math.abs((await out.crossEntropy.item()) - (await direct.crossEntropy.item()))).toBeLessThan(1e-6);
    expect(await out.count.item()).toBe(3);
    tidy(() => gatherRows(out.hiddenStates, seq.maskedRows).sum().add(out.loss)).backward();
    // Image 1's tokens 0, 2, 3 (table rows 4, 6, 7) are masked, so nothing reads them.
    const g = await table.grad!.data();
    const rowNorm = (r: number) => Math.hypot(...g.subarray(r * d, (r + 1) * d));
    expect([4, 6, 7].map(rowNorm)).toEqual([0, 0, 0]);
    expect([0, 1, 2, 3, 5].every((r) => rowNorm(r) > 0)).toBe(true);
    expect(Math.hypot(...(await mask.grad!.data()))).toBeGreaterThan(0);
    expect(gatherRows(table, seq.maskedTokens).shape).toEqual([3, d]);
    for (const x of [model, table, mask]) x.dispose();
  });

  it('works for text-only batches and reports what is missing', () => {
    const { model, table, mask, seq } = setup();
    const text = sequenceInput(packSequences([[{ text: [BOS, 5, 6], loss: true }]], { tokensPerImage: N, padId: PAD }), null);
    expect([text.inputsEmbeds, text.embedsMask, text.inputIds.shape]).toEqual([undefined, undefined, [1, 3]]);
    expect(() => sequenceInput(seq, null)).toThrow('sequenceInput: the batch has 8 image positions but no embedding table was given');
    expect(() => sequenceInput(seq, table)).toThrow('sequenceInput: 3 image positions are masked but no maskEmbedding was given');
    expect(() => sequenceInput(seq, randn([3, N, d]), { maskEmbedding: mask })).toThrow('sequenceInput: table [3,4,16] has 12 rows of width 16, the sequences index 8');
    expect(() => sequenceInput(seq, table, { maskEmbedding: randn([d + 1]) })).toThrow('sequenceInput: maskEmbedding [17] must hold 16 values (the table\'s width)');
    expect(() => gatherRows(table, [0, 8])).toThrow('gatherRows: row 8 (entry 1) is outside [0, 8) for [2,4,16]');
    for (const x of [model, table, mask]) x.dispose();
  });
});
