/** Fixed runs for the report and summary tests (numbers chosen by hand, not measured). */
import type { ModelMetrics } from '../src/metrics.js';
import type { AblationResults } from '../src/results.js';
import { compareExp2Exp1, summarizeRuns, type PresetRun, type ScalePoint } from '../src/summary.js';

/** A checkpoint with the given accuracies (count questions per split). */
export function point(samples: number, test: number, heldout: number, gen: number | null, count = 100): ScalePoint {
  const se = (p: number) => Math.sqrt((p * (1 - p)) / count);
  const metrics: ModelMetrics = {
    test: { accuracy: test, count, standardError: se(test), byKind: {} },
    heldout: { accuracy: heldout, count, standardError: se(heldout), byKind: {} },
    captions: { count: 10, exact: 0.1, objectRecall: 0.2, examples: [] },
    generation: gen === null ? null : { count: 10, objectAccuracy: gen, position: 0.5, colour: 0.4, shape: 0.3, size: 0.6, exact: 0, extraPerImage: 0.1 },
    roundTrip: gen === null ? null : { count: 10, objectRecall: gen / 2, exact: 0, unparsable: 0.5, examples: [] },
    seconds: 2,
  };
  return { samples, step: samples / 10, trainSeconds: samples / 100, trainLoss: 3.25, checkpoint: `x/seed0-n${samples}.safetensors`, metrics };
}

/** A run of a preset with the built-in facts. */
export function run(preset: 'exp1' | 'exp2', points: ScalePoint[]): PresetRun {
  const gen = preset !== 'exp1';
  return {
    preset,
    description: preset === 'exp1' ? 'baseline' : '+ploss',
    alpha: gen ? 10 : 0,
    beta: gen ? 10 : 0,
    detachFlowCondition: gen,
    flowWidth: 64,
    flowDepth: 2,
    flowWarmupSteps: 0,
    trainsGeneration: gen,
    seed: 0,
    points,
    trainSeconds: 10,
    evalSeconds: 5,
  };
}

/** Two presets at 1000, 2000, 3000 samples. */
export function fixedResults(): AblationResults {
  const runs = [
    run('exp1', [point(1000, 0.3, 0.25, null), point(2000, 0.35, 0.3, null), point(3000, 0.4, 0.3, null)]),
    run('exp2', [point(1000, 0.3, 0.25, 0.1), point(2000, 0.4, 0.3, 0.2), point(3000, 0.5, 0.35, 0.3)]),
  ];
  const summaries = summarizeRuns(runs);
  return {
    version: 1,
    command: 'unihetero-eval ablation --presets exp1,exp2 --scales 1000,2000,3000',
    started: '2025-01-01T00:00:00.000Z',
    finished: '2025-01-01T00:01:00.000Z',
    wallSeconds: 60,
    settings: {
      presets: ['exp1', 'exp2'],
      scales: [1000, 2000, 3000],
      seeds: [0],
      batchSize: 10,
      lr: 0.002,
      stepsPerScale: [100, 200, 300],
      model: { hiddenSize: 64, layers: 2, heads: 2, flowWidth: 64, flowDepth: 2 },
      flowWarmupSteps: null,
      eval: { count: 100, captionCount: 10, generationCount: 10, roundTripCount: 10, batchSize: 16, generationSteps: 4, flowSteps: 8, seed: 0 },
      quick: false,
    },
    machine: { cpuModel: 'Test CPU', cpuCount: 2, memoryGiB: 8, os: 'linux test x64', node: 'v20.0.0', backend: 'cpu' },
    runs,
    summaries,
    comparison: compareExp2Exp1(summaries),
    plots: ['understanding.svg', 'generation.svg'],
  };
}
