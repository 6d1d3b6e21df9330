/** Serialising tensors to safetensors bytes, laid out as Hugging Face's writer does. */
import { SafetensorsError } from './errors.js';
import { bytesOf, dtypeWidth, isDType, numberToBf16, numberToF16, type RawArray, type SafetensorsDType } from './dtypes.js';

/** A tensor to write: F16/BF16 data may be given as float values (converted, round-to-nearest-even) or as raw `Uint16Array` bits. */
export interface TensorEntry {
  /** The dtype to store. */
  dtype: SafetensorsDType;
  /** The shape (empty for a scalar). */
  shape: readonly number[];
  /** Row-major elements. */
  data: RawArray | ArrayLike<number>;
}

const ARRAY_FOR: Partial<Record<SafetensorsDType, (n: number) => RawArray>> = {
  F64: (n) => new Float64Array(n),
  F32: (n) => new Float32Array(n),
  I32: (n) => new Int32Array(n),
  I16: (n) => new Int16Array(n),
  I8: (n) => new Int8Array(n),
  U32: (n) => new Uint32Array(n),
  U16: (n) => new Uint16Array(n),
  U8: (n) => new Uint8Array(n),
  BOOL: (n) => new Uint8Array(n),
};

/** Encode one entry's data as little-endian bytes of its dtype. */
function encodeData(name: string, e: TensorEntry, numel: number): Uint8Array {
  const { dtype, data } = e;
  if (data.length !== numel) throw new SafetensorsError('size-mismatch', `serializeSafetensors: tensor '${name}' has shape [${e.shape.join(',')}] (${numel} elements) but ${data.length} values`);
  if (dtype === 'F16' || dtype === 'BF16') {
    if (data instanceof Uint16Array) return bytesOf(data);
    const out = new Uint16Array(numel);
    const conv = dtype === 'F16' ? numberToF16 : numberToBf16;
    for (let i = 0; i < numel; i++) out[i] = conv(Number(data[i]));
    return bytesOf(out);
  }
  if (dtype === 'I64' || dtype === 'U64') {
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) return bytesOf(data);
    const out = dtype === 'I64' ? new BigInt64Array(numel) : new BigUint64Array(numel);
    for (let i = 0; i < numel; i++) {
      const v = Number(data[i]);
      if (!Number.isInteger(v)) throw new SafetensorsError('bad-entry', `serializeSafetensors: tensor '${name}' (${dtype}) has non-integer value ${v} at ${i}`);
      out[i] = BigInt(v);
    }
    return bytesOf(out);
  }
  const make = ARRAY_FOR[dtype]!;
  const probe = make(0);
  if (probe.constructor === data.constructor) return bytesOf(data as RawArray);
  const out = make(numel) as Float64Array;
  for (let i = 0; i < numel; i++) {
    const v = Number(data[i]);
    if (dtype === 'BOOL' && v !== 0 && v !== 1) throw new SafetensorsError('bad-entry', `serializeSafetensors: tensor '${name}' (BOOL) has value ${v} at ${i}; use 0 or 1`);
    out[i] = v;
  }
  return bytesOf(out);
}

/**
 * Serialise named tensors (and optional string metadata) to safetensors bytes. Tensors are
 * ordered by descending dtype width, then name, so every tensor is aligned to its element size
 * (the header is space-padded to a multiple of 8 bytes).
 */
export function serializeSafetensors(tensors: Record<string, TensorEntry> | Map<string, TensorEntry>, metadata?: Record<string, string> | null): Uint8Array {
  const list = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const seen = new Set<string>();
  const encoded: { name: string; entry: TensorEntry; bytes: Uint8Array }[] = [];
  for (const [name, entry] of list) {
    if (name === '__metadata__') throw new SafetensorsError('bad-entry', "serializeSafetensors: '__metadata__' is reserved and cannot name a tensor");
    if (seen.has(name)) throw new SafetensorsError('duplicate-name', `serializeSafetensors: tensor name '${name}' given twice`);
    seen.add(name);
    if (!isDType(entry.dtype)) throw new SafetensorsError('unknown-dtype', `serializeSafetensors: tensor '${name}' has unknown dtype ${JSON.stringify(entry.dtype)}`);
    if (!Array.isArray(entry.shape) || !entry.shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
      throw new SafetensorsError('bad-shape', `serializeSafetensors: tensor '${name}' has invalid shape ${JSON.stringify(entry.shape)}`);
    }
    const numel = entry.shape.reduce((a, b) => a * b, 1);
    encoded.push({ name, entry, bytes: encodeData(name, entry, numel) });
  }
  encoded.sort((a, b) => dtypeWidth(b.entry.dtype) - dtypeWidth(a.entry.dtype) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new SafetensorsError('metadata', `serializeSafetensors: metadata '${k}' is ${JSON.stringify(v)}, not a string`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const { name, entry, bytes } of encoded) {
    header[name] = { dtype: entry.dtype, shape: [...entry.shape], data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let at = 8 + json.byteLength;
  for (const { bytes } of encoded) {
    out.set(bytes, at);
    at += bytes.byteLength;
  }
  return out;
}
