/**
 * The safetensors dtypes, their byte widths, and conversions of the 16-bit float formats.
 * Multi-byte values are little-endian, as the format specifies.
 */

/** Every dtype name the format defines that this package reads and writes. */
export const DTYPES = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'BOOL'] as const;
/** A safetensors dtype name. */
export type SafetensorsDType = (typeof DTYPES)[number];

const WIDTH: Record<SafetensorsDType, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

/** Whether `name` is a dtype this package knows. */
export function isDType(name: unknown): name is SafetensorsDType {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(WIDTH, name);
}

/** Bytes per element of `dtype`. */
export function dtypeWidth(dtype: SafetensorsDType): number {
  return WIDTH[dtype];
}

/** The typed array a dtype's raw data is exposed as (F16/BF16 as their raw `Uint16Array` bits). */
export type RawArray = Float64Array | Float32Array | Uint16Array | BigInt64Array | Int32Array | Int16Array | Int8Array | BigUint64Array | Uint32Array | Uint8Array;

type ArrayCtor = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): RawArray; new (length: number): RawArray; BYTES_PER_ELEMENT: number };

const CTOR: Record<SafetensorsDType, ArrayCtor> = {
  F64: Float64Array as unknown as ArrayCtor,
  F32: Float32Array as unknown as ArrayCtor,
  F16: Uint16Array as unknown as ArrayCtor,
  BF16: Uint16Array as unknown as ArrayCtor,
  I64: BigInt64Array as unknown as ArrayCtor,
  I32: Int32Array as unknown as ArrayCtor,
  I16: Int16Array as unknown as ArrayCtor,
  I8: Int8Array as unknown as ArrayCtor,
  U64: BigUint64Array as unknown as ArrayCtor,
  U32: Uint32Array as unknown as ArrayCtor,
  U16: Uint16Array as unknown as ArrayCtor,
  U8: Uint8Array as unknown as ArrayCtor,
  BOOL: Uint8Array as unknown as ArrayCtor,
};

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A typed-array view of `bytes` as `dtype`: zero-copy when the data is aligned (and the host is
 * little-endian), otherwise a copy.
 */
export function viewAs(dtype: SafetensorsDType, bytes: Uint8Array): RawArray {
  const C = CTOR[dtype];
  const w = C.BYTES_PER_ELEMENT;
  const n = bytes.byteLength / w;
  if (LITTLE_ENDIAN && bytes.byteOffset % w === 0) return new C(bytes.buffer, bytes.byteOffset, n);
  const copy = new Uint8Array(bytes.byteLength);
  if (LITTLE_ENDIAN || w === 1) copy.set(bytes);
  else for (let i = 0; i < n; i++) for (let j = 0; j < w; j++) copy[i * w + j] = bytes[i * w + (w - 1 - j)]!;
  return new C(copy.buffer, 0, n);
}

/** The little-endian bytes of a typed array (a view when possible). */
export function bytesOf(data: RawArray): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) return view;
  const w = data.BYTES_PER_ELEMENT;
  const out = new Uint8Array(view.length);
  for (let i = 0; i < data.length; i++) for (let j = 0; j < w; j++) out[i * w + j] = view[i * w + (w - 1 - j)]!;
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half-precision bits to a number (exact). */
export function f16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** A number to IEEE half-precision bits, rounding to nearest even (overflow gives infinity). */
export function numberToF16(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && (r & 1))) r++;
    return sign | r;
  }
  let r = mant >>> 13;
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (r & 1))) {
    r++;
    if (r === 0x400) {
      r = 0;
      e++;
      if (e >= 31) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | r;
}

/** bfloat16 bits to a number (exact). */
export function bf16ToNumber(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0]!;
}

/** A number to bfloat16 bits, rounding to nearest even (NaN stays NaN). */
export function numberToBf16(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return ((bits >>> 16) | 0x40) & 0xffff;
  const lsb = (bits >>> 16) & 1;
  return ((bits + 0x7fff + lsb) >>> 16) & 0xffff;
}

/** Any raw array of `dtype` converted to float32 values (a view for F32 data, else a copy). */
export function toFloat32(dtype: SafetensorsDType, raw: RawArray): Float32Array {
  if (dtype === 'F32') return raw as Float32Array;
  const out = new Float32Array(raw.length);
  if (dtype === 'F16') for (let i = 0; i < raw.length; i++) out[i] = f16ToNumber((raw as Uint16Array)[i]!);
  else if (dtype === 'BF16') for (let i = 0; i < raw.length; i++) out[i] = bf16ToNumber((raw as Uint16Array)[i]!);
  else if (dtype === 'I64' || dtype === 'U64') for (let i = 0; i < raw.length; i++) out[i] = Number((raw as BigInt64Array)[i]!);
  else for (let i = 0; i < raw.length; i++) out[i] = (raw as Float64Array)[i]!;
  return out;
}
