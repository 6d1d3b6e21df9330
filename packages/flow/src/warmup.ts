/**
 * Warm-up of the flow head alone on (condition, latent) pairs before joint training (the
 * paper's exp4 "+warmup", docs/method.md sections 9.3 and 13).
 */
import { Generator, Tensor, fmtShape, getDefaultGenerator, tensor, tidy } from '@unihetero/tensor';
import { AdamW, clipGradNorm, paramGroupsNoDecay, type LRSchedule, type Optimizer } from '@unihetero/nn';
import type { FlowHead } from './head.js';
import { flowMatchingLoss, type TimeDistributionSpec } from './loss.js';

/** A fixed set of training pairs: `conditions [N, d]` and `latents [N, C]` (row `i` belongs together). */
export interface WarmupPairs {
  /** Conditions (LLM hidden states, or any stand-in), `[N, d]`. */
  conditions: Tensor;
  /** Target latents, `[N, C]`. */
  latents: Tensor;
}

/** One batch from a streaming source; tensors the source creates are disposed after the step when `dispose` is true. */
export interface WarmupBatch {
  /** `[..., d]`. */
  condition: Tensor;
  /** `[..., C]`. */
  latent: Tensor;
  /** Optional per-token weights `[...]`. */
  mask?: Tensor;
  /** Dispose the batch's tensors after the step (default false). */
  dispose?: boolean;
}

/** Progress reported every `progressEvery` steps and at the last step. */
export interface WarmupProgress {
  /** Steps done (1-based). */
  step: number;
  /** Total steps. */
  steps: number;
  /** Loss of this step (read back from the device). */
  loss: number;
  /** Learning rate used for this step. */
  lr: number;
}

/** Options of `warmupFlowHead`. */
export interface WarmupOptions {
  /** Number of optimizer steps. */
  steps: number;
  /** Pairs per step when `data` is `WarmupPairs` (default min(256, N)); drawn without replacement, reshuffled each epoch. */
  batchSize?: number;
  /** Learning rate (default 1e-4, MAR's base lr; docs/method.md 1.5). Ignored when `optimizer` is given. */
  lr?: number;
  /** Optional schedule `step -> lr` (0-based step), applied to every group before each step. */
  schedule?: LRSchedule;
  /** AdamW weight decay on matrices (default 0.02, MAR; biases and norms get none). Ignored with `optimizer`. */
  weightDecay?: number;
  /** AdamW betas (default [0.9, 0.95], MAR). Ignored with `optimizer`. */
  betas?: [number, number];
  /** Global gradient-norm clip (default 3.0, MAR; 0 disables). */
  gradClip?: number;
  /** Use this optimizer instead of creating an AdamW over the head (it is not disposed). */
  optimizer?: Optimizer;
  /** Repeats per token in the loss (default 4). */
  batchMul?: number;
  /** Training-time distribution (default logit-normal(0, 1)). */
  time?: TimeDistributionSpec;
  /** Stream of batch order, noise and times (default: the global generator). */
  generator?: Generator;
  /** Read the loss back and report it every this many steps (default 10); the last step always reports. */
  progressEvery?: number;
  /** Called with each progress report (may be async: it is awaited). */
  onProgress?: (p: WarmupProgress) => void | Promise<void>;
}

/** What `warmupFlowHead` returns. */
export interface WarmupResult {
  /** Every progress report, in order. */
  history: WarmupProgress[];
  /** Loss of the last step. */
  finalLoss: number;
}

/**
 * Train `head` alone with the flow-matching loss for `options.steps` steps, on fixed pairs (random
 * mini-batches without replacement, reshuffled every epoch) or on a batch source
 * `(step) => WarmupBatch`. The loss is read back only at progress steps, so a device backend runs
 * without stalls in between. Per step, random numbers are drawn in this order: batch indices (at
 * epoch starts, a permutation), then the loss's noise and times.
 */
export async function warmupFlowHead(head: FlowHead, data: WarmupPairs | ((step: number) => WarmupBatch), options: WarmupOptions): Promise<WarmupResult> {
  const op = 'warmupFlowHead';
  const steps = options.steps;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`${op}: steps must be a positive integer, got ${steps}`);
  const every = options.progressEvery ?? 10;
  if (!Number.isInteger(every) || every < 1) throw new Error(`${op}: progressEvery must be a positive integer, got ${every}`);
  const clip = options.gradClip ?? 3;
  if (!(clip >= 0)) throw new Error(`${op}: gradClip must be >= 0, got ${clip}`);
  const gen = options.generator ?? getDefaultGenerator();
  const source = typeof data === 'function' ? data : pairSampler(op, head, data, options.batchSize, gen);
  const own = !options.optimizer;
  const opt: Optimizer =
    options.optimizer ??
    new AdamW(paramGroupsNoDecay(head, { weightDecay: options.weightDecay ?? 0.02 }), { lr: options.lr ?? 1e-4, betas: options.betas ?? [0.9, 0.95] });
  const history: WarmupProgress[] = [];
  let finalLoss = NaN;
  try {
    for (let s = 0; s < steps; s++) {
      if (options.schedule) opt.setLr(options.schedule(s));
      const batch = source(s);
      opt.zeroGrad();
      const loss = tidy(() =>
        flowMatchingLoss(head, batch.latent, batch.condition, { batchMul: options.batchMul, time: options.time, mask: batch.mask, generator: gen }),
      );
      loss.backward();
      if (clip > 0) clipGradNorm(head, clip).dispose();
      opt.step();
      if (batch.dispose) for (const t of [batch.condition, batch.latent, batch.mask]) t?.dispose();
      if ((s + 1) % every === 0 || s + 1 === steps) {
        const value = await loss.item();
        if (!Number.isFinite(value)) {
          loss.dispose();
          throw new Error(`${op}: loss became ${value} at step ${s + 1}`);
        }
        const p: WarmupProgress = { step: s + 1, steps, loss: value, lr: opt.paramGroups[0]!.lr };
        history.push(p);
        finalLoss = value;
        if (options.onProgress) await options.onProgress(p);
      }
      loss.dispose();
    }
  } finally {
    opt.zeroGrad();
    if (own) opt.dispose();
  }
  return { history, finalLoss };
}

/** Mini-batches of fixed pairs without replacement, reshuffled at each epoch. */
function pairSampler(op: string, head: FlowHead, pairs: WarmupPairs, batchSize: number | undefined, gen: Generator): (step: number) => WarmupBatch {
  const { conditions, latents } = pairs ?? ({} as WarmupPairs);
  if (!(conditions instanceof Tensor) || !(latents instanceof Tensor)) throw new Error(`${op}: data must be { conditions, latents } tensors or a batch function`);
  const cfg = head.config;
  if (conditions.rank !== 2 || conditions.shape[1] !== cfg.conditionDim) throw new Error(`${op}: conditions ${fmtShape(conditions.shape)} must be [N, ${cfg.conditionDim}] (config.conditionDim)`);
  if (latents.rank !== 2 || latents.shape[1] !== cfg.tokenDim) throw new Error(`${op}: latents ${fmtShape(latents.shape)} must be [N, ${cfg.tokenDim}] (config.tokenDim)`);
  const N = conditions.shape[0]!;
  if (latents.shape[0] !== N) throw new Error(`${op}: ${N} conditions but ${latents.shape[0]} latents`);
  if (N === 0) throw new Error(`${op}: no training pairs`);
  const bs = batchSize ?? Math.min(256, N);
  if (!Number.isInteger(bs) || bs < 1 || bs > N) throw new Error(`${op}: batchSize must be an integer in [1, ${N}], got ${bs}`);
  let order: Int32Array = new Int32Array(0);
  let pos = N;
  return () => {
    const idx = new Int32Array(bs);
    for (let i = 0; i < bs; i++) {
      if (pos >= N) {
        order = gen.permutation(N);
        pos = 0;
      }
      idx[i] = order[pos++]!;
    }
    const index = tensor(idx, { dtype: 'int32', backend: conditions.backend });
    const batch = { condition: conditions.indexSelect(0, index), latent: latents.indexSelect(0, index), dispose: true };
    index.dispose();
    return batch;
  };
}
