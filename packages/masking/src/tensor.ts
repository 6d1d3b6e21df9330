/**
 * Bridges from the plain typed arrays of this package to `@unihetero/tensor` tensors.
 */
import { tensor, type Backend, type Tensor } from '@unihetero/tensor';

/** Options of `maskToTensor`. */
export interface MaskToTensorOptions {
  /** Backend to upload to (default: the tensor package's default backend). */
  backend?: Backend;
  /** Element type (default `float32`: 1 = masked, 0 = visible, ready for `where`/`mul`). */
  dtype?: 'float32' | 'float64' | 'int32';
}

/** Upload a 0/1 mask (e.g. `sampleTrainingMasks(...).mask`, `[B*N]` row-major) as a tensor of `shape` (e.g. `[B, N]`). */
export function maskToTensor(mask: Uint8Array | ArrayLike<number>, shape: readonly number[], options: MaskToTensorOptions | Backend = {}): Tensor {
  const opts: MaskToTensorOptions = isBackend(options) ? { backend: options } : options;
  const dtype = opts.dtype ?? 'float32';
  let size = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`maskToTensor: shape must hold non-negative integers, got [${shape.join(', ')}]`);
    size *= d;
  }
  if (size !== mask.length) throw new Error(`maskToTensor: mask has ${mask.length} entries but shape [${shape.join(', ')}] needs ${size}`);
  const host = dtype === 'int32' ? new Int32Array(mask.length) : dtype === 'float64' ? new Float64Array(mask.length) : new Float32Array(mask.length);
  for (let i = 0; i < mask.length; i++) {
    const v = mask[i]!;
    if (v !== 0 && v !== 1) throw new Error(`maskToTensor: mask[${i}]=${v}, expected 0 or 1`);
    host[i] = v;
  }
  return tensor(host, { shape: [...shape], dtype, backend: opts.backend });
}

function isBackend(x: unknown): x is Backend {
  return typeof x === 'object' && x !== null && typeof (x as Backend).upload === 'function';
}
