/**
 * Training-step throughput of our own models (no peers): the `transformer` suite times the
 * transformer package's stated benchmark config (width 256, 4 layers, sequence 128, batch 8;
 * forward + backward + AdamW) in tokens/s, and the `train` suite times one UniHetero training step
 * of the embedded default (docs/method.md 14: d=128, 4 layers; batch 16, preset exp2) in samples/s.
 * Each step reads its loss back, so asynchronous backends are timed to completion.
 */
import type { Backend } from '@unihetero/tensor';
import { compileNote } from './compile-note.js';
import { renderTable } from '../table.js';
import { machineLine } from '../machine.js';
import { reason, type BenchIO } from '../io.js';
import { disposeGpuContext, getGpuContext } from '../gpu.js';
import { fmt } from '../stats.js';

/** Options of the step suites. */
export interface StepOptions {
  backend: 'cpu' | 'webgpu' | 'all';
  /** Timed steps (median reported). */
  steps?: number;
  /** Untimed steps first. */
  warmup?: number;
  /**
   * Also time each backend with its fused overrides switched off (softmax, norms, cross-entropy,
   * attention composed from primitives): the rows '<backend> (composed)' show what the fused
   * paths gain.
   */
  composed?: boolean;
  /**
   * Also time each backend with the whole step through `compile()` (rows '<backend> (compiled)'):
   * traced once, then replayed with chains of elementwise kernels fused and intermediates in
   * reused buffers. Only suites whose step has fixed shapes offer it (`transformer`).
   */
  compiled?: boolean;
}

/** One measured row. */
export interface StepRow {
  backend: string;
  msPerStep: number | null;
  unitsPerSec: number | null;
  /** GPU dispatches per timed step (median; our WebGPU backend only), else null. */
  dispatchesPerStep: number | null;
  /** For a compiled row: what `compile()` did (replayed calls, kernels before and after fusion), else null. */
  compileNote: string | null;
  firstLoss: number | null;
  lastLoss: number | null;
  error: string | null;
}

/** A timed workload: build on a backend, then `step()` resolves to the loss. */
interface Workload {
  units: number;
  step(): Promise<number>;
  dispose(): void;
  /** For a compiled workload: a one-line account of what `compile()` did. */
  compileNote?(): string;
}

/** How a workload's step runs. */
type StepMode = 'eager' | 'compiled';

/** GPU dispatches recorded so far by `backend` (our WebGPU backend counts them), or null. */
function dispatchCounter(backend: Backend): (() => number) | null {
  return 'dispatches' in backend ? () => (backend as unknown as { dispatches: number }).dispatches : null;
}

/** `backend` seen without its fused overrides (every composite op composed from primitives); the backend itself is untouched. */
export function withoutOverrides(backend: Backend): Backend {
  return new Proxy(backend, { get: (target, key) => (key === 'overrides' ? {} : Reflect.get(target, key, target)) });
}

async function backends(kind: StepOptions['backend'], composed = false, compiled = false): Promise<{ name: string; get: () => Promise<Backend>; mode: StepMode }[]> {
  const out: { name: string; get: () => Promise<Backend>; mode: StepMode }[] = [];
  const cpu = async () => new (await import('@unihetero/tensor')).CpuBackend();
  const gpu = async () => {
    const ctx = await getGpuContext();
    if (!ctx.backend) throw new Error(`WebGPU unavailable: ${ctx.backendError}`);
    return ctx.backend;
  };
  if (kind !== 'webgpu') {
    out.push({ name: 'cpu', get: cpu, mode: 'eager' });
    if (compiled) out.push({ name: 'cpu (compiled)', get: cpu, mode: 'compiled' });
    if (composed) out.push({ name: 'cpu (composed)', get: async () => withoutOverrides(await cpu()), mode: 'eager' });
  }
  if (kind !== 'cpu') {
    out.push({ name: 'webgpu', get: gpu, mode: 'eager' });
    if (compiled) out.push({ name: 'webgpu (compiled)', get: gpu, mode: 'compiled' });
    if (composed)
      out.push({
        name: 'webgpu (composed)',
        mode: 'eager',
        // A second backend on the same device with every fused kernel switched off (storages know their backend, so no proxy here).
        get: async () => {
          const shared = await gpu();
          const { WebGPUBackend } = await import('@unihetero/webgpu');
          const fused = Object.fromEntries(Object.keys(shared.overrides).map((k) => [k, false]));
          return new WebGPUBackend(shared.device, shared.info, { ownsDevice: false, fused });
        },
      });
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function measure(title: string, unit: string, build: (b: Backend, mode: StepMode) => Promise<Workload>, opts: StepOptions, io: BenchIO): Promise<StepRow[]> {
  const steps = opts.steps ?? 5;
  const warmup = opts.warmup ?? 1;
  const rows: StepRow[] = [];
  let description = '';
  try {
    for (const b of await backends(opts.backend, opts.composed, opts.compiled)) {
      const row: StepRow = { backend: b.name, msPerStep: null, unitsPerSec: null, dispatchesPerStep: null, compileNote: null, firstLoss: null, lastLoss: null, error: null };
      rows.push(row);
      let w: Workload | null = null;
      try {
        const backend = await b.get();
        description ||= backend.info.description;
        w = await build(backend, b.mode);
        const dispatches = dispatchCounter(backend);
        const times: number[] = [];
        const counts: number[] = [];
        for (let i = 0; i < warmup + steps; i++) {
          const d0 = dispatches?.() ?? 0;
          const t0 = performance.now();
          const loss = await w.step();
          const ms = performance.now() - t0;
          if (!Number.isFinite(loss)) throw new Error(`loss is ${loss} at step ${i + 1}`);
          row.firstLoss ??= loss;
          row.lastLoss = loss;
          if (i >= warmup) {
            times.push(ms);
            if (dispatches) counts.push(dispatches() - d0);
          }
          io.progress(`  ${title} [${b.name}] step ${i + 1}/${warmup + steps}: ${ms.toFixed(0)} ms, loss ${loss.toFixed(4)}`);
        }
        row.msPerStep = median(times);
        row.unitsPerSec = (w.units * 1000) / row.msPerStep;
        row.dispatchesPerStep = counts.length ? median(counts) : null;
        row.compileNote = w.compileNote?.() ?? null;
      } catch (e) {
        row.error = reason(e);
        io.progress(`  ${title} [${b.name}] failed: ${row.error}`);
      } finally {
        w?.dispose();
        if (b.name === 'cpu') description = description || 'cpu';
      }
    }
  } finally {
    await disposeGpuContext();
  }
  io.out(`\n${title}: median of ${steps} timed steps after ${warmup} warmup; ${machineLine()}\n`);
  io.out(
    renderTable(
      ['backend', 'ms/step', `${unit}/s`, 'dispatches/step', 'first loss', 'last loss'],
      rows.map((r) => [r.backend, r.error ? `n/a (${r.error})` : fmt(r.msPerStep, 1), fmt(r.unitsPerSec, 1), r.dispatchesPerStep === null ? '-' : `${r.dispatchesPerStep}`, fmt(r.firstLoss, 4), fmt(r.lastLoss, 4)]),
    ),
  );
  for (const r of rows) if (r.compileNote) io.out(`${r.backend}: ${r.compileNote}`);
  return rows;
}

/** `transformer`: tokens/s of forward + backward + AdamW on the stated config (eager, and with `compiled` through `compile()`). */
export async function runTransformer(opts: StepOptions, io: BenchIO): Promise<StepRow[]> {
  const { createBenchmark } = await import('@unihetero/transformer');
  const { compile } = await import('@unihetero/tensor');
  return measure(
    'transformer (d=256, 4 layers, 4 heads, vocab 1024, seq 128, batch 8; forward+backward+AdamW)',
    'tokens',
    async (backend, mode) => {
      const b = createBenchmark({ backend, seed: 0 });
      const compiled = mode === 'compiled' ? compile(() => b.step(), { name: 'transformer step', onFallback: (m) => io.progress(`  ${m}`) }) : null;
      const run = compiled ?? (() => b.step());
      return {
        units: b.tokensPerStep,
        async step() {
          const loss = run();
          const v = await loss.item();
          loss.dispose();
          return v;
        },
        dispose: () => {
          compiled?.reset();
          b.dispose();
        },
        compileNote: compiled ? () => compileNote(compiled.stats()) : undefined,
      };
    },
    opts,
    io,
  );
}

/** `train`: samples/s of one UniHetero training step of the embedded default (exp2, batch 16). */
export async function runTrainStep(opts: StepOptions & { batchSize?: number; preset?: string }, io: BenchIO): Promise<StepRow[]> {
  const { Trainer, createShapesModel } = await import('@unihetero/model');
  const batchSize = opts.batchSize ?? 16;
  const preset = opts.preset ?? 'exp2';
  // Its batches change shape from step to step, so there is no compiled row.
  opts = { ...opts, compiled: false };
  return measure(
    `UniHetero train step (embedded default: d=128, 4 layers, flow head w=128 D=3, preset ${preset}, batch ${batchSize})`,
    'samples',
    async (backend) => {
      const { model, world } = await createShapesModel({ preset, seed: 0 }, backend);
      const steps = (opts.warmup ?? 1) + (opts.steps ?? 5);
      const trainer = new Trainer(model, world, { samples: steps * batchSize, batchSize, seed: 0 });
      return {
        units: batchSize,
        async step() {
          return (await trainer.trainStep()).loss;
        },
        dispose: () => {
          trainer.optimizer.dispose();
          model.dispose();
        },
      };
    },
    opts,
    io,
  );
}
