/**
 * The `matmul` suite: float32 square matmul GFLOP/s (2 n^3 / seconds) of our backend and, in the
 * same process and on the same inputs, the peers (tfjs cpu / wasm / webgpu, jax-js wasm / webgpu).
 *
 * Every timed iteration is `C = A @ B` plus reading C back to the host, so the time includes
 * finishing the work on asynchronous backends. Per contender and size: one untimed validation
 * run (sampled entries compared with a float64 reference), `warmup` untimed runs, then `repeats`
 * timed samples; a sample averages enough back-to-back iterations to last at least `minSampleMs`.
 * The table shows the median sample.
 */
import { writeFileSync } from 'node:fs';
import { CpuBackend, Generator, tensor, type Backend, type Tensor } from '@unihetero/tensor';
import { checkEntries, pick, randomMatrix, referenceEntries, samplePoints, type EntryCheck } from '../data.js';
import { reason, type BenchIO } from '../io.js';
import { machineInfo, machineLine, type MachineInfo } from '../machine.js';
import { disposeGpuContext, getGpuContext, type GpuContext } from '../gpu.js';
import { disposeJax, useJax, type JaxDevice } from '../peers/jax.js';
import { disposeTfjs, useTfjs, type TfjsKind } from '../peers/tfjs.js';
import { fmt, fmtRatio, gflops, median } from '../stats.js';
import { Footnotes, renderTable } from '../table.js';

/** Which of our backends a matmul group measures. */
export type MatmulBackend = 'cpu' | 'webgpu';

/** Peers compared with our CPU backend. */
export const CPU_PEERS = ['tfjs-cpu', 'tfjs-wasm', 'jax-js-wasm'] as const;
/** Peers compared with our WebGPU backend (all on the same Dawn adapter). */
export const WEBGPU_PEERS = ['tfjs-webgpu', 'jax-js-webgpu'] as const;
/** Every peer name accepted by `--peers`. */
export const ALL_PEERS: readonly string[] = [...CPU_PEERS, ...WEBGPU_PEERS];

/** Default sizes per backend (llvmpipe is a CPU rasteriser: keep the WebGPU default modest). */
export const DEFAULT_SIZES: Record<MatmulBackend, number[]> = { cpu: [128, 256, 512, 1024], webgpu: [256, 512, 1024] };

/** Largest accepted error relative to sum |a_ik b_kj| (float32 accumulation is ~1e-7 per term). */
export const MATMUL_TOLERANCE = 1e-5;

/** Entries of each result compared with the float64 reference (corners + seeded random). */
export const SAMPLED_ENTRIES = 16;

/** Options of `runMatmul`. */
export interface MatmulOptions {
  /** 'cpu', 'webgpu' or 'all' (both groups, one table each). */
  backend: MatmulBackend | 'all';
  /** Square sizes; default per backend (`DEFAULT_SIZES`). */
  sizes?: number[];
  /** Timed samples per contender and size (the median is reported). */
  repeats: number;
  /** Untimed runs after the validation run. */
  warmup: number;
  /** Minimum duration of one timed sample in ms (more iterations per sample when shorter). */
  minSampleMs?: number;
  /** Restrict the peers (names from `ALL_PEERS`); default all peers of the group. */
  peers?: string[];
  /** Seed of the input matrices. */
  seed?: number;
  /** Write the raw numbers here as JSON. */
  json?: string;
}

/** One measured cell. */
export interface MatmulCell {
  gflops: number | null;
  medianMs: number | null;
  samplesMs: number[];
  itersPerSample: number;
  check: EntryCheck | null;
  /** Max |ours - this| over the sampled entries (peers only, when ours ran). */
  maxAbsDiffVsOurs: number | null;
  error: string | null;
}

/** Results of one backend group. */
export interface MatmulGroupResult {
  backend: MatmulBackend;
  device: string;
  /** Column ids in table order: 'ours' then the peers. */
  contenders: { id: string; variant: string | null; error: string | null }[];
  rows: { size: number; cells: Record<string, MatmulCell> }[];
  /** The rendered table (stdout). */
  table: string;
  footnotes: string[];
}

/** Everything `runMatmul` measured (also what `--json` writes). */
export interface MatmulReport {
  suite: 'matmul';
  date: string;
  machine: MachineInfo;
  options: MatmulOptions;
  groups: MatmulGroupResult[];
}

interface Prepared {
  /** One timed iteration: C = A @ B, read back; returns the result values. */
  run(): Promise<ArrayLike<number>>;
  release(): void;
}

interface Contender {
  id: string;
  variant: string;
  prepare(n: number, a: Float32Array, b: Float32Array): Promise<Prepared>;
}

/** Our matmul on `backend`: A and B uploaded once per size; each run multiplies and reads C back with `read`. */
function ours(backend: Backend, variant: string, read: (c: Tensor) => ArrayLike<number> | Promise<ArrayLike<number>>): Contender {
  return {
    id: 'ours',
    variant,
    async prepare(n, a, b) {
      const A = tensor(a, { shape: [n, n], backend });
      const B = tensor(b, { shape: [n, n], backend });
      return {
        async run() {
          const C = A.matmul(B);
          try {
            return await read(C);
          } finally {
            C.dispose();
          }
        },
        release() {
          A.dispose();
          B.dispose();
        },
      };
    },
  };
}

async function oursCpu(): Promise<Contender> {
  const backend = new CpuBackend();
  return ours(backend, `@unihetero/tensor CpuBackend (${backend.info.description})`, (c) => c.dataSync());
}

async function oursWebGPU(gpu: GpuContext): Promise<Contender> {
  const backend = gpu.backend;
  if (!backend) throw new Error(`@unihetero/webgpu failed: ${gpu.backendError}`);
  return ours(backend, `@unihetero/webgpu (${gpu.description}, ${gpu.featureLevel})`, (c) => c.data());
}

async function tfjsContender(id: string, kind: TfjsKind, gpu?: GpuContext): Promise<Contender> {
  const share = gpu ? { device: gpu.device, adapterInfo: gpu.adapterInfo } : undefined;
  const { variant } = await useTfjs(kind, share);
  return {
    id,
    variant: `@tensorflow/tfjs ${variant}`,
    async prepare(n, a, b) {
      const { tf } = await useTfjs(kind, share);
      const A = tf.tensor2d(a, [n, n]);
      const B = tf.tensor2d(b, [n, n]);
      return {
        async run() {
          const C = tf.matMul(A, B);
          try {
            return kind === 'webgpu' ? await C.data() : C.dataSync();
          } finally {
            C.dispose();
          }
        },
        release() {
          A.dispose();
          B.dispose();
        },
      };
    },
  };
}

async function jaxContender(id: string, device: JaxDevice): Promise<Contender> {
  const { variant } = await useJax(device);
  return {
    id,
    variant: `@jax-js/jax ${variant}`,
    async prepare(n, a, b) {
      const { jax } = await useJax(device);
      const np = jax.numpy;
      const A = np.array(a, { shape: [n, n], device });
      const B = np.array(b, { shape: [n, n], device });
      return {
        async run() {
          // data() realises the lazy graph, waits for the device and consumes C.
          return (await np.matmul(A.ref, B.ref).data()) as Float32Array;
        },
        release() {
          A.dispose();
          B.dispose();
        },
      };
    },
  };
}

function loadPeer(id: string, gpu: GpuContext | undefined): Promise<Contender> {
  switch (id) {
    case 'tfjs-cpu':
      return tfjsContender(id, 'cpu');
    case 'tfjs-wasm':
      return tfjsContender(id, 'wasm');
    case 'jax-js-wasm':
      return jaxContender(id, 'wasm');
    case 'tfjs-webgpu':
      return tfjsContender(id, 'webgpu', gpu);
    case 'jax-js-webgpu':
      return jaxContender(id, 'webgpu');
    default:
      return Promise.reject(new Error(`unknown peer '${id}'`));
  }
}

/** Short name used in ratio headers: `ours/tfjs-cpu`, `ours/jax`. */
function ratioName(id: string): string {
  return id.startsWith('jax-js') ? 'jax' : id;
}

async function timeContender(c: Contender, n: number, a: Float32Array, b: Float32Array, opts: MatmulOptions, points: [number, number][], io: BenchIO) {
  const prep = await c.prepare(n, a, b);
  try {
    // Validation run (untimed), then warmup.
    let t0 = performance.now();
    const values = pick(await prep.run(), n, points);
    let fastestMs = performance.now() - t0;
    for (let w = 0; w < opts.warmup; w++) {
      t0 = performance.now();
      await prep.run();
      fastestMs = Math.min(fastestMs, performance.now() - t0);
    }
    const minSampleMs = opts.minSampleMs ?? 20;
    const iters = Math.min(10_000, Math.max(1, Math.ceil(minSampleMs / Math.max(fastestMs, 1e-3))));
    const samplesMs: number[] = [];
    for (let r = 0; r < opts.repeats; r++) {
      t0 = performance.now();
      for (let i = 0; i < iters; i++) await prep.run();
      samplesMs.push((performance.now() - t0) / iters);
    }
    const med = median(samplesMs);
    io.progress(`  ${c.id.padEnd(14)} n=${n}: ${gflops(n, med / 1000).toFixed(2)} GFLOP/s (median of ${opts.repeats} x ${iters} iter, ${med.toFixed(3)} ms/iter)`);
    return { values, samplesMs, iters, med };
  } finally {
    prep.release();
  }
}

/** Run one backend group (cpu or webgpu): load contenders, time every size, build the table. */
async function runGroup(backend: MatmulBackend, opts: MatmulOptions, io: BenchIO): Promise<MatmulGroupResult> {
  const sizes = opts.sizes ?? DEFAULT_SIZES[backend];
  const groupPeers: readonly string[] = backend === 'cpu' ? CPU_PEERS : WEBGPU_PEERS;
  const peerIds = opts.peers ? groupPeers.filter((p) => opts.peers!.includes(p)) : [...groupPeers];
  const ids = ['ours', ...peerIds];
  const notes = new Footnotes();

  io.progress(`matmul [${backend}]: loading ${ids.join(', ')}`);
  let gpu: GpuContext | undefined;
  let gpuError: string | null = null;
  if (backend === 'webgpu') {
    try {
      gpu = await getGpuContext();
    } catch (e) {
      gpuError = `WebGPU unavailable: ${reason(e)}`;
    }
  }
  const contenders = new Map<string, Contender>();
  const loadErrors = new Map<string, string>();
  for (const id of ids) {
    try {
      if (backend === 'webgpu' && !gpu) throw new Error(gpuError!);
      const c = id === 'ours' ? await (backend === 'cpu' ? oursCpu() : oursWebGPU(gpu!)) : await loadPeer(id, gpu);
      contenders.set(id, c);
      io.progress(`  loaded ${id}: ${c.variant}`);
    } catch (e) {
      loadErrors.set(id, reason(e));
      io.progress(`  ${id} unavailable: ${reason(e)}`);
    }
  }

  const gen = new Generator(opts.seed ?? 0);
  const rows: MatmulGroupResult['rows'] = [];
  for (const n of sizes) {
    const a = randomMatrix(gen, n, n);
    const b = randomMatrix(gen, n, n);
    const points = samplePoints(gen, n, SAMPLED_ENTRIES);
    const ref = referenceEntries(a, b, n, points);
    const cells: Record<string, MatmulCell> = {};
    let oursValues: number[] | null = null;
    io.progress(`matmul [${backend}] n=${n}`);
    for (const id of ids) {
      const cell: MatmulCell = { gflops: null, medianMs: null, samplesMs: [], itersPerSample: 0, check: null, maxAbsDiffVsOurs: null, error: null };
      cells[id] = cell;
      const c = contenders.get(id);
      if (!c) {
        cell.error = loadErrors.get(id) ?? 'not loaded';
        continue;
      }
      try {
        const r = await timeContender(c, n, a, b, opts, points, io);
        cell.samplesMs = r.samplesMs;
        cell.itersPerSample = r.iters;
        cell.medianMs = r.med;
        cell.gflops = gflops(n, r.med / 1000);
        cell.check = checkEntries(r.values, ref, points, MATMUL_TOLERANCE);
        if (id === 'ours') oursValues = r.values;
        else if (oursValues) cell.maxAbsDiffVsOurs = Math.max(...r.values.map((v, i) => Math.abs(v - oursValues![i]!)));
      } catch (e) {
        cell.error = reason(e);
        io.progress(`  ${id} n=${n} failed: ${cell.error}`);
      }
    }
    rows.push({ size: n, cells });
  }

  // ---- table
  const headers = ['size', ...ids, ...peerIds.map((p) => `ours/${ratioName(p)}`)];
  const tableRows = rows.map(({ size, cells }) => {
    const valueCells = ids.map((id) => {
      const cell = cells[id]!;
      if (cell.error !== null) return `n/a ${notes.add(`${id}: ${cell.error}`)}`;
      let s = fmt(cell.gflops);
      if (cell.check && !cell.check.ok) {
        s += ` ✗${notes.add(
          `${id} n=${size}: WRONG RESULT, entry (${cell.check.worst.join(',')}) is off the float64 reference by ${cell.check.maxRelErr.toExponential(2)} of sum|a*b| (tolerance ${MATMUL_TOLERANCE.toExponential(0)}); its speed does not count`,
        )}`;
      }
      return s;
    });
    const valid = (id: string) => {
      const cell = cells[id];
      return cell && cell.error === null && cell.check?.ok ? cell.gflops : null;
    };
    const ratios = peerIds.map((p) => fmtRatio(valid('ours'), valid(p)));
    return [String(size), ...valueCells, ...ratios];
  });
  const table = renderTable(headers, tableRows);

  const footnotes = notes.lines();
  const variants = ids.filter((id) => contenders.has(id)).map((id) => `${id} = ${contenders.get(id)!.variant}`);
  const checked = rows.flatMap((r) => Object.values(r.cells)).filter((c) => c.check);
  const worstRel = Math.max(0, ...checked.map((c) => c.check!.maxRelErr));
  const diffs = checked.map((c) => c.maxAbsDiffVsOurs).filter((d): d is number => d !== null);
  const worstDiff = diffs.length > 0 ? Math.max(...diffs).toExponential(2) : 'n/a (ours did not run)';
  const failed = checked.filter((c) => !c.check!.ok).length;
  const summary =
    `numerics: ${checked.length} results checked at ${SAMPLED_ENTRIES} sampled entries each against a float64 reference; ` +
    `${failed === 0 ? 'all within' : `${failed} OUTSIDE`} tolerance (worst error ${worstRel.toExponential(2)} of sum|a*b|; ` +
    `max |ours - peer| ${worstDiff})`;
  const device = backend === 'cpu' ? machineLine() : gpu ? `${gpu.description} (${gpu.featureLevel}) via Dawn` : (gpuError ?? 'no WebGPU');
  io.out('');
  io.out(
    `matmul, float32, backend ${backend}: GFLOP/s = 2n^3 / median time of C = A @ B incl. reading C back ` +
      `(${opts.repeats} samples after ${opts.warmup} warmup, >= ${opts.minSampleMs ?? 20} ms each); device: ${device}`,
  );
  io.out('');
  io.out(table);
  io.out('');
  for (const v of variants) io.out(`- ${v}`);
  io.out(`- ${summary}`);
  for (const f of footnotes) io.out(f);
  return {
    backend,
    device,
    contenders: ids.map((id) => ({ id, variant: contenders.get(id)?.variant ?? null, error: loadErrors.get(id) ?? null })),
    rows,
    table,
    footnotes,
  };
}

/**
 * Run the matmul suite: one table per backend group on `io.out`, progress on `io.progress`.
 * Disposes our WebGPU backend and the peers at the end so the process can exit.
 */
export async function runMatmul(opts: MatmulOptions, io: BenchIO): Promise<MatmulReport> {
  const backends: MatmulBackend[] = opts.backend === 'all' ? ['cpu', 'webgpu'] : [opts.backend];
  const report: MatmulReport = { suite: 'matmul', date: new Date().toISOString(), machine: machineInfo(), options: opts, groups: [] };
  try {
    for (const b of backends) report.groups.push(await runGroup(b, opts, io));
  } finally {
    await disposeTfjs();
    await disposeJax();
    await disposeGpuContext();
  }
  if (opts.json) {
    writeFileSync(opts.json, `${JSON.stringify(report, null, 2)}\n`);
    io.progress(`wrote ${opts.json}`);
  }
  return report;
}
