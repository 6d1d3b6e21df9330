/**
 * The `gpt` suite: training tokens/s of a tiny GPT (d 128, 4 heads, 2 layers, sequence 64, batch 8,
 * vocabulary 256; pre-LN with LayerNorm, learned positions, GELU-tanh MLP 4x, untied head, softmax
 * cross-entropy, Adam 1e-3) on our CPU backend, eager and through `compile()` (and compiled on
 * one GEMM thread when ours would use more), and, in the same interleaved run, on jax-js wasm
 * under `jit` (and eager on request). Every contender starts from
 * the same weights and trains on the same batches (generated once with our `Generator`).
 *
 * One step = forward, backward, Adam update and reading the loss back. The first `warmup` steps
 * are untimed (jit compiles and `compile()` traces there) but their losses are kept: the loss of
 * step 1 is a forward pass on identical weights and must agree across frameworks.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Generator, type Backend, type Tensor } from '@unihetero/tensor';
import { reason, type BenchIO } from '../io.js';
import { machineInfo, machineLine, type MachineInfo } from '../machine.js';
import { disposeJax } from '../peers/jax.js';
import { Footnotes } from '../table.js';
import { printTrainingReport, ratioOfRounds, runRounds, trainingTable, type Contender, type RoundsEntry } from './rounds.js';
import { jaxContender, oursContender, type AdamHyper, type JaxArray } from './train-common.js';

/** Sizes of the model and of a batch. */
export interface GptDims {
  /** Vocabulary size (tokens are 0..vocab-1). */
  vocab: number;
  /** Model width. */
  d: number;
  /** Attention heads (must divide `d`). */
  heads: number;
  /** Transformer blocks. */
  layers: number;
  /** Sequence length (also the number of learned positions). */
  seq: number;
  /** Sequences per batch. */
  batch: number;
}

/** The suite's model and batch, as issue 15 specifies them. */
export const GPT_DIMS: Readonly<GptDims> = { vocab: 256, d: 128, heads: 4, layers: 2, seq: 64, batch: 8 };
/** Distinct batches cycled through (pre-uploaded by every framework). */
export const GPT_BATCHES = 4;
/** Largest accepted relative difference of the step-1 loss from ours. */
export const GPT_LOSS_TOLERANCE = 1e-4;
/** LayerNorm epsilon (PyTorch's default). */
export const GPT_LN_EPS = 1e-5;
/** Every name accepted by `gpt --peers`. */
export const GPT_ALL_PEERS: readonly string[] = ['jax-js-wasm-jit', 'jax-js-wasm'];
/** Peers run by default (jax-js eager is slow; ask for it with `--peers`). */
export const GPT_DEFAULT_PEERS: readonly string[] = ['jax-js-wasm-jit'];

/** Options of `runGpt`. */
export interface GptOptions {
  /** Timed steps per contender and round. */
  steps: number;
  /** Untimed steps before timing. */
  warmup: number;
  /** Interleaved timing rounds (default 3). */
  rounds?: number;
  /** Restrict the peers (names from `GPT_ALL_PEERS`; default `GPT_DEFAULT_PEERS`). */
  peers?: string[];
  /** Adam learning rate (betas 0.9 / 0.999, eps 1e-8, no weight decay). */
  lr?: number;
  /** Seed of weights and data. */
  seed?: number;
  /** Other sizes (tests use tiny ones); default `GPT_DIMS`. */
  dims?: Partial<GptDims>;
  /** Write raw numbers here as JSON. */
  json?: string;
}

/** One parameter: name, shape and initial values. */
export interface GptParam {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** The shared starting point: parameters in a fixed order, token batches, Adam settings. */
export interface GptSetup {
  dims: GptDims;
  /**
   * `wte [V, d]`, `wpe [T, d]`, per block `ln1.w, ln1.b, attn.w [d, 3d], attn.b, proj.w [d, d],
   * proj.b, ln2.w, ln2.b, fc.w [d, 4d], fc.b, fc2.w [4d, d], fc2.b`, then `lnf.w, lnf.b,
   * head.w [d, V]` (weights row-major [in, out]).
   */
  params: GptParam[];
  /** Token ids `[batch, seq]` and next-token targets `[batch, seq]`. */
  batches: { ids: Int32Array; targets: Int32Array }[];
  hyper: AdamHyper;
}

/** Everything `runGpt` measured (also what `--json` writes). */
export interface GptReport {
  suite: 'gpt';
  date: string;
  machine: MachineInfo;
  options: GptOptions;
  dims: GptDims;
  /** Tokens per step (batch x seq). */
  tokensPerStep: number;
  entries: RoundsEntry[];
  /** max over peers of |loss1 - ours1| / |ours1| (null without ours). */
  firstLossMaxRelDiff: number | null;
  /** Median over rounds of ours-cpu-compiled's tokens/s divided by jax-js jit's (null if either failed). */
  compiledOverJaxJit: number | null;
  table: string;
  footnotes: string[];
}

/** Check and complete the sizes. */
export function gptDims(partial: Partial<GptDims> = {}): GptDims {
  const d: GptDims = { ...GPT_DIMS, ...partial };
  for (const [k, v] of Object.entries(d)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`gpt: ${k} must be a positive integer, got ${v}`);
  }
  if (d.d % d.heads !== 0) throw new Error(`gpt: heads ${d.heads} must divide the width d ${d.d}`);
  return d;
}

/**
 * Parameters (GPT-2 init: weights N(0, 0.02), residual projections N(0, 0.02 / sqrt(2 layers)),
 * biases 0, LayerNorm 1 and 0) and batches of arithmetic token sequences (`start + i * stride mod
 * vocab`, stride 1..7, so the loss can fall), all from one seeded generator.
 */
export function makeGptSetup(seed: number, lr = 1e-3, partial: Partial<GptDims> = {}): GptSetup {
  const dims = gptDims(partial);
  const { vocab: V, d, layers: L, seq: T, batch: B } = dims;
  const gen = new Generator(seed);
  const normal = (n: number, std: number) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = gen.normal() * std;
    return out;
  };
  const params: GptParam[] = [];
  const add = (name: string, shape: number[], data: Float32Array) => params.push({ name, shape, data });
  const weight = (name: string, fanIn: number, fanOut: number, std = 0.02) => add(name, [fanIn, fanOut], normal(fanIn * fanOut, std));
  const zeros = (name: string, n: number) => add(name, [n], new Float32Array(n));
  const ones = (name: string, n: number) => add(name, [n], new Float32Array(n).fill(1));
  const residualStd = 0.02 / Math.sqrt(2 * L);
  weight('wte', V, d);
  weight('wpe', T, d);
  for (let l = 0; l < L; l++) {
    ones(`h${l}.ln1.w`, d);
    zeros(`h${l}.ln1.b`, d);
    weight(`h${l}.attn.w`, d, 3 * d);
    zeros(`h${l}.attn.b`, 3 * d);
    weight(`h${l}.proj.w`, d, d, residualStd);
    zeros(`h${l}.proj.b`, d);
    ones(`h${l}.ln2.w`, d);
    zeros(`h${l}.ln2.b`, d);
    weight(`h${l}.fc.w`, d, 4 * d);
    zeros(`h${l}.fc.b`, 4 * d);
    weight(`h${l}.fc2.w`, 4 * d, d, residualStd);
    zeros(`h${l}.fc2.b`, d);
  }
  ones('lnf.w', d);
  zeros('lnf.b', d);
  weight('head.w', d, V);
  const batches = [];
  for (let k = 0; k < GPT_BATCHES; k++) {
    const ids = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const start = gen.int(V);
      const stride = 1 + gen.int(7);
      for (let i = 0; i < T; i++) {
        ids[b * T + i] = (start + i * stride) % V;
        targets[b * T + i] = (start + (i + 1) * stride) % V;
      }
    }
    batches.push({ ids, targets });
  }
  return { dims, params, batches, hyper: { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 } };
}

/** Our GPT on the tensor API (weights as leaves; activations `[batch * seq, d]` between blocks). */
async function oursTrainer(id: string, backend: Backend, s: GptSetup, compiled: boolean, onFallback: (msg: string) => void, threads?: number): Promise<Contender> {
  const T = await import('@unihetero/tensor');
  const { vocab: V, d, heads: H, layers: L, seq: S, batch: B } = s.dims;
  const hd = d / H;
  const params = s.params.map((p) => T.tensor(p.data, { shape: p.shape, backend, requiresGrad: true }));
  const ids = s.batches.map((b) => T.tensor(b.ids, { shape: [B, S], dtype: 'int32', backend }));
  const targets = s.batches.map((b) => T.tensor(b.targets, { shape: [B * S], dtype: 'int32', backend }));
  // Additive causal mask [S, S]: 0 on and below the diagonal, -Infinity above.
  const maskData = new Float32Array(S * S);
  for (let i = 0; i < S; i++) for (let j = i + 1; j < S; j++) maskData[i * S + j] = -Infinity;
  const mask = T.tensor(maskData, { shape: [S, S], backend });
  const heads = (t: Tensor) => t.reshape([B, S, H, hd]).transpose(1, 2);
  const loss = ([tokens, y]: Tensor[]): Tensor => {
    let i = 0;
    const next = () => params[i++]!;
    const wte = next();
    const wpe = next();
    let x = T.embedding(tokens!, wte).add(wpe).reshape([B * S, d]);
    for (let l = 0; l < L; l++) {
      const [ln1w, ln1b, attnW, attnB, projW, projB, ln2w, ln2b, fcW, fcB, fc2W, fc2B] = Array.from({ length: 12 }, next);
      const qkv = T.layerNorm(x, ln1w!, ln1b!, GPT_LN_EPS).matmul(attnW!).add(attnB!);
      const [q, k, v] = qkv.split(d, -1).map(heads);
      const a = T.scaledDotProductAttention(q!, k!, v!, { mask }).transpose(1, 2).reshape([B * S, d]);
      x = x.add(a.matmul(projW!).add(projB!));
      const h = T.layerNorm(x, ln2w!, ln2b!, GPT_LN_EPS).matmul(fcW!).add(fcB!).gelu('tanh');
      x = x.add(h.matmul(fc2W!).add(fc2B!));
    }
    const lnfw = next();
    const lnfb = next();
    const logits = T.layerNorm(x, lnfw, lnfb, GPT_LN_EPS).matmul(next());
    if (logits.shape[1] !== V || i !== params.length) throw new Error(`gpt: parameter walk out of step (${i} of ${params.length})`);
    return T.crossEntropy(logits, y!);
  };
  return oursContender({
    id,
    variant: `@unihetero/tensor CpuBackend (${backend.info.description})`,
    backend,
    compiled,
    name: 'gpt step',
    params,
    hyper: s.hyper,
    loss,
    batch: (k) => [ids[k]!, targets[k]!],
    owned: [...ids, ...targets, mask],
    onFallback,
    threads,
  });
}

/**
 * The same GPT on jax-js: `jax.nn.standardize` for LayerNorm, attention composed from `matmul`,
 * `where(tri)` and `softmax` as jax-js's own `dotProductAttention` does it (that one goes through
 * `einsum`, whose parser uses iterator helpers that Node 20 lacks: `matchAll(...).map is not a
 * function`).
 */
function jaxTrainer(id: string, useJit: boolean, s: GptSetup): Promise<Contender> {
  const { vocab: V, d, heads: H, layers: L, seq: S, batch: B } = s.dims;
  const hd = d / H;
  const device = 'wasm' as const;
  return jaxContender({
    id,
    device,
    useJit,
    hyper: s.hyper,
    params: s.params.map((p) => ({ data: p.data, shape: p.shape })),
    batches: (jax) =>
      s.batches.map((b) => [
        jax.numpy.array(b.ids, { shape: [B, S], dtype: jax.numpy.int32, device }),
        jax.nn.oneHot(jax.numpy.array(b.targets, { dtype: jax.numpy.int32, device }), V),
      ]),
    loss: (jax, p, [tokens, y]) => {
      const np = jax.numpy;
      let i = 0;
      const next = () => p[i++]!;
      const ln = (x: JaxArray, w: JaxArray, b: JaxArray): JaxArray => jax.nn.standardize(x, -1, { epsilon: GPT_LN_EPS }).mul(w).add(b);
      const causal = np.tri(S, S, 0, { dtype: np.bool });
      let x = np.take(next(), tokens!, 0).add(next()).reshape([B * S, d]);
      for (let l = 0; l < L; l++) {
        const qkv = np.matmul(ln(x.ref, next(), next()), next()).add(next());
        const [q, k, v] = np.split(qkv, 3, -1).map((t) => t.reshape([B, S, H, hd]).transpose([0, 2, 1, 3]));
        const scores = np.where(causal.ref, np.matmul(q!, k!.transpose([0, 1, 3, 2])).mul(1 / Math.sqrt(hd)), -Infinity);
        const a = np.matmul(jax.nn.softmax(scores, -1), v!).transpose([0, 2, 1, 3]).reshape([B * S, d]);
        x = x.add(np.matmul(a, next()).add(next()));
        const h = jax.nn.gelu(np.matmul(ln(x.ref, next(), next()), next()).add(next()), { approximate: true });
        x = x.add(np.matmul(h, next()).add(next()));
      }
      causal.dispose();
      const logits = np.matmul(ln(x, next(), next()), next());
      return jax.nn.logSoftmax(logits, -1).mul(y!).sum().mul(-1 / (B * S));
    },
  });
}

/** Why the torch row has no number (this suite has no torch contender): whether python3 can import torch here. */
export function torchNote(): string {
  const r = spawnSync('python3', ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) return `not measured: python3 could not be run (${reason(r.error)})`;
  if (r.status === 0) return `not measured: torch ${r.stdout.trim()} is importable here, but this suite has no torch contender yet`;
  const last = (r.stderr ?? '').trim().split('\n').pop() ?? 'unknown error';
  return `not measured: torch is unavailable on this machine (python3 -c 'import torch': ${last})`;
}

/**
 * Run the gpt suite: one table on `io.out` (tokens/s as the median of interleaved rounds, the
 * per-round spread, losses of steps 1-3 and the last, speed relative to our compiled step),
 * progress on `io.progress`; disposes everything at the end.
 */
export async function runGpt(opts: GptOptions, io: BenchIO): Promise<GptReport> {
  const T = await import('@unihetero/tensor');
  const peers = (opts.peers ?? GPT_DEFAULT_PEERS).filter((p) => GPT_ALL_PEERS.includes(p));
  // Our GEMM splits large products across worker threads; the peers run on one thread, so a
  // one-thread compiled step runs beside them whenever ours would use more.
  const oneThread = T.cpuThreads().threads > 1 ? ['ours-cpu-compiled-1thread'] : [];
  const ids = ['ours-cpu', 'ours-cpu-compiled', ...oneThread, ...GPT_ALL_PEERS.filter((p) => peers.includes(p))];
  const setup = makeGptSetup(opts.seed ?? 0, opts.lr ?? 1e-3, opts.dims);
  const { dims } = setup;
  const tokensPerStep = dims.batch * dims.seq;
  const notes = new Footnotes();
  const rounds = opts.rounds ?? 3;
  const cpu: { backend: Backend | null } = { backend: null };
  const cpuBackend = async () => (cpu.backend ??= new T.CpuBackend());
  const threadSetting = T.cpuThreads().setting;
  let entries: RoundsEntry[] = [];
  try {
    const loaders = ids.map((id) => ({
      id,
      load: async (): Promise<Contender> => {
        switch (id) {
          case 'ours-cpu':
          case 'ours-cpu-compiled':
            return oursTrainer(id, await cpuBackend(), setup, id.endsWith('compiled'), (msg) => io.progress(msg));
          case 'ours-cpu-compiled-1thread':
            return oursTrainer(id, await cpuBackend(), setup, true, (msg) => io.progress(msg), 1);
          case 'jax-js-wasm-jit':
            return jaxTrainer(id, true, setup);
          case 'jax-js-wasm':
            return jaxTrainer(id, false, setup);
          default:
            throw new Error(`unknown gpt contender '${id}'`);
        }
      },
    }));
    entries = await runRounds('gpt', loaders, { warmup: opts.warmup, steps: opts.steps, rounds, batches: setup.batches.length }, io);
  } finally {
    T.setCpuThreads(threadSetting);
    await disposeJax();
    cpu.backend?.destroy();
  }

  // PyTorch + OpenBLAS, the third column, is not run by this suite: its row says why.
  entries.push({ id: 'torch-openblas', variant: null, rates: [], stepsPerSec: null, msPerStep: null, cpuMs: [], cpuMsPerStep: null, losses: [], dispatchesPerStep: null, status: null, error: torchNote() });
  const tt = trainingTable(entries, {
    rateName: 'tokens/s',
    perStep: tokensPerStep,
    rateDigits: [0, 0],
    totalSteps: opts.warmup + rounds * opts.steps,
    lossTolerance: GPT_LOSS_TOLERANCE,
    cpuColumn: true,
    notes,
  });
  const compiled = entries.find((e) => e.id === 'ours-cpu-compiled' && e.error === null);
  const jit = entries.find((e) => e.id === 'jax-js-wasm-jit' && e.error === null);
  const compiledOverJaxJit = ratioOfRounds(compiled, jit);
  const footnotes = printTrainingReport(
    io,
    `tiny GPT training, d ${dims.d}, ${dims.heads} heads, ${dims.layers} layers, seq ${dims.seq}, batch ${dims.batch}, vocab ${dims.vocab}, ` +
      `pre-LN (LayerNorm), learned positions, GELU-tanh MLP 4x, untied head, softmax cross-entropy, Adam(lr ${setup.hyper.lr}): ` +
      `tokens/s = ${tokensPerStep} tokens/step x steps/s, median of ${rounds} interleaved rounds of ${opts.steps} steps after ${opts.warmup} warmup ` +
      `(each step reads its loss back); cpu ms/step = process CPU time per step (median of rounds); ratios = median of per-round ratios; machine: ${machineLine()}`,
    tt,
    notes,
  );
  const { table, firstLossMaxRelDiff } = tt;
  const report: GptReport = {
    suite: 'gpt',
    date: new Date().toISOString(),
    machine: machineInfo(),
    options: opts,
    dims,
    tokensPerStep,
    entries,
    firstLossMaxRelDiff,
    compiledOverJaxJit,
    table,
    footnotes,
  };
  if (opts.json) {
    writeFileSync(opts.json, `${JSON.stringify(report, null, 2)}\n`);
    io.progress(`wrote ${opts.json}`);
  }
  return report;
}
