/**
 * Worker threads for the WebAssembly GEMM: each worker instantiates the GEMM modules on the same
 * shared memory and runs a share of a macro-kernel call's row tiles (or of a batch's products)
 * while the calling thread runs its own. Jobs and completions pass through a small shared
 * `Int32Array` (no messages per job); both sides poll it for `GEMM_SPIN_MS` before blocking in
 * `Atomics.wait` / `Atomics.notify`, so a hand-off during a training step costs microseconds.
 *
 * Available where the engine offers `SharedArrayBuffer`, `Atomics.wait` on the calling thread and
 * Node's `worker_threads` (looked up with `process.getBuiltinModule`, so bundles for browsers carry
 * no import of it). Browsers' Web Workers are not used yet: their main thread may not block in
 * `Atomics.wait`.
 */
import type { WasmModule } from './wasm-api.js';

/** Most arguments a kernel a worker runs takes (the strided macro-kernel's 11). */
const MAX_ARGS = 11;

/** Control words of one worker (an `Int32Array` over a `SharedArrayBuffer`). */
const C = {
  /** Job sequence number (the caller bumps it to post a job; -1 asks the worker to exit). */
  seq: 0,
  /** Index of the kernel in the worker's list. */
  kernel: 1,
  /** How many of the argument words the kernel takes. */
  argc: 2,
  /** Positions, among the arguments, of A's address, C's address and the row-tile count. */
  paArg: 3,
  pcArg: 4,
  mTilesArg: 5,
  /** Row tiles in the share (the kernel is called on chunks of `chunkTiles` of them). */
  mTiles: 6,
  /** Row tiles per kernel call (keeps each A block in cache). */
  chunkTiles: 7,
  /** Bytes between consecutive chunks in A and in C. */
  aChunkBytes: 8,
  cChunkBytes: 9,
  /** Sequence number of the last finished job. */
  done: 10,
  /** Nonzero when a job failed (the message is lost with the worker's stack; the caller throws). */
  failed: 11,
  /** Batch items: the share is repeated this many times, A, B and C moving by their item strides. */
  items: 12,
  /** Position of B's address among the arguments. */
  pbArg: 13,
  /** Bytes between consecutive items in A, B and C. */
  aItemBytes: 14,
  bItemBytes: 15,
  cItemBytes: 16,
  /** The kernel's arguments (A, C and the row-tile count are set per chunk). */
  args: 17,
  words: 17 + MAX_ARGS + 1,
} as const;

/** How long `wait()` waits for a worker before giving up (a block takes milliseconds; a worker starts in well under a second). */
const WORKER_DEADLINE_MS = 30_000;

/**
 * How long a worker polls for its next job, and the caller for the workers' completion, before
 * blocking in `Atomics.wait`. Waking a blocked thread took 150-200 us on the 2-vCPU machine
 * measured (a product of 2^21 multiply-adds takes about 110 us on one thread), so a blocked
 * hand-off made small threaded products slower than unthreaded ones; products of a training step
 * come every millisecond or two, so a worker that polls this long usually catches the next one.
 */
export const GEMM_SPIN_MS = 2;

/** The worker's body (CommonJS, evaluated by `new Worker(source, { eval: true })`). */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { modules, memory, ctrl } = workerData;
const fns = [];
for (const { module, exports } of modules) {
  const inst = new WebAssembly.Instance(module, { env: { memory } });
  for (const name of exports) fns.push(inst.exports[name]);
}
const c = new Int32Array(ctrl);
const args = [];
let seen = 0;
for (;;) {
  // Poll for a while before blocking (a blocked thread takes long to wake, see GEMM_SPIN_MS).
  const until = performance.now() + ${GEMM_SPIN_MS};
  for (let i = 1; Atomics.load(c, ${C.seq}) === seen; i++) {
    if ((i & 255) === 0 && performance.now() > until) {
      Atomics.wait(c, ${C.seq}, seen);
      break;
    }
  }
  const seq = Atomics.load(c, ${C.seq});
  if (seq < 0) break;
  seen = seq;
  try {
    const fn = fns[c[${C.kernel}]];
    const argc = c[${C.argc}];
    const paArg = c[${C.paArg}], pbArg = c[${C.pbArg}], pcArg = c[${C.pcArg}], mArg = c[${C.mTilesArg}];
    const chunk = c[${C.chunkTiles}];
    const items = c[${C.items}];
    for (let it = 0; it < items; it++) {
      args.length = argc;
      for (let i = 0; i < argc; i++) args[i] = c[${C.args} + i];
      args[paArg] += it * c[${C.aItemBytes}];
      args[pbArg] += it * c[${C.bItemBytes}];
      args[pcArg] += it * c[${C.cItemBytes}];
      let left = c[${C.mTiles}];
      while (left > 0) {
        const n = Math.min(left, chunk);
        args[mArg] = n;
        fn(...args);
        args[paArg] += c[${C.aChunkBytes}];
        args[pcArg] += c[${C.cChunkBytes}];
        left -= n;
      }
    }
  } catch (e) {
    Atomics.store(c, ${C.failed}, 1);
  }
  Atomics.store(c, ${C.done}, seq);
  Atomics.notify(c, ${C.done});
}
`;

/**
 * One share of a macro-kernel call: `kernel(...args)` over `mTiles` row tiles, called in chunks
 * of `chunkTiles` (the argument at `mTilesArg` set to the chunk's tiles; those at `paArg` and
 * `pcArg`, A's and C's byte addresses, advanced by `aChunkBytes` and `cChunkBytes` per chunk);
 * with `items`, repeated for that many products of a batch, A, B (`pbArg`) and C moving by
 * `aItemBytes`, `bItemBytes` and `cItemBytes` from one to the next.
 */
export interface GemmJob {
  kernel: number;
  args: readonly number[];
  paArg: number;
  pcArg: number;
  mTilesArg: number;
  mTiles: number;
  chunkTiles: number;
  aChunkBytes: number;
  cChunkBytes: number;
  items?: { count: number; pbArg: number; aItemBytes: number; bItemBytes: number; cItemBytes: number };
}

/** A compiled module the workers instantiate on the shared memory, and the exports they may run. */
export interface GemmPoolModule {
  module: WasmModule;
  exports: readonly string[];
}

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
}

type WorkerCtor = new (source: string, options: { eval: true; workerData: unknown }) => NodeWorker;

/** Node's `Worker` constructor when threads can be used here, else null. */
function workerConstructor(): WorkerCtor | null {
  const g = globalThis as { SharedArrayBuffer?: unknown; Atomics?: unknown; process?: { getBuiltinModule?: (id: string) => unknown } };
  if (typeof g.SharedArrayBuffer !== 'function' || typeof g.Atomics !== 'object') return null;
  const getBuiltin = g.process?.getBuiltinModule;
  if (typeof getBuiltin !== 'function') return null;
  try {
    const wt = getBuiltin('node:worker_threads') as { Worker?: WorkerCtor; isMainThread?: boolean } | undefined;
    return typeof wt?.Worker === 'function' ? wt.Worker : null;
  } catch {
    return null;
  }
}

/** How many hardware threads this process may use (1 when unknown). */
export function hardwareThreads(): number {
  const g = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } };
  try {
    const os = g.process?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number } | undefined;
    const n = os?.availableParallelism?.();
    return typeof n === 'number' && n >= 1 ? Math.floor(n) : 1;
  } catch {
    return 1;
  }
}

/** Whether GEMM worker threads can start in this engine. */
export function gemmThreadsAvailable(): boolean {
  return workerConstructor() !== null;
}

/** A fixed set of GEMM workers sharing one WebAssembly memory with the caller. */
export class GemmPool {
  private readonly workers: { worker: NodeWorker; ctrl: Int32Array }[] = [];
  private seq = 0;

  /** Starts `size` workers, each instantiating `modules` (compiled with a shared-memory import) over `memory`; kernels are numbered in order of `modules`' exports. */
  constructor(modules: readonly GemmPoolModule[], memory: unknown, readonly size: number) {
    const Worker = workerConstructor();
    if (Worker === null) throw new Error('GemmPool: worker threads are not available in this engine');
    const data = modules.map((m) => ({ module: m.module, exports: [...m.exports] }));
    for (let i = 0; i < size; i++) {
      const ctrl = new Int32Array(new SharedArrayBuffer(C.words * 4));
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { modules: data, memory, ctrl: ctrl.buffer } });
      worker.unref();
      this.workers.push({ worker, ctrl });
    }
  }

  /** Post `jobs[i]` to worker i (at most `size` jobs); call `wait()` before reading their output. */
  post(jobs: readonly GemmJob[]): void {
    if (jobs.length > this.workers.length) throw new Error(`GemmPool.post: ${jobs.length} jobs for ${this.workers.length} workers`);
    this.seq = this.seq >= 0x3fffffff ? 1 : this.seq + 1;
    jobs.forEach((j, i) => {
      if (j.args.length > MAX_ARGS) throw new Error(`GemmPool.post: ${j.args.length} kernel arguments (at most ${MAX_ARGS})`);
      const c = this.workers[i]!.ctrl;
      c[C.kernel] = j.kernel;
      c[C.argc] = j.args.length;
      c[C.paArg] = j.paArg;
      c[C.pcArg] = j.pcArg;
      c[C.mTilesArg] = j.mTilesArg;
      c[C.mTiles] = j.mTiles;
      c[C.chunkTiles] = j.chunkTiles;
      c[C.aChunkBytes] = j.aChunkBytes;
      c[C.cChunkBytes] = j.cChunkBytes;
      c[C.items] = j.items?.count ?? 1;
      c[C.pbArg] = j.items?.pbArg ?? j.paArg;
      c[C.aItemBytes] = j.items?.aItemBytes ?? 0;
      c[C.bItemBytes] = j.items?.bItemBytes ?? 0;
      c[C.cItemBytes] = j.items?.cItemBytes ?? 0;
      c.set(j.args, C.args);
      Atomics.store(c, C.seq, this.seq);
      Atomics.notify(c, C.seq);
    });
    this.posted = jobs.length;
  }

  private posted = 0;

  /** Block until the posted jobs are done; throws if a worker's job failed. */
  wait(): void {
    for (let i = 0; i < this.posted; i++) {
      const c = this.workers[i]!.ctrl;
      const deadline = Date.now() + WORKER_DEADLINE_MS;
      // Poll first: the worker usually finishes its share about when the caller does.
      const until = performance.now() + GEMM_SPIN_MS;
      for (let k = 1; Atomics.load(c, C.done) !== this.seq; k++) if ((k & 255) === 0 && performance.now() > until) break;
      for (;;) {
        const d = Atomics.load(c, C.done);
        if (d === this.seq) break;
        if (Date.now() > deadline) {
          this.posted = 0;
          throw new Error(`GemmPool: worker ${i} did not finish a GEMM block within ${WORKER_DEADLINE_MS / 1000} s (it failed to start or died)`);
        }
        Atomics.wait(c, C.done, d, 1000);
      }
      if (c[C.failed] !== 0) {
        c[C.failed] = 0;
        this.posted = 0;
        throw new Error(`GemmPool: worker ${i} failed while running a GEMM block (out of bounds or out of memory)`);
      }
    }
    this.posted = 0;
  }

  /** Stop the workers. */
  close(): void {
    for (const { worker, ctrl } of this.workers) {
      Atomics.store(ctrl, C.seq, -1);
      Atomics.notify(ctrl, C.seq);
      void worker.terminate();
    }
    this.workers.length = 0;
  }
}
