/**
 * The `mlp` suite: training steps/s of the standard MLP (batch 64, 256 -> 512 -> 512 -> 10, ReLU,
 * softmax cross-entropy, Adam) on our backend(s) and, in the same run, tfjs and jax-js (eager
 * and `jit`), all from the same initial weights and data (generated once with our `Generator`).
 *
 * One step = forward, backward, Adam update, and reading the loss back to the host (every
 * framework does the same, so asynchronous devices are measured to completion). The first
 * `warmup` steps are untimed (jit compiles there) but their losses are recorded: the loss of
 * step 1 is a pure forward pass on identical weights and must agree across frameworks.
 */
import { writeFileSync } from 'node:fs';
import type { Scalar } from '@tensorflow/tfjs-core';
import { Generator, type Backend } from '@unihetero/tensor';
import { linearInit, randomMatrix } from '../data.js';
import { reason, type BenchIO } from '../io.js';
import { machineInfo, machineLine, type MachineInfo } from '../machine.js';
import { disposeGpuContext, getGpuContext, type GpuContext } from '../gpu.js';
import { disposeJax, type JaxDevice } from '../peers/jax.js';
import { disposeTfjs, loadTfjsGradients, useTfjs, type TfjsKind } from '../peers/tfjs.js';
import { Footnotes } from '../table.js';
import { printTrainingReport, runRounds, trainingTable, type Contender, type RoundsEntry } from './rounds.js';
import { jaxContender, oursContender } from './train-common.js';

/** Layer widths of the standard MLP. */
export const MLP_WIDTHS = [256, 512, 512, 10] as const;
/** Batch size of the standard MLP. */
export const MLP_BATCH = 64;
/** Distinct batches cycled through (pre-uploaded by every framework). */
export const MLP_BATCHES = 4;
/** Largest accepted relative difference of the step-1 loss from ours. */
export const LOSS_TOLERANCE = 1e-4;

/** Peers of the mlp suite: wasm always; webgpu ones when a webgpu backend is measured. */
export const MLP_CPU_PEERS = ['tfjs-wasm', 'jax-js-wasm', 'jax-js-wasm-jit'] as const;
/** WebGPU peers of the mlp suite (same Dawn adapter as ours). */
export const MLP_WEBGPU_PEERS = ['tfjs-webgpu', 'jax-js-webgpu-jit'] as const;
/** Every name accepted by `mlp --peers`. */
export const MLP_ALL_PEERS: readonly string[] = [...MLP_CPU_PEERS, ...MLP_WEBGPU_PEERS];

/** Options of `runMlp`. */
export interface MlpOptions {
  /** Which of our backends: 'cpu', 'webgpu' or 'all'. */
  backend: 'cpu' | 'webgpu' | 'all';
  /** Timed steps per framework. */
  steps: number;
  /** Untimed steps before timing. */
  warmup: number;
  /** Restrict the peers (names from `MLP_ALL_PEERS`). */
  peers?: string[];
  /** Adam learning rate (betas 0.9 / 0.999, eps 1e-8, no weight decay). */
  lr?: number;
  /** Seed of weights and data. */
  seed?: number;
  /** Interleaved timing rounds (default 3). */
  rounds?: number;
  /** Write raw numbers here as JSON. */
  json?: string;
}

/** The shared starting point: weights (row-major [in, out]) and batches. */
export interface MlpSetup {
  layers: { fanIn: number; fanOut: number; w: Float32Array; b: Float32Array }[];
  batches: { x: Float32Array; y: Int32Array }[];
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/** One framework's result (see `RoundsEntry`). */
export type MlpEntry = RoundsEntry;

/** Everything `runMlp` measured (also what `--json` writes). */
export interface MlpReport {
  suite: 'mlp';
  date: string;
  machine: MachineInfo;
  device: string | null;
  options: MlpOptions;
  entries: RoundsEntry[];
  /** max over peers of |loss1 - ours1| / |ours1| (null without ours). */
  firstLossMaxRelDiff: number | null;
  table: string;
  footnotes: string[];
}

/** Weights and batches from one seeded generator (PyTorch nn.Linear-style init, normal inputs). */
export function makeSetup(seed: number, lr = 1e-3): MlpSetup {
  const gen = new Generator(seed);
  const layers = [];
  for (let l = 0; l + 1 < MLP_WIDTHS.length; l++) {
    const fanIn = MLP_WIDTHS[l]!;
    const fanOut = MLP_WIDTHS[l + 1]!;
    layers.push({ fanIn, fanOut, w: linearInit(gen, fanIn, fanIn * fanOut), b: linearInit(gen, fanIn, fanOut) });
  }
  const classes = MLP_WIDTHS[MLP_WIDTHS.length - 1]!;
  const batches = [];
  for (let k = 0; k < MLP_BATCHES; k++) {
    const x = randomMatrix(gen, MLP_BATCH, MLP_WIDTHS[0]);
    const y = new Int32Array(MLP_BATCH);
    for (let i = 0; i < MLP_BATCH; i++) y[i] = gen.int(classes);
    batches.push({ x, y });
  }
  return { layers, batches, lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
}

/** Our trainer: the MLP's loss through the shared Adam step (see `oursContender`). */
async function oursTrainer(id: string, backend: Backend, variant: string, s: MlpSetup, compiled: boolean, onFallback: (msg: string) => void): Promise<Contender> {
  const T = await import('@unihetero/tensor');
  const params = s.layers.flatMap((l) => [
    T.tensor(l.w, { shape: [l.fanIn, l.fanOut], backend, requiresGrad: true }),
    T.tensor(l.b, { shape: [l.fanOut], backend, requiresGrad: true }),
  ]);
  const xs = s.batches.map((b) => T.tensor(b.x, { shape: [MLP_BATCH, MLP_WIDTHS[0]], backend }));
  const ys = s.batches.map((b) => T.tensor(b.y, { shape: [MLP_BATCH], dtype: 'int32', backend }));
  return oursContender({
    id,
    variant,
    backend,
    compiled,
    name: 'mlp step',
    params,
    hyper: s,
    loss: ([x, y]) => {
      let h = x!;
      for (let l = 0; l < s.layers.length; l++) {
        h = h.matmul(params[2 * l]!).add(params[2 * l + 1]!);
        if (l + 1 < s.layers.length) h = h.relu();
      }
      return T.crossEntropy(h, y!);
    },
    batch: (k) => [xs[k]!, ys[k]!],
    owned: [...xs, ...ys],
    onFallback,
  });
}

/** tfjs: variables + tf.train.adam + minimize, loss = -mean(sum(onehot * logSoftmax)). */
async function tfjsTrainer(id: string, kind: TfjsKind, s: MlpSetup, gpu?: GpuContext): Promise<Contender> {
  const share = gpu ? { device: gpu.device, adapterInfo: gpu.adapterInfo } : undefined;
  const { tf, variant } = await useTfjs(kind, share);
  await loadTfjsGradients();
  const vars = s.layers.flatMap((l) => [tf.variable(tf.tensor2d(l.w, [l.fanIn, l.fanOut])), tf.variable(tf.tensor1d(l.b))]);
  const classes = MLP_WIDTHS[MLP_WIDTHS.length - 1]!;
  const xs = s.batches.map((b) => tf.tensor2d(b.x, [MLP_BATCH, MLP_WIDTHS[0]]));
  const ys = s.batches.map((b) => tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(b.y, 'int32'), classes), 'float32')));
  const opt = tf.train.adam(s.lr, s.beta1, s.beta2, s.eps);
  return {
    id,
    variant: `@tensorflow/tfjs ${variant}`,
    async activate() {
      await useTfjs(kind, share);
    },
    async step(k) {
      const loss = opt.minimize(
        () => {
          let h = xs[k]!;
          for (let l = 0; l < s.layers.length; l++) {
            h = tf.add(tf.matMul(h, vars[2 * l]!), vars[2 * l + 1]!);
            if (l + 1 < s.layers.length) h = tf.relu(h);
          }
          return tf.neg(tf.mean(tf.sum(tf.mul(ys[k]!, tf.logSoftmax(h)), 1))) as Scalar;
        },
        true,
        vars,
      );
      if (!loss) throw new Error('tfjs: minimize returned no loss');
      try {
        return (await loss.data())[0]!;
      } finally {
        loss.dispose();
      }
    },
    dispose() {
      opt.dispose();
      for (const t of [...vars, ...xs, ...ys]) t.dispose();
    },
  };
}

/** jax-js: the MLP's loss, `-mean(sum(onehot * logSoftmax))`, through the shared jax contender. */
function jaxTrainer(id: string, device: JaxDevice, useJit: boolean, s: MlpSetup): Promise<Contender> {
  const classes = MLP_WIDTHS[MLP_WIDTHS.length - 1]!;
  return jaxContender({
    id,
    device,
    useJit,
    hyper: s,
    params: s.layers.flatMap((l) => [
      { data: l.w, shape: [l.fanIn, l.fanOut] },
      { data: l.b, shape: [l.fanOut] },
    ]),
    batches: (jax) =>
      s.batches.map((b) => [
        jax.numpy.array(b.x, { shape: [MLP_BATCH, MLP_WIDTHS[0]], device }),
        jax.nn.oneHot(jax.numpy.array(b.y, { dtype: jax.numpy.int32, device }), classes),
      ]),
    loss: (jax, p, [x, y]) => {
      const np = jax.numpy;
      let h = x!;
      for (let l = 0; l < s.layers.length; l++) {
        h = np.matmul(h, p[2 * l]!).add(p[2 * l + 1]!);
        if (l + 1 < s.layers.length) h = jax.nn.relu(h);
      }
      return jax.nn.logSoftmax(h, -1).mul(y!).sum().mul(-1 / MLP_BATCH);
    },
  });
}

async function loadTrainer(id: string, s: MlpSetup, gpu: GpuContext | undefined, cpuBackend: () => Promise<Backend>, onFallback: (msg: string) => void): Promise<Contender> {
  switch (id) {
    case 'ours-cpu':
    case 'ours-cpu-compiled': {
      const b = await cpuBackend();
      return oursTrainer(id, b, `@unihetero/tensor CpuBackend (${b.info.description})`, s, id.endsWith('compiled'), onFallback);
    }
    case 'ours-webgpu':
    case 'ours-webgpu-compiled':
      if (!gpu) throw new Error('WebGPU unavailable');
      if (!gpu.backend) throw new Error(`@unihetero/webgpu failed: ${gpu.backendError}`);
      return oursTrainer(id, gpu.backend, `@unihetero/webgpu (${gpu.description}, ${gpu.featureLevel})`, s, id.endsWith('compiled'), onFallback);
    case 'tfjs-wasm':
      return tfjsTrainer(id, 'wasm', s);
    case 'tfjs-webgpu':
      if (!gpu) throw new Error('WebGPU unavailable');
      return tfjsTrainer(id, 'webgpu', s, gpu);
    case 'jax-js-wasm':
      return jaxTrainer(id, 'wasm', false, s);
    case 'jax-js-wasm-jit':
      return jaxTrainer(id, 'wasm', true, s);
    case 'jax-js-webgpu-jit':
      if (!gpu) throw new Error('WebGPU unavailable');
      return jaxTrainer(id, 'webgpu', true, s);
    default:
      throw new Error(`unknown mlp contender '${id}'`);
  }
}

/**
 * Run the mlp suite: one table on `io.out` (steps/s as the median of interleaved rounds, the
 * per-round spread, losses of steps 1-3 and the last, speed relative to our compiled step),
 * progress on `io.progress`; disposes everything at the end.
 */
export async function runMlp(opts: MlpOptions, io: BenchIO): Promise<MlpReport> {
  const ourKinds = opts.backend === 'all' ? ['cpu', 'webgpu'] : [opts.backend];
  const ours = ourKinds.flatMap((k) => [`ours-${k}`, `ours-${k}-compiled`]);
  const usesGpu = opts.backend !== 'cpu';
  const defaultPeers: string[] = [...MLP_CPU_PEERS, ...(usesGpu ? MLP_WEBGPU_PEERS : [])];
  const peers = opts.peers ? defaultPeers.filter((p) => opts.peers!.includes(p)) : defaultPeers;
  const ids = [...ours, ...peers];
  const setup = makeSetup(opts.seed ?? 0, opts.lr ?? 1e-3);
  const notes = new Footnotes();
  let entries: RoundsEntry[] = [];
  let gpu: GpuContext | undefined;
  let gpuError: string | null = null;
  const cpu: { backend: Backend | null } = { backend: null };
  const cpuBackend = async () => (cpu.backend ??= new (await import('@unihetero/tensor')).CpuBackend());
  const rounds = opts.rounds ?? 3;
  try {
    if (usesGpu) {
      try {
        gpu = await getGpuContext();
      } catch (e) {
        gpuError = reason(e);
      }
    }
    const loaders = ids.map((id) => ({
      id,
      load: async () => {
        if (id.includes('webgpu') && !gpu) throw new Error(`WebGPU unavailable: ${gpuError}`);
        return loadTrainer(id, setup, gpu, cpuBackend, (msg) => io.progress(msg));
      },
    }));
    entries = await runRounds('mlp', loaders, { warmup: opts.warmup, steps: opts.steps, rounds, batches: setup.batches.length }, io);
  } finally {
    await disposeTfjs();
    await disposeJax();
    await disposeGpuContext();
    cpu.backend?.destroy();
  }

  const tt = trainingTable(entries, {
    rateName: 'steps/s',
    perStep: 1,
    rateDigits: [2, 1],
    totalSteps: opts.warmup + rounds * opts.steps,
    lossTolerance: LOSS_TOLERANCE,
    notes,
  });
  const device = gpu ? `${gpu.description} (${gpu.featureLevel}) via Dawn` : null;
  const footnotes = printTrainingReport(
    io,
    `mlp training, batch ${MLP_BATCH}, ${MLP_WIDTHS.join(' -> ')}, ReLU, softmax cross-entropy, Adam(lr ${setup.lr}): ` +
      `steps/s = median of ${rounds} interleaved rounds of ${opts.steps} steps after ${opts.warmup} warmup (each step reads its loss back); ratios = median of per-round ratios; machine: ${machineLine()}` +
      (device ? `; WebGPU: ${device}` : ''),
    tt,
    notes,
  );
  const { table, firstLossMaxRelDiff } = tt;
  const report: MlpReport = { suite: 'mlp', date: new Date().toISOString(), machine: machineInfo(), device, options: opts, entries, firstLossMaxRelDiff, table, footnotes };
  if (opts.json) {
    writeFileSync(opts.json, `${JSON.stringify(report, null, 2)}\n`);
    io.progress(`wrote ${opts.json}`);
  }
  return report;
}
