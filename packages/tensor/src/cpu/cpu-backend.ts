/**
 * The CPU reference backend: host typed arrays and plain TypeScript kernels. It defines the
 * numerical semantics every other backend is checked against (PyTorch's, where PyTorch defines
 * them), supports float32, float64 and int32, and is synchronous (`readSync` is available).
 */
import {
  dtypeBytes,
  type AttentionArgs,
  type Backend,
  type BackendInfo,
  type BackendMemory,
  type BackendOverrides,
  type CrossEntropyArgs,
  type CrossEntropyBackwardArgs,
  type DType,
  type LayerNormArgs,
  type LayerNormBackwardArgs,
  type LogsumexpArgs,
  type RmsNormArgs,
  type RmsNormBackwardArgs,
  type RopeArgs,
  type SumColumnsArgs,
  type SoftmaxArgs,
  type Storage,
  type TypedArray,
  type View,
} from '../backend.js';
import type { Program } from '../expr/ir.js';
import { rowKernel } from '../expr/js.js';
import { gatherHost, scatterAddHost, type Rank3 } from './indexing.js';
import { contiguousStrides } from '../shape.js';
import { eachRow, planRows } from './iterate.js';
import { MatmulWorkspace, matmulHost } from './matmul.js';
import { normRows, reduceRows, softmaxRows, sumColumns, type RowReduceOp } from './reduce.js';
import { attentionHost, crossEntropyBackwardRows, crossEntropyRows, normBackwardRows, ropeHost, type HostView4 } from './fused.js';
import { CpuStorage, arenaStorage, arrayFor, dtypeOfArray } from './storage.js';
import { ARENA_MAX_BLOCK, sharedArena, type Arena } from './wasm/arena.js';
import { WasmElementwise, simdElementwiseEnabled } from './wasm/expr-kernels.js';
import { WasmColumns } from './wasm/columns.js';
import { WasmNormBackward, WasmNorms } from './wasm/norms.js';
import { copyRow } from './elementwise.js';

const DTYPES: ReadonlySet<string> = new Set<DType>(['float32', 'float64', 'int32']);
/** Reductions the CPU kernels implement (the contract's four plus the ones the front end otherwise composes). */
type CpuReduceOp = RowReduceOp;
const REDUCE_OPS: ReadonlySet<string> = new Set<CpuReduceOp>(['sum', 'prod', 'max', 'min', 'argmax', 'argmin', 'logsumexp']);

function fmt(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function sameView(a: View, b: View): boolean {
  return a.storage === b.storage && a.offset === b.offset && sameShape(a.shape, b.shape) && sameShape(a.strides, b.strides);
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
  private readonly arena: Arena | null = sharedArena();
  private readonly simd: WasmElementwise | null = this.arena ? new WasmElementwise(this.arena) : null;
  private columns: WasmColumns | null = null;
  private norms: WasmNorms | null = null;
  private normsBackward: WasmNormBackward | null = null;

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

  /** A new storage of `size` elements; its contents are undefined (see `Backend.allocate`). */
  allocate(size: number, dtype: DType): CpuStorage {
    this.alive('allocate');
    if (!Number.isInteger(size) || size < 0) throw new Error(`cpu: allocate: size must be a non-negative integer, got ${size}`);
    if (this.arena && (dtype === 'float32' || dtype === 'int32') && size * 4 <= ARENA_MAX_BLOCK) {
      const s = arenaStorage(this, this.arena, dtype, size);
      if (s) {
        this.liveStorages++;
        this.liveBytes += size * 4;
        return s;
      }
    }
    return this.track(arrayFor(dtype, size));
  }

  /** A new storage holding a copy of `data` converted to `dtype`. */
  upload(data: TypedArray, dtype: DType): CpuStorage {
    this.alive('upload');
    const s = this.allocate(data.length, dtype);
    s.data.set(data);
    return s;
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

  /**
   * Evaluate an expression program at every element (see `Backend.elementwise`): views are walked
   * row by row (dims merged where every operand allows) with a JavaScript kernel generated once per
   * program and operand layout. Outputs overlapping an input with a different view are computed
   * through a temporary.
   */
  elementwise(program: Program, inputs: readonly View[], outputs: readonly View[], scalars: ArrayLike<number>): void {
    const op = 'elementwise';
    if (inputs.length !== program.inputs.length) throw new Error(`${op}: program reads ${program.inputs.length} inputs, got ${inputs.length}`);
    if (outputs.length !== program.outputs.length) throw new Error(`${op}: program writes ${program.outputs.length} outputs, got ${outputs.length}`);
    if (scalars.length < program.scalars) throw new Error(`${op}: program reads ${program.scalars} scalars, got ${scalars.length}`);
    const shape = outputs[0]!.shape;
    const ins = inputs.map((v, i) => {
      if (!sameShape(v.shape, shape)) throw new Error(`${op}: input ${i} shape ${fmt(v.shape)} differs from the output shape ${fmt(shape)}`);
      if (v.storage.dtype !== program.inputs[i]) throw new Error(`${op}: input ${i} is ${v.storage.dtype}, the program reads ${program.inputs[i]}`);
      return this.view(v, op, `input ${i}`);
    });
    const outs = outputs.map((v, k) => {
      if (!sameShape(v.shape, shape)) throw new Error(`${op}: output ${k} shape ${fmt(v.shape)} differs from output 0 ${fmt(shape)}`);
      if (v.storage.dtype !== program.outputs[k]!.dtype) throw new Error(`${op}: output ${k} is ${v.storage.dtype}, the program writes ${program.outputs[k]!.dtype}`);
      return this.view(v, op, `output ${k}`);
    });
    if (numelOf(shape) === 0) return;
    if (this.simd && this.simd.run(program, inputs, outputs, scalars)) return;
    // An output sharing a storage with an input under a different view would be read after being
    // written: stage such outputs through temporaries.
    let staged: { tmp: TypedArray; view: View; k: number }[] | null = null;
    for (let k = 0; k < outputs.length; k++) {
      const o = outputs[k]!;
      if (inputs.some((v) => v.storage === o.storage && !sameView(v, o))) {
        const tmp = arrayFor(o.storage.dtype, numelOf(shape));
        (staged ??= []).push({ tmp, view: { storage: o.storage, shape, strides: contiguousStrides(shape), offset: 0 }, k });
        outs[k] = tmp;
      }
    }
    const outStrides = outputs.map((o, k) => (staged?.some((t) => t.k === k) ? contiguousStrides(shape) : o.strides));
    const outOffsets = outputs.map((o, k) => (staged?.some((t) => t.k === k) ? 0 : o.offset));
    const plan = planRows(shape, [...inputs.map((v) => v.strides), ...outStrides]);
    const layout = plan.inner.map((st) => (st === 0 ? '0' : st === 1 ? '1' : 's')).join('');
    const kernel = rowKernel(program, layout);
    const nIn = inputs.length;
    const IS = plan.inner.slice(0, nIn);
    const OS = plan.inner.slice(nIn);
    const IO = new Array<number>(nIn);
    const OO = new Array<number>(outputs.length);
    const n = plan.len;
    eachRow(plan, [...inputs.map((v) => v.offset), ...outOffsets], (o) => {
      for (let i = 0; i < nIn; i++) IO[i] = o[i]!;
      for (let k = 0; k < OO.length; k++) OO[k] = o[nIn + k]!;
      kernel(ins, IO, IS, outs, OO, OS, n, scalars);
    });
    if (staged) {
      for (const { tmp, k } of staged) {
        const o = outputs[k]!;
        const dst = this.arr(o.storage, op);
        const p2 = planRows(shape, [contiguousStrides(shape), o.strides]);
        eachRow(p2, [0, o.offset], (off) => copyRow(tmp, off[0]!, p2.inner[0]!, dst, off[1]!, p2.inner[1]!, p2.len));
      }
    }
  }

  /** Reduce each row of contiguous `x [rows, cols]` (from `offset`) into `out [rows]`. */
  reduce(op: CpuReduceOp, x: Storage, offset: number, rows: number, cols: number, out: Storage): void {
    if (!REDUCE_OPS.has(op)) throw new Error(`reduce: unknown op '${String(op)}'`);
    const xd = this.rows(x, offset, rows, cols, `reduce ${op}`);
    const od = this.out(out, rows, `reduce ${op}`);
    if ((op === 'argmax' || op === 'argmin') && out.dtype !== 'int32') throw new Error(`reduce ${op}: output must be int32, got ${out.dtype}`);
    reduceRows(op, xd, offset, rows, cols, od);
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

  /**
   * Every override: softmax, logsumexp, the norms forward and backward, cross-entropy and its
   * gradient, attention, the rotary embedding and column sums (float32 and float64). They are the reference the other backends'
   * overrides are checked against.
   */
  readonly overrides: BackendOverrides = {
    softmax: (a: SoftmaxArgs) => {
      const name = a.log ? 'logSoftmax' : 'softmax';
      softmaxRows(this.rows(a.x, a.offset, a.rows, a.cols, name), a.offset, a.rows, a.cols, this.out(a.out, a.rows * a.cols, name), a.log);
    },
    logsumexp: (a: LogsumexpArgs) => {
      reduceRows('logsumexp', this.rows(a.x, a.offset, a.rows, a.cols, 'logsumexp'), a.offset, a.rows, a.cols, this.out(a.out, a.rows, 'logsumexp'));
    },
    layerNorm: (a: LayerNormArgs) => this.norm('layerNorm', a, a.bias, a.mean),
    rmsNorm: (a: RmsNormArgs) => this.norm('rmsNorm', a, null, null),
    layerNormBackward: (a: LayerNormBackwardArgs) => this.normBackward('layerNormBackward', a, a.mean, a.dbias),
    rmsNormBackward: (a: RmsNormBackwardArgs) => this.normBackward('rmsNormBackward', a, null, null),
    crossEntropy: (a: CrossEntropyArgs) => {
      const op = 'crossEntropy';
      const [logits, targets] = this.crossEntropyInputs(op, a);
      crossEntropyRows(logits, targets, a.rows, a.cols, a.ignoreIndex, a.labelSmoothing, this.out(a.stats, 2 * a.rows, `${op} stats`));
    },
    crossEntropyBackward: (a: CrossEntropyBackwardArgs) => {
      const op = 'crossEntropyBackward';
      const [logits, targets] = this.crossEntropyInputs(op, a);
      crossEntropyBackwardRows(
        logits,
        targets,
        this.out(a.stats, 2 * a.rows, `${op} stats`),
        this.out(a.grad, 2 * a.rows, `${op} grad`),
        a.rows,
        a.cols,
        a.ignoreIndex,
        a.labelSmoothing,
        this.out(a.dx, a.rows * a.cols, `${op} dx`),
      );
    },
    attention: (a: AttentionArgs) => this.attentionHost(a),
    rope: (a: RopeArgs) => {
      const op = 'rope';
      const shape = a.x.shape;
      for (const [what, v] of [['cos', a.cos], ['sin', a.sin]] as const) {
        if (!sameShape(v.shape, shape)) throw new Error(`${op}: ${what} view ${fmt(v.shape)} must have x's shape ${fmt(shape)}`);
      }
      const d = shape[shape.length - 1];
      if (d === undefined || d % 2 !== 0) throw new Error(`${op}: x ${fmt(shape)} needs an even last dim`);
      const n = shape.reduce((p, q) => p * q, 1);
      const host = (v: View, what: string) => ({ data: this.view(v, op, what), offset: v.offset, strides: v.strides });
      ropeHost(shape, host(a.x, 'x'), host(a.cos, 'cos'), host(a.sin, 'sin'), this.out(a.out, n, `${op} out`), a.transpose);
    },
    sumColumns: (a: SumColumnsArgs) => {
      const op = 'sumColumns';
      const xd = this.rows(a.x, a.offset, a.rows, a.cols, op);
      const od = this.out(a.out, a.cols, op);
      const [x, out] = [a.x as CpuStorage, a.out as CpuStorage];
      // float32 blocks in the arena: the SIMD kernel (bitwise the JavaScript one's result).
      if (this.arena && simdElementwiseEnabled() && x.dtype === 'float32' && out.dtype === 'float32' && x.ptr >= 0 && out.ptr >= 0 && a.rows > 0 && a.cols > 0) {
        this.columns ??= new WasmColumns(this.arena);
        if (this.columns.run(x.ptr + 4 * a.offset, a.rows, a.cols, out.ptr)) return;
      }
      sumColumns(xd, a.offset, a.rows, a.cols, od);
    },
  };

  /**
   * Scaled dot-product attention forward (see `AttentionArgs`) for small problems (decoding with a
   * cache, tiny heads), where one scalar pass beats the composed form's allocations; larger ones
   * return false and run composed, on the SIMD GEMM and elementwise kernels.
   */
  private attentionHost({ q, k, v, mask, scale, out, lse }: AttentionArgs): boolean {
    const op = 'attention';
    if (!attentionFitsHost(q.shape, k.shape[2]!, v.shape[3]!)) return false;
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
  /** The logits rows and int32 targets of a cross-entropy override. */
  private crossEntropyInputs(op: string, a: CrossEntropyArgs): [TypedArray, TypedArray] {
    if (a.targets.dtype !== 'int32') throw new Error(`${op}: targets must be int32, got ${a.targets.dtype}`);
    return [this.rows(a.logits, 0, a.rows, a.cols, op), this.out(a.targets, a.rows, `${op} targets`)];
  }

  /** The layerNorm (`bias` and `mean` given) and rmsNorm (both null) overrides. */
  private norm(op: string, a: RmsNormArgs, bias: Storage | null, mean: Storage | null): void {
    const { rows, cols } = a;
    const x = this.rows(a.x, 0, rows, cols, op);
    const weight = this.optional(a.weight, cols, `${op} weight`);
    const bd = this.optional(bias, cols, `${op} bias`);
    const od = this.out(a.out, rows * cols, op);
    const md = this.optional(mean, rows, `${op} mean`);
    const rd = this.out(a.rstd, rows, `${op} rstd`);
    // float32 blocks in the arena with a weight: the WebAssembly rows (bitwise the JavaScript ones).
    const inArena = (st: Storage | null) => st === null || ((st as CpuStorage).dtype === 'float32' && (st as CpuStorage).ptr >= 0);
    if (this.arena && simdElementwiseEnabled() && a.weight && cols > 0 && [a.x, a.weight, bias, a.out, mean, a.rstd].every(inArena)) {
      this.norms ??= new WasmNorms(this.arena);
      const ptr = (st: Storage | null) => (st === null ? 0 : (st as CpuStorage).ptr);
      this.norms.normRows(ptr(a.x), ptr(a.weight), ptr(bias), rows, cols, a.eps, ptr(a.out), ptr(mean), ptr(a.rstd));
      return;
    }
    normRows({ x, weight, bias: bd, rows, cols, eps: a.eps, out: od, mean: md, rstd: rd });
  }

  /** The layerNorm (`mean` given) and rmsNorm (`mean` and `dbias` null) backward overrides. */
  private normBackward(op: string, a: RmsNormBackwardArgs, mean: Storage | null, dbias: Storage | null): void {
    const { rows, cols } = a;
    const h = {
      x: this.rows(a.x, 0, rows, cols, op),
      mean: this.optional(mean, rows, `${op} mean`),
      rstd: this.out(a.rstd, rows, `${op} rstd`),
      weight: this.optional(a.weight, cols, `${op} weight`),
      grad: this.rows(a.grad, 0, rows, cols, `${op} grad`),
      rows,
      cols,
      dx: this.out(a.dx, rows * cols, `${op} dx`),
      dweight: this.optional(a.dweight, cols, `${op} dweight`),
      dbias: this.optional(dbias, cols, `${op} dbias`),
    };
    // float32 blocks in the arena with a weight and its gradient: the WebAssembly rows (bitwise the JavaScript ones).
    const inArena = (st: Storage | null) => st === null || ((st as CpuStorage).dtype === 'float32' && (st as CpuStorage).ptr >= 0);
    if (this.arena && simdElementwiseEnabled() && a.weight && a.dweight && cols > 0 && [a.x, mean, a.rstd, a.weight, a.grad, a.dx, a.dweight, dbias].every(inArena)) {
      this.normsBackward ??= new WasmNormBackward(this.arena);
      const ptr = (st: Storage | null) => (st === null ? 0 : (st as CpuStorage).ptr);
      if (this.normsBackward.run(ptr(a.x), ptr(mean), ptr(a.rstd), ptr(a.weight), ptr(a.grad), rows, cols, ptr(a.dx), ptr(a.dweight), ptr(dbias))) return;
    }
    normBackwardRows(h);
  }

  /** `out` of a storage that may be absent. */
  private optional(storage: Storage | null, n: number, op: string): TypedArray | null {
    return storage ? this.out(storage, n, op) : null;
  }

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

/** Multiply-adds below which the scalar attention kernel runs (about a millisecond of work). */
export const HOST_ATTENTION_MAX_WORK = 1 << 18;

/** Whether an attention of query shape `[B, H, Lq, D]` over `Lk` keys is small enough for the scalar kernel. */
export function attentionFitsHost(qShape: readonly number[], Lk: number, Dv: number): boolean {
  const [B = 0, H = 0, Lq = 0, D = 0] = qShape;
  return B * H * Lq * Lk * (D + Dv) <= HOST_ATTENTION_MAX_WORK;
}
