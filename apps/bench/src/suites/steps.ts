/**
 * Training-step throughput of our own models (no peers): the `transformer` suite times the
 * transformer package's stated benchmark config (width 256, 4 layers, sequence 128, batch 8;
 * forward + backward + AdamW) in tokens/s, and the `train` suite times one UniHetero training step
 * of the embedded default (docs/method.md 14: d=128, 4 layers; batch 16, preset exp2) in samples/s.
 * Each step reads its loss back, so asynchronous backends are timed to completion.
 */
import type { Backend } from '@unihetero/tensor';
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
}

/** One measured row. */
export interface StepRow {
  backend: string;
  msPerStep: number | null;
  unitsPerSec: number | null;
  firstLoss: number | null;
  lastLoss: number | null;
  error: string | null;
}

/** A timed workload: build on a backend, then `step()` resolves to the loss. */
interface Workload {
  units: number;
  step(): Promise<number>;
  dispose(): void;
}

/** `backend` seen without its fused overrides (every composite op composed from primitives); the backend itself is untouched. */
export function withoutOverrides(backend: Backend): Backend {
  return new Proxy(backend, { get: (target, key) => (key === 'overrides' ? {} : Reflect.get(target, key, target)) });
}

async function backends(kind: StepOptions['backend'], composed = false): Promise<{ name: string; get: () => Promise<Backend> }[]> {
  const out: { name: string; get: () => Promise<Backend> }[] = [];
  const cpu = async () => new (await import('@unihetero/tensor')).CpuBackend();
  const gpu = async () => {
    const ctx = await getGpuContext();
    if (!ctx.backend) throw new Error(`WebGPU unavailable: ${ctx.backendError}`);
    return ctx.backend;
  };
  if (kind !== 'webgpu') {
    out.push({ name: 'cpu', get: cpu });
    if (composed) out.push({ name: 'cpu (composed)', get: async () => withoutOverrides(await cpu()) });
  }
  if (kind !== 'cpu') {
    out.push({ name: 'webgpu', get: gpu });
    if (composed)
      out.push({
        name: 'webgpu (composed)',
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

async function measure(title: string, unit: string, build: (b: Backend) => Promise<Workload>, opts: StepOptions, io: BenchIO): Promise<StepRow[]> {
  const steps = opts.steps ?? 5;
  const warmup = opts.warmup ?? 1;
  const rows: StepRow[] = [];
  let description = '';
  try {
    for (const b of await backends(opts.backend, opts.composed)) {
      const row: StepRow = { backend: b.name, msPerStep: null, unitsPerSec: null, firstLoss: null, lastLoss: null, error: null };
      rows.push(row);
      let w: Workload | null = null;
      try {
        const backend = await b.get();
        description ||= backend.info.description;
        w = await build(backend);
        const times: number[] = [];
        for (let i = 0; i < warmup + steps; i++) {
          const t0 = performance.now();
          const loss = await w.step();
          const ms = performance.now() - t0;
          if (!Number.isFinite(loss)) throw new Error(`loss is ${loss} at step ${i + 1}`);
          row.firstLoss ??= loss;
          row.lastLoss = loss;
          if (i >= warmup) times.push(ms);
          io.progress(`  ${title} [${b.name}] step ${i + 1}/${warmup + steps}: ${ms.toFixed(0)} ms, loss ${loss.toFixed(4)}`);
        }
        row.msPerStep = median(times);
        row.unitsPerSec = (w.units * 1000) / row.msPerStep;
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
  io.out(renderTable(['backend', 'ms/step', `${unit}/s`, 'first loss', 'last loss'], rows.map((r) => [r.backend, r.error ? `n/a (${r.error})` : fmt(r.msPerStep, 1), fmt(r.unitsPerSec, 1), fmt(r.firstLoss, 4), fmt(r.lastLoss, 4)])));
  return rows;
}

/** `transformer`: tokens/s of forward + backward + AdamW on the stated config. */
export async function runTransformer(opts: StepOptions, io: BenchIO): Promise<StepRow[]> {
  const { createBenchmark } = await import('@unihetero/transformer');
  return measure(
    'transformer (d=256, 4 layers, 4 heads, vocab 1024, seq 128, batch 8; forward+backward+AdamW)',
    'tokens',
    async (backend) => {
      const b = createBenchmark({ backend, seed: 0 });
      return {
        units: b.tokensPerStep,
        async step() {
          const loss = b.step();
          const v = await loss.item();
          loss.dispose();
          return v;
        },
        dispose: () => b.dispose(),
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
