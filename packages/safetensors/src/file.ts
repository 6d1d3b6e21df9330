/** A parsed `.safetensors` buffer: names, shapes, dtypes, zero-copy data views. */
import { SafetensorsError } from './errors.js';
import { parseHeader, readHeaderLength, type SafetensorsHeader, type TensorInfo } from './header.js';
import { toFloat32, viewAs, type RawArray, type SafetensorsDType } from './dtypes.js';

/** One tensor's data as its raw typed array (F16/BF16 as `Uint16Array` bits, I64 as `BigInt64Array`). */
export interface RawTensor {
  /** The stored dtype. */
  readonly dtype: SafetensorsDType;
  /** The shape. */
  readonly shape: readonly number[];
  /** The elements, row-major. */
  readonly data: RawArray;
}

/** A validated safetensors file held in memory. Data accessors return views where alignment allows. */
export class SafetensorsFile {
  /** The validated header. */
  readonly header: SafetensorsHeader;
  private readonly data: Uint8Array;

  /** Use `parseSafetensors` (bytes) or `readSafetensorsFile` (a path). */
  constructor(bytes: Uint8Array) {
    const n = readHeaderLength(bytes, bytes.byteLength);
    const json = bytes.subarray(8, 8 + n);
    this.data = bytes.subarray(8 + n);
    this.header = parseHeader(json, this.data.byteLength);
  }

  /** The `__metadata__` map (null when the file has none). */
  get metadata(): Readonly<Record<string, string>> | null {
    return this.header.metadata;
  }

  /** Tensor names in file order. */
  names(): string[] {
    return [...this.header.tensors.keys()];
  }

  /** Whether the file holds a tensor called `name`. */
  has(name: string): boolean {
    return this.header.tensors.has(name);
  }

  /** dtype, shape and byte range of `name`. */
  info(name: string): TensorInfo {
    const info = this.header.tensors.get(name);
    if (!info) throw new SafetensorsError('not-found', `safetensors: no tensor named '${name}' (the file has ${this.header.tensors.size}: ${this.names().slice(0, 8).join(', ')}${this.header.tensors.size > 8 ? ', ...' : ''})`);
    return info;
  }

  /** The raw bytes of `name` (a view into the file). */
  bytes(name: string): Uint8Array {
    const [b, e] = this.info(name).dataOffsets;
    return this.data.subarray(b, e);
  }

  /** `name` as its stored dtype's typed array. */
  get(name: string): RawTensor {
    const info = this.info(name);
    return { dtype: info.dtype, shape: info.shape, data: viewAs(info.dtype, this.bytes(name)) };
  }

  /** `name` converted to float32 (F16 and BF16 decoded exactly; a view for aligned F32). */
  getFloat32(name: string): Float32Array {
    const { dtype, data } = this.get(name);
    return toFloat32(dtype, data);
  }
}

/** Parse and validate safetensors bytes (an `ArrayBuffer` or a view; not copied). */
export function parseSafetensors(bytes: Uint8Array | ArrayBuffer): SafetensorsFile {
  return new SafetensorsFile(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
}
