/**
 * Hugging Face `tokenizer.json` files (Llama and friends) behind the project's `Tokenizer` interface,
 * through the maintained `@huggingface/tokenizers` library.
 *
 * Special tokens: `bos`/`eos`/`pad` come from `tokenizer_config.json` (`bos_token` etc.) or the usual
 * names (`<s>`, `</s>`, `<pad>`, `<unk>` is never used as pad); `boi`/`eoi`/`mask` default to `<boi>`,
 * `<eoi>`, `<mask>`. A default that is not in the vocabulary gets a new id after the file's largest
 * (as when extending a Llama vocabulary with image tokens), so `vocabSize` may exceed the file's.
 * A name given explicitly in `options.specialTokens` must exist in the vocabulary.
 */
import { Tokenizer as HfTokenizerImpl } from '@huggingface/tokenizers';
import { specialTokenName, type DecodeOptions, type EncodeOptions, type SpecialTokenIds, type Tokenizer } from './tokenizer.js';
import { nodeBuiltin } from './node-builtin.js';

/** Options of `hfTokenizer`. */
export interface HfTokenizerOptions {
  /** Token strings to use for specials, e.g. `{ bos: '<|begin_of_text|>' }`; each must be in the vocabulary. */
  specialTokens?: Partial<Record<keyof SpecialTokenIds, string>>;
}

const KEYS = ['bos', 'eos', 'pad', 'boi', 'eoi', 'mask'] as const;
const FALLBACK: Record<(typeof KEYS)[number], string[]> = {
  bos: ['<s>', '<|begin_of_text|>', '<bos>'],
  eos: ['</s>', '<|end_of_text|>', '<eos>'],
  pad: ['<pad>'],
  boi: ['<boi>'],
  eoi: ['<eoi>'],
  mask: ['<mask>'],
};

function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

/**
 * The part of `@huggingface/tokenizers`' `Tokenizer` that `HfTokenizer` exposes as `inner`,
 * declared here so that this package's public types need none of that package's own (they do not
 * compile under a consumer's `moduleResolution: nodenext`).
 */
export interface HfTokenizerEngine {
  /** Encode a text (`add_special_tokens` false keeps the file's BOS/EOS out). */
  encode(text: string, options?: { text_pair?: string | null; add_special_tokens?: boolean }): { ids: number[]; tokens: string[]; attention_mask: number[] };
  /** Decode ids to text. */
  decode(ids: number[], options?: { skip_special_tokens?: boolean; clean_up_tokenization_spaces?: boolean | null }): string;
  /** Split a text into token strings. */
  tokenize(text: string, options?: { text_pair?: string | null; add_special_tokens?: boolean }): string[];
  /** Id of a token string, or undefined. */
  token_to_id(token: string): number | undefined;
  /** Token string of an id, or undefined. */
  id_to_token(id: number): string | undefined;
  /** The vocabulary, optionally with the added tokens. */
  get_vocab(withAddedTokens?: boolean): Map<string, number>;
}

/** A Hugging Face tokenizer wrapped in the `Tokenizer` interface (see the module comment for specials). */
export class HfTokenizer implements Tokenizer {
  /** Implementation tag. */
  readonly kind = 'hf' as const;
  /** The file's vocabulary plus any appended specials. */
  readonly vocabSize: number;
  /** Special-token ids. */
  readonly special: Readonly<SpecialTokenIds>;
  /** The underlying `@huggingface/tokenizers` instance (typed by the methods this package relies on). */
  readonly inner: HfTokenizerEngine;
  private readonly baseSize: number;
  private readonly appended = new Map<number, string>();
  private readonly specialIds = new Set<number>();

  /** Wraps parsed `tokenizer.json` (and optional `tokenizer_config.json`) objects. */
  constructor(tokenizerJson: object, tokenizerConfig: object = {}, options: HfTokenizerOptions = {}) {
    if (!tokenizerJson || typeof tokenizerJson !== 'object' || !('model' in tokenizerJson)) {
      throw new Error('hfTokenizer: expected a parsed tokenizer.json object with a "model" field');
    }
    this.inner = new HfTokenizerImpl(tokenizerJson, tokenizerConfig);
    const vocab = this.inner.get_vocab(true);
    let maxId = -1;
    for (const id of vocab.values()) maxId = Math.max(maxId, id);
    this.baseSize = maxId + 1;
    let next = this.baseSize;
    const special = {} as SpecialTokenIds;
    const cfg = tokenizerConfig as Record<string, unknown>;
    for (const key of KEYS) {
      const explicit = options.specialTokens?.[key];
      if (explicit !== undefined) {
        const id = this.inner.token_to_id(explicit);
        if (id === undefined) throw new Error(`hfTokenizer: special token ${key} = '${explicit}' is not in the vocabulary`);
        special[key] = id;
        continue;
      }
      const names = [tokenString(cfg[`${key}_token`]), ...FALLBACK[key]].filter((n): n is string => n !== undefined);
      const found = names.map((n) => this.inner.token_to_id(n)).find((id) => id !== undefined);
      if (found !== undefined) special[key] = found;
      else {
        special[key] = next;
        this.appended.set(next, specialTokenName(key));
        next++;
      }
    }
    this.special = Object.freeze(special);
    for (const id of Object.values(special)) this.specialIds.add(id);
    this.vocabSize = next;
  }

  /** Ids of `text` (no special tokens added by the file's post-processor; use `bos`/`eos`). */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids = this.inner.encode(text, { add_special_tokens: false }).ids.slice();
    if (options.bos) ids.unshift(this.special.bos);
    if (options.eos) ids.push(this.special.eos);
    return ids;
  }

  /** Text of `ids`; appended specials are written as `<boi>` etc. unless skipped. */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    let out = '';
    let run: number[] = [];
    const flush = (): void => {
      if (run.length) out += this.inner.decode(run, { skip_special_tokens: options.skipSpecial ?? false });
      run = [];
    };
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new Error(`HfTokenizer.decode: token id ${id} is outside [0, ${this.vocabSize})`);
      if (options.skipSpecial && this.specialIds.has(id)) continue;
      const extra = this.appended.get(id);
      if (extra !== undefined) {
        flush();
        out += extra;
      } else run.push(id);
    }
    flush();
    return out;
  }

  /** The token string of an id. */
  idToToken(id: number): string {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new Error(`HfTokenizer.idToToken: token id ${id} is outside [0, ${this.vocabSize})`);
    const t = this.appended.get(id) ?? this.inner.id_to_token(id);
    if (t === undefined) throw new Error(`HfTokenizer.idToToken: id ${id} has no token in the file`);
    return t;
  }
}

/** Wraps a parsed (or JSON-string) `tokenizer.json` and optional `tokenizer_config.json`. */
export function hfTokenizer(tokenizerJson: object | string, tokenizerConfig: object | string = {}, options: HfTokenizerOptions = {}): HfTokenizer {
  const parse = (v: object | string, what: string): object => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as object;
    } catch (e) {
      throw new Error(`hfTokenizer: ${what} is not valid JSON: ${(e as Error).message}`);
    }
  };
  return new HfTokenizer(parse(tokenizerJson, 'tokenizer.json'), parse(tokenizerConfig, 'tokenizer_config.json'), options);
}

/** Loads `tokenizer.json` (and `tokenizer_config.json` if present) from a directory or a file path (Node only). */
export async function loadHfTokenizer(path: string, options: HfTokenizerOptions = {}): Promise<HfTokenizer> {
  const fs = nodeBuiltin<typeof import('node:fs/promises')>('node:fs/promises', 'loadHfTokenizer');
  const nodePath = nodeBuiltin<typeof import('node:path')>('node:path', 'loadHfTokenizer');
  const stat = await fs.stat(path);
  const dir = stat.isDirectory() ? path : nodePath.dirname(path);
  const file = stat.isDirectory() ? nodePath.join(path, 'tokenizer.json') : path;
  const json = await fs.readFile(file, 'utf8');
  let config = '{}';
  try {
    config = await fs.readFile(nodePath.join(dir, 'tokenizer_config.json'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return hfTokenizer(json, config, options);
}
