import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ByteTokenizer, ShapesWorld, WordTokenizer, captionTokenizer, describeTokenizer, hfTokenizer, loadHfTokenizer, tokenizerFromSpec, wordTokenizer, worldVocabulary, SPLITS, type Tokenizer } from '../src/index';

/** A tiny Llama-style tokenizer.json: BPE with a metaspace normaliser, <s> and </s>. */
function tinyLlamaJson(): object {
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (const c of ['▁', 'a', 'b', 'c', 'd', 'e', 'r', 'l', 'o', 'i', 'n', 'g', 'u', 't']) vocab[c] = Object.keys(vocab).length;
  const merges = [['▁', 'r'], ['▁r', 'e'], ['▁re', 'd'], ['c', 'i'], ['ci', 'r']];
  for (const m of merges) vocab[m.join('')] = Object.keys(vocab).length;
  const added = ['<unk>', '<s>', '</s>'].map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: false, ignore_merges: false, vocab, merges: merges.map((m) => m.join(' ')) },
  };
}

function specialsDistinct(t: Tokenizer): void {
  const ids = Object.values(t.special);
  expect(new Set(ids).size).toBe(6);
  for (const id of ids) expect(id).toBeLessThan(t.vocabSize);
}

describe('ByteTokenizer', () => {
  const t = new ByteTokenizer();
  it('encodes UTF-8 bytes and round-trips', () => {
    expect(t.vocabSize).toBe(262);
    expect(t.special).toEqual({ bos: 256, eos: 257, pad: 258, boi: 259, eoi: 260, mask: 261 });
    expect(t.encode('hé', { bos: true, eos: true })).toEqual([256, 104, 0xc3, 0xa9, 257]);
    expect(t.decode([256, 104, 0xc3, 0xa9, 257])).toBe('<bos>hé<eos>');
    expect(t.decode([256, 104, 0xc3, 0xa9, 257], { skipSpecial: true })).toBe('hé');
    expect(t.decode([0xc3])).toBe('\uFFFD');
    expect(t.idToToken(65)).toBe('<0x41>');
    expect(() => t.decode([262])).toThrow(/ByteTokenizer.decode: token id 262 is outside \[0, 262\)/);
    specialsDistinct(t);
  });
});

describe('WordTokenizer', () => {
  it('covers every caption and question the world produces, and round-trips them exactly', () => {
    for (const world of [new ShapesWorld(), new ShapesWorld({ imageSize: 64, shapes: ['circle', 'square', 'triangle', 'diamond', 'cross', 'star', 'ring'], maxObjects: 4 })]) {
      const tok = wordTokenizer(world);
      for (const split of SPLITS) {
        for (let i = 0; i < 150; i++) {
          const s = world.sample(split, i);
          for (const text of [s.caption, s.canonicalCaption, s.question.prompt]) {
            const ids = tok.encode(text, { bos: true, eos: true });
            expect(tok.decode(ids, { skipSpecial: true })).toBe(text);
          }
        }
      }
    }
  });

  it('is much shorter than bytes and errors clearly on unknown words', () => {
    const world = new ShapesWorld();
    const tok = wordTokenizer(world);
    expect(tok.vocabSize).toBe(6 + worldVocabulary(world).length);
    expect(tok.vocabSize).toBeLessThan(100);
    const text = world.sample('train', 0).caption;
    expect(tok.encode(text).length * 3).toBeLessThan(new ByteTokenizer().encode(text).length);
    expect(tok.special).toEqual({ bos: 0, eos: 1, pad: 2, boi: 3, eoi: 4, mask: 5 });
    expect(() => tok.encode('a purple circle')).toThrow(/WordTokenizer.encode: unknown word 'purple' at character 2 of "a purple circle"/);
    // A character outside the BMP is named whole, not as a lone surrogate (printed as U+FFFD).
    expect(() => tok.encode('a red \u{1F534} circle')).toThrow("WordTokenizer.encode: unknown word '\u{1F534}' at character 6 of \"a red \u{1F534} circle\"");
    expect(tok.decode(tok.encode('what colour is the ring? (A) red (B) blue'))).toBe('what colour is the ring? (A) red (B) blue');
    expect(() => new WordTokenizer(['a', 'a'])).toThrow(/duplicate word 'a'/);
    specialsDistinct(tok);
  });
});

describe('Hugging Face tokenizer.json', () => {
  it('loads a BPE tokenizer.json through @huggingface/tokenizers', () => {
    const t = hfTokenizer(tinyLlamaJson(), { bos_token: '<s>', eos_token: { content: '</s>' } });
    const ids = t.encode('red circle', { bos: true, eos: true });
    expect(ids.map((i) => t.idToToken(i))).toEqual(['<s>', '▁red', '▁', 'cir', 'c', 'l', 'e', '</s>']);
    expect(t.decode(ids, { skipSpecial: true })).toBe('red circle');
    expect(t.special.bos).toBe(1);
    expect(t.special.eos).toBe(2);
    // pad, boi, eoi, mask are not in the file: appended after its 19 ids.
    expect([t.special.pad, t.special.boi, t.special.eoi, t.special.mask, t.vocabSize]).toEqual([22, 23, 24, 25, 26]);
    expect(t.decode([t.special.boi, ...t.encode('bad'), t.special.eoi])).toBe('<boi>bad<eoi>');
    expect(t.decode([t.special.boi, ...t.encode('bad')], { skipSpecial: true })).toBe('bad');
    specialsDistinct(t);
    expect(() => hfTokenizer(tinyLlamaJson(), {}, { specialTokens: { bos: '<|begin_of_text|>' } })).toThrow(/special token bos = '<\|begin_of_text\|>' is not in the vocabulary/);
    expect(() => hfTokenizer('{not json')).toThrow(/tokenizer.json is not valid JSON/);
    expect(() => t.decode([26])).toThrow(/outside \[0, 26\)/);
  });

  it('loads tokenizer.json and tokenizer_config.json from a folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'unihetero-tok-'));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tinyLlamaJson()));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>', eos_token: '</s>', pad_token: '<unk>' }));
    const t = await loadHfTokenizer(dir);
    expect(t.special.pad).toBe(0);
    expect(t.vocabSize).toBe(25);
    expect(t.decode(t.encode('red'))).toBe('red');
  });
});

describe('tokenizer descriptions (describeTokenizer / tokenizerFromSpec)', () => {
  it('rebuilds a word tokenizer with the same ids through JSON, and the byte tokenizer', () => {
    const t = captionTokenizer(['a red cat.', 'a blue dog, sleeping.']);
    const spec = describeTokenizer(t);
    expect(spec).toEqual({ kind: 'word', words: [',', '.', 'a', 'blue', 'cat', 'dog', 'red', 'sleeping'] });
    const back = tokenizerFromSpec(JSON.parse(JSON.stringify(spec)));
    expect(back.vocabSize).toBe(t.vocabSize);
    expect(back.encode('a red dog.', { bos: true, eos: true })).toEqual(t.encode('a red dog.', { bos: true, eos: true }));
    expect(() => back.encode('a green dog.')).toThrow("WordTokenizer.encode: unknown word 'green' at character 2");
    expect(describeTokenizer(new ByteTokenizer())).toEqual({ kind: 'byte' });
    expect(tokenizerFromSpec({ kind: 'byte' }).encode('hi')).toEqual([104, 105]);
  });

  it('names what is wrong with a description, and refuses a Hugging Face tokenizer', () => {
    expect(() => tokenizerFromSpec(null, 'ckpt')).toThrow("ckpt: expected a tokenizer description { kind: 'byte' } or { kind: 'word', words: [...] }, got null");
    expect(() => tokenizerFromSpec({ kind: 'bpe' }, 'ckpt')).toThrow(`ckpt: unknown tokenizer kind "bpe" (known: 'byte', 'word')`);
    expect(() => tokenizerFromSpec({ kind: 'word', words: [1] }, 'ckpt')).toThrow("ckpt: a 'word' tokenizer needs words, an array of strings");
    expect(() => tokenizerFromSpec({ kind: 'word', words: ['a', 'a'] }, 'ckpt')).toThrow("ckpt: WordTokenizer: duplicate word 'a'");
    const hf = hfTokenizer(tinyLlamaJson());
    expect(() => describeTokenizer(hf)).toThrow("describeTokenizer: a 'hf' tokenizer cannot be described as JSON");
  });
});
