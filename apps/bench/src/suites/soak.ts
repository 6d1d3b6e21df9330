/**
 * The soak suite (not a test: it runs for a long time): trains a small UniHetero model for many
 * steps (10,000 by default) on WebGPU (or the CPU backend) and samples the memory counters every
 * `--every` steps: live tensor handles, live storages (GPU buffers), bytes in use, bytes pooled, and
 * GPU buffers created so far. After a warm-up (the first sample) every counter must stay flat: the
 * same live tensors and storages, no more bytes in use, and no new buffers created (the pool
 * serves every allocation). Prints the samples as a table and a verdict; `--json` keeps them.
 */
import { writeFile } from 'node:fs/promises';
import { memory, type Backend } from '@unihetero/tensor';
import { renderTable } from '../table.js';
import { machineLine } from '../machine.js';
import type { BenchIO } from '../io.js';
import { disposeGpuContext, getGpuContext } from '../gpu.js';
import { fmt } from '../stats.js';

/** Options of the soak suite. */
export interface SoakOptions {
  backend: 'cpu' | 'webgpu';
  /** Training steps (default 10,000). */
  steps?: number;
  /** Steps between samples of the counters (default steps / 20). */
  every?: number;
  /** Samples per step (default 4). */
  batchSize?: number;
  json?: string;
}

/** The counters at one step. */
export interface SoakSample {
  step: number;
  tensors: number;
  storages: number;
  bytesInUse: number;
  bytesPooled: number;
  /** GPU buffers created so far (WebGPU only; null on the CPU backend). */
  buffersCreated: number | null;
  /** Mean wall milliseconds per step since the previous sample. */
  msPerStep: number;
  loss: number;
}

/** What the suite found. */
export interface SoakResult {
  backend: string;
  steps: number;
  samples: SoakSample[];
  /** Every counter flat after the first sample. */
  flat: boolean;
  /** What moved, when something did. */
  problems: string[];
}

/** Flatness after the warm-up sample: same live tensors and storages, no growth of bytes in use or buffers created. */
export function checkFlat(samples: readonly SoakSample[]): string[] {
  const problems: string[] = [];
  if (samples.length < 2) return ['fewer than two samples: nothing to compare (use more --steps or a smaller --every)'];
  const [first, ...rest] = samples as [SoakSample, ...SoakSample[]];
  for (const s of rest) {
    if (s.tensors !== first.tensors) problems.push(`step ${s.step}: ${s.tensors} live tensors, ${first.tensors} at step ${first.step}`);
    if (s.storages !== first.storages) problems.push(`step ${s.step}: ${s.storages} live storages, ${first.storages} at step ${first.step}`);
    if (s.bytesInUse > first.bytesInUse) problems.push(`step ${s.step}: ${s.bytesInUse} bytes in use, ${first.bytesInUse} at step ${first.step}`);
    if (s.buffersCreated !== null && first.buffersCreated !== null && s.buffersCreated > first.buffersCreated) {
      problems.push(`step ${s.step}: ${s.buffersCreated} GPU buffers created, ${first.buffersCreated} at step ${first.step} (the pool did not serve every allocation)`);
    }
  }
  return problems;
}

/** Run the soak; returns the samples and the verdict (also printed). */
export async function runSoak(o: SoakOptions, io: BenchIO): Promise<SoakResult> {
  const steps = o.steps ?? 10_000;
  const every = o.every ?? Math.max(1, Math.floor(steps / 20));
  const batchSize = o.batchSize ?? 4;
  let backend: Backend;
  if (o.backend === 'webgpu') {
    const ctx = await getGpuContext();
    if (!ctx.backend) throw new Error(`soak: WebGPU unavailable: ${ctx.backendError}`);
    backend = ctx.backend;
  } else {
    backend = new (await import('@unihetero/tensor')).CpuBackend();
  }
  const { Trainer, createShapesModel } = await import('@unihetero/model');
  const config = { backbone: { hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 2 }, flow: { width: 32, depth: 1 } };
  const { model, world } = await createShapesModel({ preset: 'exp2', config, seed: 0 }, backend);
  const trainer = new Trainer(model, world, { samples: steps * batchSize, batchSize, seed: 0, lr: 1e-3 });
  const samples: SoakSample[] = [];
  const created = () => (backend as { buffersCreated?: number }).buffersCreated ?? null;
  io.progress(`soak: ${steps} training steps (exp2, d=32, batch ${batchSize}) on ${o.backend === 'webgpu' ? `webgpu (${backend.info.description ?? 'device'})` : 'cpu'}; counters every ${every} steps`);
  try {
    let t0 = performance.now();
    let since = 0;
    while (!trainer.done) {
      const m = await trainer.trainStep();
      since++;
      if (m.step % every === 0 || trainer.done) {
        const mem = memory(backend);
        const s: SoakSample = {
          step: m.step,
          tensors: mem.tensors,
          storages: mem.storages,
          bytesInUse: mem.bytesInUse,
          bytesPooled: mem.bytesPooled,
          buffersCreated: created(),
          msPerStep: (performance.now() - t0) / since,
          loss: m.loss,
        };
        samples.push(s);
        io.progress(`soak: step ${s.step}/${steps}: ${s.tensors} tensors, ${s.storages} storages, ${s.bytesInUse} bytes in use, ${s.bytesPooled} pooled${s.buffersCreated !== null ? `, ${s.buffersCreated} buffers created` : ''}, ${fmt(s.msPerStep, 3)} ms/step, loss ${fmt(s.loss, 4)}`);
        t0 = performance.now();
        since = 0;
      }
    }
  } finally {
    trainer.optimizer.dispose();
    model.dispose();
    if (o.backend === 'webgpu') await disposeGpuContext();
    else backend.destroy();
  }
  const problems = checkFlat(samples);
  const result: SoakResult = { backend: o.backend, steps, samples, flat: problems.length === 0, problems };
  io.out(`soak: ${machineLine()}`);
  io.out(
    renderTable(
      ['step', 'tensors', 'storages', 'bytes in use', 'bytes pooled', 'buffers created', 'ms/step', 'loss'],
      samples.map((s) => [String(s.step), String(s.tensors), String(s.storages), String(s.bytesInUse), String(s.bytesPooled), s.buffersCreated === null ? '-' : String(s.buffersCreated), fmt(s.msPerStep, 3), fmt(s.loss, 4)]),
    ),
  );
  io.out(result.flat ? `soak: flat over ${steps} steps after the first sample (live tensors, storages, bytes in use, buffers created)` : `soak: NOT flat: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; ... (${problems.length} in all)` : ''}`);
  if (o.json) await writeFile(o.json, `${JSON.stringify({ machine: machineLine(), ...result }, null, 2)}\n`);
  return result;
}
