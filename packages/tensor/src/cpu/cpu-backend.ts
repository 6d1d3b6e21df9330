/**
 * The CPU reference backend: host typed arrays and plain TypeScript kernels. It defines the
 * numerical semantics every other backend is checked against (PyTorch's, where PyTorch defines
 * them), supports float32, float64 and int32, and is synchronous (`readSync` is available).
 */
import {
  dtypeBytes,
  type Backend,
  type BackendInfo,
  type BackendMemory,
  type BinaryOp,
  type DType,
  type ReduceOp,
  type Storage,
  type TypedArray,
  type UnaryOp,
  type UnaryParams,
  type View,
} from '../backend.js';
import { BINARY_OPS, UNARY_OPS, binaryRow, copyRow, unaryRow, whereRow } from './elementwise.js';
import { gatherHost, scatterAddHost, type Rank3 } from './indexing.js';
import { contiguousStridesOf, eachRow, planRows } from './iterate.js';
import { MatmulWorkspace, matmulHost } from './matmul.js';
import { layerNormRows, reduceRows, rmsNormRows, softmaxRows } from './reduce.js';
import { attentionHost, crossEntropyBackwardRows, crossEntropyRows, layerNormBackwardRows, rmsNormBackwardRows, type HostView4 } from './fused.js';
import { CpuStorage, arrayFor, dtypeOfArray } from './storage.js';

const DTYPES: ReadonlySet<string> = new Set<DType>(['float32', 'float64', 'int32']);
const REDUCE_OPS: ReadonlySet<string> = new Set<ReduceOp>(['sum', 'prod', 'max', 'min', 'argmax', 'argmin', 'logsumexp']);

function fmt(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The CPU reference backend (synchronous, host memory; float32, float64 and int32). */
export class CpuBackend implements Backend {
  /** Always 'cpu'. */
  readonly name = 'cpu';
  /** Device description. */
  readonly info: BackendInfo;
  private _destroyed = false;
  private liveStorages = 0;
  private liveBytes = 0;
  private readonly ws = new MatmulWorkspace();

  /** A new CPU backend (cheap; storages of different CpuBackends are all host memory). */
  constructor() {
    const g = globalThis as { navigator?: { hardwareConcurrency?: number }; process?: { version?: string } };
    this.info = {
      kind: 'cpu',
      description: 'CPU reference backend (JavaScript typed arrays, WebAssembly SIMD matmul)',
      details: {
        runtime: g.process?.version ? `node ${g.process.version}` : 'javascript',
        hardwareConcurrency: g.navigator?.hardwareConcurrency,
        threads: 1,
        dtypes: ['float32', 'float64', 'int32'],
        matmul: 'blocked GEMM, 4x4 register micro-kernel, float64-packed panels',
      },
    };
  }

  /** True once `destroy()` was called. */
  get destroyed(): boolean {
    return this._destroyed;
  }

  /** float32, float64 and int32 are all supported. */
  supportsDType(dtype: DType): boolean {
    return DTYPES.has(dtype);
  }

  // ---------------------------------------------------------------- memory

  /** A new zero-filled storage of `size` elements. */
  allocate(size: number, dtype: DType): CpuStorage {
    this.alive('allocate');
    if (!Number.isInteger(size) || size < 0) throw new Error(`cpu: allocate: size must be a non-negative integer, got ${size}`);
    return this.track(arrayFor(dtype, size));
  }

  /** A new storage holding a copy of `data` converted to `dtype`. */
  upload(data: TypedArray, dtype: DType): CpuStorage {
    this.alive('upload');
    const arr = arrayFor(dtype, data.length);
    arr.set(data);
    return this.track(arr);
  }

  /** Release a storage; any later use of it throws. Releasing twice is an error. */
  release(storage: Storage): void {
    const s = this.own(storage, 'release');
    if (s.released) throw new Error(`cpu: storage used after release (released twice: ${s.dtype} storage of ${s.size} elements)`);
    if (s.backend !== this) throw new Error('cpu: release: the storage belongs to another CpuBackend');
    s._release();
    if (!this._destroyed) {
      this.liveStorages--;
      this.liveBytes -= s.size * dtypeBytes(s.dtype);
    }
  }

  /** A copy of the storage's contents. */
  read(storage: Storage): Promise<TypedArray> {
    try {
      return Promise.resolve(this.arr(storage, 'read').slice());
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** A copy of the storage's contents, synchronously. */
  readSync(storage: Storage): TypedArray {
    return this.arr(storage, 'readSync').slice();
  }

  /** Overwrite the whole storage from `data` (same length; converted to the storage's dtype). */
  write(storage: Storage, data: TypedArray): void {
    const d = this.arr(storage, 'write');
    if (data.length !== d.length) throw new Error(`cpu: write: data has ${data.length} elements but the storage holds ${d.length}`);
    d.set(data);
  }

  /** Live storages and bytes (no pool: `bytesPooled` is 0). */
  memory(): BackendMemory {
    return { storages: this.liveStorages, bytesInUse: this.liveBytes, bytesPooled: 0 };
  }

  /** No-op (kernels run synchronously). */
  flush(): void {}

  /** Resolves at once (kernels run synchronously). */
  sync(): Promise<void> {
    return Promise.resolve();
  }

  /** Mark the backend destroyed: every storage it allocated becomes unusable and the counters drop to zero. */
  destroy(): void {
    this._destroyed = true;
    this.liveStorages = 0;
    this.liveBytes = 0;
    this.ws.clear();
  }

  // ---------------------------------------------------------------- kernels

  /** Set every element of `out` to `value` (cast to its dtype). */
  fill(out: Storage, value: number): void {
    this.arr(out, 'fill').fill(value);
  }

  /** Copy a strided view into another strided view of equal shape, casting between dtypes. */
  copy(src: View, dst: View): void {
    const sd = this.view(src, 'copy', 'src');
    const dd = this.view(dst, 'copy', 'dst');
    if (!sameShape(src.shape, dst.shape)) throw new Error(`copy: shapes differ: ${fmt(src.shape)} -> ${fmt(dst.shape)}`);
    const plan = planRows(src.shape, [src.strides, dst.strides]);
    const n = plan.len;
    const ss = plan.inner[0]!;
    const ds = plan.inner[1]!;
    eachRow(plan, [src.offset, dst.offset], (o) => copyRow(sd, o[0]!, ss, dd, o[1]!, ds, n));
  }

  /**
   * Elementwise `out = op(x)` into contiguous `out`. not/isnan/isinf write 0/1 (normally into an
   * int32 `out`; any output dtype receives the same 0/1 values).
   */
  unary(op: UnaryOp, x: View, out: Storage, params?: UnaryParams): void {
    if (!UNARY_OPS.has(op)) throw new Error(`unary: unknown op '${String(op)}'`);
    const xd = this.view(x, `unary ${op}`, 'x');
    const od = this.out(out, numelOf(x.shape), `unary ${op}`);
    let a = params?.a ?? NaN;
    let b = params?.b ?? NaN;
    if (op === 'clamp') {
      a = params?.a ?? -Infinity;
      b = params?.b ?? Infinity;
    } else if (op.endsWith('_scalar') && params?.a === undefined) {
      throw new Error(`unary ${op}: missing parameter a`);
    }
    const intMode = x.storage.dtype === 'int32' && out.dtype === 'int32';
    const plan = planRows(x.shape, [x.strides, contiguousStridesOf(x.shape)]);
    const n = plan.len;
    const xs = plan.inner[0]!;
    eachRow(plan, [x.offset, 0], (o) => unaryRow(op, xd, o[0]!, xs, od, o[1]!, n, a, b, intMode));
  }

  /**
   * Elementwise `out = op(a, b)`; both views have out's shape (stride-0 broadcast) and one dtype.
   * Comparisons and logical ops write 0/1 in `out`'s dtype (int32 normally; float masks are allowed).
   */
  binary(op: BinaryOp, a: View, b: View, out: Storage): void {
    if (!BINARY_OPS.has(op)) throw new Error(`binary: unknown op '${String(op)}'`);
    const ad = this.view(a, `binary ${op}`, 'a');
    const bd = this.view(b, `binary ${op}`, 'b');
    if (!sameShape(a.shape, b.shape)) throw new Error(`binary ${op}: operand shapes differ: ${fmt(a.shape)} and ${fmt(b.shape)}`);
    if (a.storage.dtype !== b.storage.dtype) throw new Error(`binary ${op}: operand dtypes differ: ${a.storage.dtype} and ${b.storage.dtype}`);
    const od = this.out(out, numelOf(a.shape), `binary ${op}`);
    const intMode = a.storage.dtype === 'int32' && out.dtype === 'int32';
    const plan = planRows(a.shape, [a.strides, b.strides, contiguousStridesOf(a.shape)]);
    const n = plan.len;
    const as = plan.inner[0]!;
    const bs = plan.inner[1]!;
    eachRow(plan, [a.offset, b.offset, 0], (o) => binaryRow(op, ad, o[0]!, as, bd, o[1]!, bs, od, o[2]!, n, intMode));
  }

  /** `out = cond != 0 ? a : b`; all three views have out's shape. */
  where(cond: View, a: View, b: View, out: Storage): void {
    const cd = this.view(cond, 'where', 'cond');
    const ad = this.view(a, 'where', 'a');
    const bd = this.view(b, 'where', 'b');
    if (!sameShape(cond.shape, a.shape) || !sameShape(cond.shape, b.shape)) {
      throw new Error(`where: shapes differ: cond ${fmt(cond.shape)}, a ${fmt(a.shape)}, b ${fmt(b.shape)}`);
    }
    const od = this.out(out, numelOf(cond.shape), 'where');
    const plan = planRows(cond.shape, [cond.strides, a.strides, b.strides, contiguousStridesOf(cond.shape)]);
    const n = plan.len;
    const [cs, as, bs] = plan.inner as [number, number, number];
    eachRow(plan, [cond.offset, a.offset, b.offset, 0], (o) => whereRow(cd, o[0]!, cs, ad, o[1]!, as, bd, o[2]!, bs, od, o[3]!, n));
  }

  /** Reduce each row of contiguous `x [rows, cols]` (from `offset`) into `out [rows]`. */
  reduce(op: ReduceOp, x: Storage, offset: number, rows: number, cols: number, out: Storage): void {
    if (!REDUCE_OPS.has(op)) throw new Error(`reduce: unknown op '${String(op)}'`);
    const xd = this.rows(x, offset, rows, cols, `reduce ${op}`);
    const od = this.out(out, rows, `reduce ${op}`);
    if ((op === 'argmax' || op === 'argmin') && out.dtype !== 'int32') throw new Error(`reduce ${op}: output must be int32, got ${out.dtype}`);
    reduceRows(op, xd, offset, rows, cols, od);
  }

  /** Softmax (or log-softmax) of each row of contiguous `x [rows, cols]` into `out [rows, cols]`. */
  softmax(x: Storage, offset: number, rows: number, cols: number, out: Storage, log: boolean): void {
    const name = log ? 'logSoftmax' : 'softmax';
    const xd = this.rows(x, offset, rows, cols, name);
    const od = this.out(out, rows * cols, name);
    softmaxRows(xd, offset, rows, cols, od, log);
  }

  /** Batched matmul of views `a [B, M, K]` and `b [B, K, N]` into contiguous `out [B, M, N]`. */
  matmul(a: View, b: View, out: Storage): void {
    const ad = this.view(a, 'matmul', 'a');
    const bd = this.view(b, 'matmul', 'b');
    if (a.shape.length !== 3 || b.shape.length !== 3) throw new Error(`matmul: expected rank-3 views, got ${fmt(a.shape)} @ ${fmt(b.shape)}`);
    const [B, M, K] = a.shape as [number, number, number];
    const [B2, K2, N] = b.shape as [number, number, number];
    if (K !== K2) throw new Error(`matmul: inner dimensions differ: ${fmt(a.shape)} @ ${fmt(b.shape)}`);
    if (B !== B2) throw new Error(`matmul: batch sizes differ: ${fmt(a.shape)} @ ${fmt(b.shape)}`);
    const od = this.out(out, B * M * N, 'matmul');
    matmulHost({ data: ad, offset: a.offset, strides: a.strides }, { data: bd, offset: b.offset, strides: b.strides }, B, M, K, N, od, this.ws);
  }

  /** `out[o, j, i] = x[o, index[o, j, i], i]`; throws on an index outside `[0, Dx)`. */
  gather(x: View, index: View, out: Storage): void {
    const xd = this.view(x, 'gather', 'x');
    const id = this.view(index, 'gather', 'index');
    if (x.shape.length !== 3 || index.shape.length !== 3) throw new Error(`gather: expected rank-3 views, got x ${fmt(x.shape)}, index ${fmt(index.shape)}`);
    if (index.storage.dtype !== 'int32') throw new Error(`gather: index must be int32, got ${index.storage.dtype}`);
    if (x.shape[0] !== index.shape[0] || x.shape[2] !== index.shape[2]) {
      throw new Error(`gather: x ${fmt(x.shape)} and index ${fmt(index.shape)} must agree outside the middle axis`);
    }
    const od = this.out(out, numelOf(index.shape), 'gather');
    gatherHost(this.r3(x, xd), this.r3(index, id), od);
  }

  /** `target[o, index[o, j, i], i] += src[o, j, i]` for contiguous `target [O, Dt, I]`. */
  scatterAdd(target: Storage, index: View, src: View): void {
    const td = this.arr(target, 'scatterAdd');
    const id = this.view(index, 'scatterAdd', 'index');
    const sd = this.view(src, 'scatterAdd', 'src');
    if (index.shape.length !== 3 || !sameShape(index.shape, src.shape)) {
      throw new Error(`scatterAdd: index ${fmt(index.shape)} and src ${fmt(src.shape)} must be equal rank-3 shapes`);
    }
    if (index.storage.dtype !== 'int32') throw new Error(`scatterAdd: index must be int32, got ${index.storage.dtype}`);
    if (target.dtype !== src.storage.dtype) throw new Error(`scatterAdd: target dtype ${target.dtype} differs from src dtype ${src.storage.dtype}`);
    scatterAddHost(td, target.size, this.r3(index, id), this.r3(src, sd));
  }

  /** Fused LayerNorm forward over contiguous `x [rows, cols]`; writes `out`, `mean [rows]` and `rstd [rows]`. */
  layerNorm(x: Storage, weight: Storage | null, bias: Storage | null, rows: number, cols: number, eps: number, out: Storage, mean: Storage, rstd: Storage): void {
    const xd = this.rows(x, 0, rows, cols, 'layerNorm');
    const wd = weight ? this.out(weight, cols, 'layerNorm weight') : null;
    const bd = bias ? this.out(bias, cols, 'layerNorm bias') : null;
    layerNormRows(xd, wd, bd, rows, cols, eps, this.out(out, rows * cols, 'layerNorm'), this.out(mean, rows, 'layerNorm mean'), this.out(rstd, rows, 'layerNorm rstd'));
  }

  /** Fused RMSNorm forward over contiguous `x [rows, cols]`: `out = x * rstd * weight`; writes `rstd [rows]`. */
  rmsNorm(x: Storage, weight: Storage | null, rows: number, cols: number, eps: number, out: Storage, rstd: Storage): void {
    const xd = this.rows(x, 0, rows, cols, 'rmsNorm');
    const wd = weight ? this.out(weight, cols, 'rmsNorm weight') : null;
    rmsNormRows(xd, wd, rows, cols, eps, this.out(out, rows * cols, 'rmsNorm'), this.out(rstd, rows, 'rmsNorm rstd'));
  }

  /** Fused LayerNorm backward: `dx`, and `dweight` / `dbias` when given (see `FusedKernels.layerNormBackward`). */
  layerNormBackward(
    x: Storage,
    mean: Storage,
    rstd: Storage,
    weight: Storage | null,
    grad: Storage,
    rows: number,
    cols: number,
    dx: Storage,
    dweight: Storage | null,
    dbias: Storage | null,
  ): void {
    const op = 'layerNormBackward';
    layerNormBackwardRows(
      this.rows(x, 0, rows, cols, op),
      this.out(mean, rows, `${op} mean`),
      this.out(rstd, rows, `${op} rstd`),
      weight ? this.out(weight, cols, `${op} weight`) : null,
      this.rows(grad, 0, rows, cols, `${op} grad`),
      rows,
      cols,
      this.out(dx, rows * cols, `${op} dx`),
      dweight ? this.out(dweight, cols, `${op} dweight`) : null,
      dbias ? this.out(dbias, cols, `${op} dbias`) : null,
    );
  }

  /** Fused RMSNorm backward: `dx`, and `dweight` when given (see `FusedKernels.rmsNormBackward`). */
  rmsNormBackward(x: Storage, rstd: Storage, weight: Storage | null, grad: Storage, rows: number, cols: number, dx: Storage, dweight: Storage | null): void {
    const op = 'rmsNormBackward';
    rmsNormBackwardRows(
      this.rows(x, 0, rows, cols, op),
      this.out(rstd, rows, `${op} rstd`),
      weight ? this.out(weight, cols, `${op} weight`) : null,
      this.rows(grad, 0, rows, cols, `${op} grad`),
      rows,
      cols,
      this.out(dx, rows * cols, `${op} dx`),
      dweight ? this.out(dweight, cols, `${op} dweight`) : null,
    );
  }

  /** Cross-entropy rows: losses then logsumexps into `stats [2 * rows]`; throws on a target out of range. */
  crossEntropy(logits: Storage, targets: Storage, rows: number, cols: number, ignoreIndex: number, labelSmoothing: number, stats: Storage): void {
    const op = 'crossEntropy';
    if (targets.dtype !== 'int32') throw new Error(`${op}: targets must be int32, got ${targets.dtype}`);
    crossEntropyRows(this.rows(logits, 0, rows, cols, op), this.out(targets, rows, `${op} targets`), rows, cols, ignoreIndex, labelSmoothing, this.out(stats, 2 * rows, `${op} stats`));
  }

  /** Gradient of the cross-entropy rows with respect to the logits, from `grad [2 * rows]`. */
  crossEntropyBackward(
    logits: Storage,
    targets: Storage,
    stats: Storage,
    grad: Storage,
    rows: number,
    cols: number,
    ignoreIndex: number,
    labelSmoothing: number,
    dx: Storage,
  ): void {
    const op = 'crossEntropyBackward';
    if (targets.dtype !== 'int32') throw new Error(`${op}: targets must be int32, got ${targets.dtype}`);
    crossEntropyBackwardRows(
      this.rows(logits, 0, rows, cols, op),
      this.out(targets, rows, `${op} targets`),
      this.out(stats, 2 * rows, `${op} stats`),
      this.out(grad, 2 * rows, `${op} grad`),
      rows,
      cols,
      ignoreIndex,
      labelSmoothing,
      this.out(dx, rows * cols, `${op} dx`),
    );
  }

  /** Scaled dot-product attention forward (see `FusedKernels.attention`); always runs (returns true). */
  attention(q: View, k: View, v: View, mask: View | null, scale: number, out: Storage, lse: Storage): boolean {
    const op = 'attention';
    const h4 = (w: View, what: string): HostView4 => {
      if (w.shape.length !== 4) throw new Error(`${op}: ${what} must be a rank-4 view, got ${fmt(w.shape)}`);
      return { data: this.view(w, op, what), offset: w.offset, shape: w.shape, strides: w.strides };
    };
    const qv = h4(q, 'q');
    const kv = h4(k, 'k');
    const vv = h4(v, 'v');
    const mv = mask ? h4(mask, 'mask') : null;
    const [B, H, Lq, D] = q.shape as [number, number, number, number];
    const [B2, Hkv, Lk, D2] = k.shape as [number, number, number, number];
    const Dv = v.shape[3]!;
    if (B2 !== B || D2 !== D || Hkv === 0 || H % Hkv !== 0 || !sameShape(v.shape.slice(0, 3), k.shape.slice(0, 3))) {
      throw new Error(`${op}: incompatible q ${fmt(q.shape)}, k ${fmt(k.shape)}, v ${fmt(v.shape)}`);
    }
    if (mask && !sameShape(mask.shape, [B, H, Lq, Lk])) throw new Error(`${op}: mask view ${fmt(mask.shape)} must be [${B},${H},${Lq},${Lk}]`);
    attentionHost(qv, kv, vv, mv, scale, this.out(out, B * H * Lq * Dv, `${op} out`), this.out(lse, B * H * Lq, `${op} lse`));
    return true;
  }

  // ---------------------------------------------------------------- helpers

  private alive(op: string): void {
    if (this._destroyed) throw new Error(`cpu: ${op}: backend used after destroy`);
  }

  private track(arr: TypedArray): CpuStorage {
    this.liveStorages++;
    this.liveBytes += arr.length * dtypeBytes(dtypeOfArray(arr));
    return new CpuStorage(this, arr);
  }

  private own(storage: Storage, op: string): CpuStorage {
    this.alive(op);
    if (!(storage instanceof CpuStorage)) {
      throw new Error(`cpu: ${op}: expected a CpuStorage, got a storage of backend '${storage?.backend?.name ?? String(storage)}'`);
    }
    return storage;
  }

  /** The live typed array of a storage (throws after release). */
  private arr(storage: Storage, op: string): TypedArray {
    const s = this.own(storage, op);
    if (s.released) throw new Error(`cpu: storage used after release (in ${op}: ${s.dtype} storage of ${s.size} elements)`);
    return s.data;
  }

  /** Validate an output storage of at least `n` elements. */
  private out(storage: Storage, n: number, op: string): TypedArray {
    const d = this.arr(storage, op);
    if (d.length < n) throw new Error(`${op}: output storage holds ${d.length} elements, needs ${n}`);
    return d;
  }

  /** Validate `offset + rows * cols <= size` for a contiguous input. */
  private rows(storage: Storage, offset: number, rows: number, cols: number, op: string): TypedArray {
    const d = this.arr(storage, op);
    if (!(Number.isInteger(rows) && rows >= 0 && Number.isInteger(cols) && cols >= 0 && Number.isInteger(offset) && offset >= 0)) {
      throw new Error(`${op}: invalid geometry: offset ${offset}, rows ${rows}, cols ${cols}`);
    }
    if (offset + rows * cols > d.length) {
      throw new Error(`${op}: rows ${rows} x cols ${cols} from offset ${offset} exceed the storage of ${d.length} elements`);
    }
    return d;
  }

  /** Validate a view (rank match, non-negative strides, in bounds) and return its typed array. */
  private view(v: View, op: string, what: string): TypedArray {
    const d = this.arr(v.storage, `${op} (${what})`);
    const { shape, strides, offset } = v;
    if (shape.length !== strides.length) throw new Error(`${op}: ${what} has shape ${fmt(shape)} but strides ${fmt(strides)}`);
    let max = offset;
    let empty = false;
    for (let i = 0; i < shape.length; i++) {
      const n = shape[i]!;
      const s = strides[i]!;
      if (!Number.isInteger(n) || n < 0 || !Number.isInteger(s) || s < 0) {
        throw new Error(`${op}: ${what} has invalid shape ${fmt(shape)} / strides ${fmt(strides)}`);
      }
      if (n === 0) empty = true;
      else max += (n - 1) * s;
    }
    if (!Number.isInteger(offset) || offset < 0) throw new Error(`${op}: ${what} has invalid offset ${offset}`);
    if (!empty && max >= d.length) {
      throw new Error(
        `${op}: ${what} view ${fmt(shape)} strides ${fmt(strides)} offset ${offset} reaches element ${max} of a storage of ${d.length}`,
      );
    }
    return d;
  }

  private r3(v: View, data: TypedArray): Rank3 {
    return { data, offset: v.offset, shape: v.shape, strides: v.strides };
  }
}
