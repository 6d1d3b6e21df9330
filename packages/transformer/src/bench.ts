/**
 * The benchmark's stated configuration (width 256, 4 layers, sequence 128, batch 8) and one
 * forward + backward + AdamW training step on it, for `apps/bench` to time.
 */
import { Generator, randint, tidy, type Backend, type Tensor } from '@unihetero/tensor';
import { AdamW, paramGroupsNoDecay } from '@unihetero/nn';
import { defineConfig, type TransformerConfig } from './config.js';
import { TransformerLM } from './model.js';

/** The benchmark model: d=256, 4 layers, 4 heads of 64, SwiGLU 704, vocabulary 1024, qk-norm on. */
export function benchConfig(): TransformerConfig {
  return defineConfig({ vocabSize: 1024, hiddenSize: 256, numHiddenLayers: 4, numAttentionHeads: 4, maxPositionEmbeddings: 128 });
}

/** A ready benchmark: model, optimizer, one fixed random batch, and `step()` (returns the loss tensor). */
export interface TransformerBenchmark {
  /** The configuration. */
  config: TransformerConfig;
  /** Sequences per step (8). */
  batch: number;
  /** Tokens per sequence (128). */
  seqLength: number;
  /** `batch * seqLength`. */
  tokensPerStep: number;
  /** The model. */
  model: TransformerLM;
  /** One forward + backward + AdamW step; returns the loss (the caller disposes it; await `.item()` to sync). */
  step(): Tensor;
  /** Free the model, optimizer and data. */
  dispose(): void;
}

/** Build the benchmark on `backend` (default backend when omitted), seeded. */
export function createBenchmark(options: { backend?: Backend; seed?: number; batch?: number; seqLength?: number } = {}): TransformerBenchmark {
  const config = benchConfig();
  const batch = options.batch ?? 8;
  const seqLength = options.seqLength ?? 128;
  const gen = new Generator(options.seed ?? 0);
  const model = new TransformerLM(config, { generator: gen, backend: options.backend });
  const opt = new AdamW(paramGroupsNoDecay(model, { weightDecay: 0.1 }), { lr: 1e-4, betas: [0.9, 0.95] });
  const ids = randint(0, config.vocabSize, [batch, seqLength], { generator: gen, dtype: 'int32', backend: options.backend });
  return {
    config,
    batch,
    seqLength,
    tokensPerStep: batch * seqLength,
    model,
    step() {
      opt.zeroGrad();
      const loss = tidy(() => model.computeLoss({ inputIds: ids, labels: ids }).loss);
      loss.backward();
      opt.step();
      return loss;
    },
    dispose() {
      ids.dispose();
      opt.dispose();
      model.dispose();
    },
  };
}
