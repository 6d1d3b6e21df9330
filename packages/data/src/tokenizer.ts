/**
 * Tokenizers behind one interface: the byte-level default, a word-level tokenizer over the shapes
 * world's vocabulary, and Hugging Face `tokenizer.json` files (through `@huggingface/tokenizers`).
 */

/** The special tokens every tokenizer provides. */
export const SPECIAL_TOKENS = ['<bos>', '<eos>', '<pad>', '<boi>', '<eoi>', '<mask>'] as const;

/** Ids of the special tokens. */
export interface SpecialTokenIds {
  bos: number;
  eos: number;
  pad: number;
  /** Begin of an image span. */
  boi: number;
  /** End of an image span. */
  eoi: number;
  mask: number;
}

/** Options of `encode`. */
export interface EncodeOptions {
  /** Prepend `<bos>` (default false). */
  bos?: boolean;
  /** Append `<eos>` (default false). */
  eos?: boolean;
}

/** Options of `decode`. */
export interface DecodeOptions {
  /** Drop special tokens instead of writing their names (default false). */
  skipSpecial?: boolean;
}

/** The interface shared by every tokenizer. */
export interface Tokenizer {
  /** Which implementation: 'byte', 'word' or 'hf'. */
  readonly kind: 'byte' | 'word' | 'hf';
  /** Number of ids (every id is in [0, vocabSize)). */
  readonly vocabSize: number;
  /** Special-token ids. */
  readonly special: Readonly<SpecialTokenIds>;
  /** Text to ids. */
  encode(text: string, options?: EncodeOptions): number[];
  /** Ids to text. */
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string;
  /** The token string of an id (specials as `<bos>` etc.). */
  idToToken(id: number): string;
}

const SPECIAL_KEYS = ['bos', 'eos', 'pad', 'boi', 'eoi', 'mask'] as const;

/** The special-token name of each key. */
export function specialTokenName(key: keyof SpecialTokenIds): string {
  return `<${key}>`;
}

function specialsFrom(base: number): SpecialTokenIds {
  const ids = {} as SpecialTokenIds;
  SPECIAL_KEYS.forEach((k, i) => (ids[k] = base + i));
  return ids;
}

function checkId(op: string, id: number, vocabSize: number): void {
  if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new Error(`${op}: token id ${id} is outside [0, ${vocabSize})`);
}

function wrap(ids: number[], special: SpecialTokenIds, options: EncodeOptions): number[] {
  if (options.bos) ids.unshift(special.bos);
  if (options.eos) ids.push(special.eos);
  return ids;
}

/**
 * Byte-level tokenizer (the default): ids 0..255 are UTF-8 bytes, then `<bos>`=256, `<eos>`=257,
 * `<pad>`=258, `<boi>`=259, `<eoi>`=260, `<mask>`=261; vocabulary size 262. Invalid UTF-8 in decoded
 * bytes becomes U+FFFD.
 */
export class ByteTokenizer implements Tokenizer {
  /** Implementation tag. */
  readonly kind = 'byte' as const;
  /** 256 bytes + 6 specials. */
  readonly vocabSize = 256 + SPECIAL_KEYS.length;
  /** Special-token ids (256..261). */
  readonly special: Readonly<SpecialTokenIds> = Object.freeze(specialsFrom(256));
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  /** UTF-8 bytes of `text`, optionally wrapped in `<bos>`/`<eos>`. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    return wrap(Array.from(this.encoder.encode(text)), this.special, options);
  }

  /** Decodes bytes as UTF-8; specials are written as their names unless skipped. */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    let out = '';
    let bytes: number[] = [];
    const flush = (): void => {
      if (bytes.length) out += this.decoder.decode(new Uint8Array(bytes));
      bytes = [];
    };
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      checkId('ByteTokenizer.decode', id, this.vocabSize);
      if (id < 256) bytes.push(id);
      else {
        flush();
        if (!options.skipSpecial) out += this.idToToken(id);
      }
    }
    flush();
    return out;
  }

  /** `<0x41>` style names for bytes, `<bos>` etc. for specials. */
  idToToken(id: number): string {
    checkId('ByteTokenizer.idToToken', id, this.vocabSize);
    if (id < 256) return `<0x${id.toString(16).toUpperCase().padStart(2, '0')}>`;
    return specialTokenName(SPECIAL_KEYS[id - 256]!);
  }
}

const NO_SPACE_BEFORE = new Set(['.', ',', '?', '!', ':', ';', ')']);

/**
 * Word-level tokenizer: ids 0..5 are the specials (`<bos> <eos> <pad> <boi> <eoi> <mask>`), then the
 * words in the order given. Text is split into words (`[A-Za-z0-9]+`) and single punctuation marks;
 * an unknown word is an error. Decoding joins with spaces except before `. , ? ! : ; )` and after `(`,
 * so texts written in that style round-trip exactly.
 */
export class WordTokenizer implements Tokenizer {
  /** Implementation tag. */
  readonly kind = 'word' as const;
  /** Special-token ids (0..5). */
  readonly special: Readonly<SpecialTokenIds> = Object.freeze(specialsFrom(0));
  /** The words, in id order after the specials. */
  readonly words: readonly string[];
  private readonly ids = new Map<string, number>();

  /** A tokenizer over `words` (unique, each a word or a single punctuation mark). */
  constructor(words: readonly string[]) {
    const list: string[] = [];
    for (const w of words) {
      if (!/^(?:[A-Za-z0-9]+|[^\sA-Za-z0-9])$/.test(w)) throw new Error(`WordTokenizer: '${w}' is not a single word or punctuation mark`);
      if (this.ids.has(w)) throw new Error(`WordTokenizer: duplicate word '${w}'`);
      this.ids.set(w, SPECIAL_KEYS.length + list.length);
      list.push(w);
    }
    this.words = Object.freeze(list);
  }

  /** Number of specials plus words. */
  get vocabSize(): number {
    return SPECIAL_KEYS.length + this.words.length;
  }

  /** The id of a word, or undefined. */
  tokenToId(word: string): number | undefined {
    return this.ids.get(word);
  }

  /** Word ids of `text`; throws naming the first unknown word and its character offset. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids: number[] = [];
    // `u`: a character outside the BMP (an emoji) is one match, not two lone surrogates.
    for (const m of text.matchAll(/[A-Za-z0-9]+|[^\sA-Za-z0-9]/gu)) {
      const id = this.ids.get(m[0]);
      if (id === undefined) throw new Error(`WordTokenizer.encode: unknown word '${m[0]}' at character ${m.index} of "${text}"`);
      ids.push(id);
    }
    return wrap(ids, this.special, options);
  }

  /** Joins the words of `ids` (see the class comment for the spacing rule). */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    let out = '';
    let prev = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      checkId('WordTokenizer.decode', id, this.vocabSize);
      if (id < SPECIAL_KEYS.length && options.skipSpecial) continue;
      const tok = this.idToToken(id);
      if (out.length > 0 && !NO_SPACE_BEFORE.has(tok) && prev !== '(') out += ' ';
      out += tok;
      prev = tok;
    }
    return out;
  }

  /** The word (or special name) of an id. */
  idToToken(id: number): string {
    checkId('WordTokenizer.idToToken', id, this.vocabSize);
    return id < SPECIAL_KEYS.length ? specialTokenName(SPECIAL_KEYS[id]!) : this.words[id - SPECIAL_KEYS.length]!;
  }
}

/**
 * A tokenizer as JSON, enough to rebuild it exactly (`tokenizerFromSpec`): what a checkpoint
 * saves so that a model trained with a tokenizer other than the shapes world's can be loaded.
 */
export type TokenizerSpec = { kind: 'byte' } | { kind: 'word'; words: string[] };

/** The `TokenizerSpec` of a byte or word tokenizer; throws for a Hugging Face tokenizer (its `tokenizer.json` file describes it). */
export function describeTokenizer(tokenizer: Tokenizer): TokenizerSpec {
  if (tokenizer instanceof WordTokenizer) return { kind: 'word', words: [...tokenizer.words] };
  if (tokenizer instanceof ByteTokenizer) return { kind: 'byte' };
  throw new Error(`describeTokenizer: a '${tokenizer.kind}' tokenizer cannot be described as JSON (only 'byte' and 'word' tokenizers; keep its tokenizer.json with the model)`);
}

/** Rebuild the tokenizer a `TokenizerSpec` describes; throws naming `where` and what is wrong with the value. */
export function tokenizerFromSpec(spec: unknown, where = 'tokenizerFromSpec'): ByteTokenizer | WordTokenizer {
  const s = spec as { kind?: unknown; words?: unknown } | null;
  if (s === null || typeof s !== 'object' || Array.isArray(s)) throw new Error(`${where}: expected a tokenizer description { kind: 'byte' } or { kind: 'word', words: [...] }, got ${JSON.stringify(spec)}`);
  if (s.kind === 'byte') return new ByteTokenizer();
  if (s.kind === 'word') {
    if (!Array.isArray(s.words) || !s.words.every((w) => typeof w === 'string')) throw new Error(`${where}: a 'word' tokenizer needs words, an array of strings`);
    try {
      return new WordTokenizer(s.words as string[]);
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
  }
  throw new Error(`${where}: unknown tokenizer kind ${JSON.stringify(s.kind)} (known: 'byte', 'word')`);
}
