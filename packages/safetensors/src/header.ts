/**
 * Parsing and validating the safetensors header: an 8-byte little-endian length N, then N bytes
 * of UTF-8 JSON (`{"name": {"dtype", "shape", "data_offsets"}, ..., "__metadata__": {...}}`),
 * possibly padded with trailing spaces, then the data buffer, which the entries must cover
 * exactly: no overlaps, no holes.
 */
import { SafetensorsError } from './errors.js';
import { dtypeWidth, isDType, type SafetensorsDType } from './dtypes.js';

/** Where one tensor lives in the data buffer. */
export interface TensorInfo {
  /** The tensor's dtype. */
  readonly dtype: SafetensorsDType;
  /** The tensor's shape (empty for a scalar). */
  readonly shape: readonly number[];
  /** Byte range `[begin, end)` relative to the start of the data buffer. */
  readonly dataOffsets: readonly [number, number];
}

/** A validated header. */
export interface SafetensorsHeader {
  /** Byte length of the JSON header (the first 8 bytes' value). */
  readonly headerLength: number;
  /** Tensors by name, in file order (by offset). */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** The `__metadata__` string map (null when absent). */
  readonly metadata: Readonly<Record<string, string>> | null;
  /** Byte length of the data buffer the entries cover. */
  readonly dataLength: number;
}

/** The format's cap on the header size (100 MB, as the reference implementation). */
export const MAX_HEADER_LENGTH = 100_000_000;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads the 8-byte header length; throws if the file cannot hold it. */
export function readHeaderLength(prefix: Uint8Array, fileLength: number): number {
  if (fileLength < 8) throw new SafetensorsError('too-short', `safetensors: file is ${fileLength} bytes, shorter than the 8-byte header length`);
  const dv = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const n = dv.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_LENGTH)) throw new SafetensorsError('header-length', `safetensors: header length ${n} exceeds the ${MAX_HEADER_LENGTH}-byte limit`);
  const len = Number(n);
  if (len < 2) throw new SafetensorsError('header-length', `safetensors: header length ${len} is too small for a JSON object`);
  if (8 + len > fileLength) throw new SafetensorsError('header-length', `safetensors: header length ${len} is larger than the file allows (${fileLength - 8} bytes after the length)`);
  return len;
}

/** Keys of the top-level JSON object, in order, duplicates included (the text is valid JSON). */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1) {
        let k = j + 1;
        while (k < text.length && /\s/.test(text[k]!)) k++;
        if (text[k] === ':') keys.push(JSON.parse(text.slice(i, j + 1)) as string);
      }
      i = j + 1;
      continue;
    }
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    i++;
  }
  return keys;
}

function isIndex(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/**
 * Validates a header's JSON bytes against a data buffer of `dataLength` bytes. Throws a
 * `SafetensorsError` naming the tensor and the offending values on any inconsistency.
 */
export function parseHeader(json: Uint8Array, dataLength: number): SafetensorsHeader {
  let text: string;
  try {
    text = utf8.decode(json);
  } catch {
    throw new SafetensorsError('header-encoding', 'safetensors: header is not valid UTF-8');
  }
  if (text[0] !== '{') throw new SafetensorsError('header-json', `safetensors: header must start with '{', found ${JSON.stringify(text.slice(0, 8))}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError('header-json', `safetensors: header is not valid JSON (${(err as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new SafetensorsError('header-structure', 'safetensors: header JSON is not an object');
  const keys = topLevelKeys(text);
  const seen = new Set<string>();
  for (const k of keys) {
    if (seen.has(k)) throw new SafetensorsError('duplicate-name', `safetensors: tensor name '${k}' appears more than once in the header`);
    seen.add(k);
  }
  const obj = parsed as Record<string, unknown>;
  let metadata: Record<string, string> | null = null;
  const entries: [string, TensorInfo][] = [];
  for (const name of Object.keys(obj)) {
    const v = obj[name];
    if (name === '__metadata__') {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new SafetensorsError('metadata', 'safetensors: __metadata__ must be an object of strings');
      metadata = {};
      for (const [mk, mv] of Object.entries(v as Record<string, unknown>)) {
        if (typeof mv !== 'string') throw new SafetensorsError('metadata', `safetensors: __metadata__['${mk}'] is ${JSON.stringify(mv)}, not a string`);
        metadata[mk] = mv;
      }
      continue;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new SafetensorsError('bad-entry', `safetensors: entry '${name}' is not an object`);
    const e = v as Record<string, unknown>;
    if (!isDType(e.dtype)) throw new SafetensorsError('unknown-dtype', `safetensors: tensor '${name}' has unknown dtype ${JSON.stringify(e.dtype)}`);
    if (!Array.isArray(e.shape) || !e.shape.every(isIndex)) throw new SafetensorsError('bad-shape', `safetensors: tensor '${name}' has invalid shape ${JSON.stringify(e.shape)}`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !isIndex(off[0]) || !isIndex(off[1]) || off[0] > off[1]) {
      throw new SafetensorsError('bad-offsets', `safetensors: tensor '${name}' has invalid data_offsets ${JSON.stringify(off)}`);
    }
    if (off[1] > dataLength) throw new SafetensorsError('bad-offsets', `safetensors: tensor '${name}' data_offsets [${off[0]},${off[1]}] go past the end of the ${dataLength}-byte data buffer`);
    const shape = e.shape as number[];
    let numel = 1;
    for (const s of shape) numel *= s;
    const want = numel * dtypeWidth(e.dtype);
    if (!Number.isSafeInteger(want) || want !== off[1] - off[0]) {
      throw new SafetensorsError('size-mismatch', `safetensors: tensor '${name}' is ${e.dtype} [${shape.join(',')}] = ${want} bytes, but data_offsets [${off[0]},${off[1]}] span ${off[1] - off[0]}`);
    }
    entries.push([name, { dtype: e.dtype, shape: Object.freeze([...shape]), dataOffsets: Object.freeze([off[0], off[1]]) as readonly [number, number] }]);
  }
  // Order by offset; ranges must tile [0, dataLength) exactly. Zero-length tensors may sit anywhere.
  const sorted = entries.slice().sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1]);
  let cursor = 0;
  let prev = '';
  for (const [name, info] of sorted) {
    const [b, e] = info.dataOffsets;
    if (b === e) continue;
    if (b < cursor) throw new SafetensorsError('overlap', `safetensors: tensor '${name}' [${b},${e}] overlaps '${prev}' which ends at ${cursor}`);
    if (b > cursor) throw new SafetensorsError('gap', `safetensors: bytes [${cursor},${b}) of the data buffer belong to no tensor (before '${name}')`);
    cursor = e;
    prev = name;
  }
  if (cursor !== dataLength) throw new SafetensorsError('gap', `safetensors: the data buffer has ${dataLength} bytes but the tensors cover only ${cursor}`);
  return { headerLength: json.byteLength, tensors: new Map(sorted), metadata, dataLength };
}
