/**
 * @unihetero/safetensors: read and write `.safetensors` files exactly as the format specifies,
 * validated (every malformed input raises a `SafetensorsError`), with atomic writes.
 */
export { SafetensorsError, type SafetensorsErrorCode } from './errors.js';
export {
  DTYPES,
  isDType,
  dtypeWidth,
  f16ToNumber,
  numberToF16,
  bf16ToNumber,
  numberToBf16,
  toFloat32,
  type SafetensorsDType,
  type RawArray,
} from './dtypes.js';
export { parseHeader, readHeaderLength, MAX_HEADER_LENGTH, type SafetensorsHeader, type TensorInfo } from './header.js';
export { SafetensorsFile, parseSafetensors, type RawTensor } from './file.js';
export { serializeSafetensors, type TensorEntry } from './serialize.js';
export { readSafetensorsFile, readSafetensorsHeader, writeSafetensorsFile, writeFileAtomic, ATOMIC_TEMP_PATTERN, type AtomicWriteOptions } from './node-io.js';
