/** Fixed runs for the report and summary tests (numbers chosen by hand, not measured). */
import type { ModelMetrics } from '../src/metrics.js';
import { planRuns, type DesignName } from '../src/recipe.js';
import type { AblationResults } from '../src/results.js';
import { compareExp2Exp1, summarizeRuns, type PresetRun, type ScalePoint } from '../src/summary.js';
import { designRows } from '../src/report.js';

/** A checkpoint with the given accuracies (count questions per split). */
export function point(samples: number, test: number, heldout: number, gen: number | null, count = 100): ScalePoint {
  const se = (p: number) => Math.sqrt((p * (1 - p)) / count);
  const metrics: ModelMetrics = {
    test: { accuracy: test, count, standardError: se(test), byKind: {} },
    heldout: { accuracy: heldout, count, standardError: se(heldout), byKind: {} },
    captions: { count: 10, exact: 0.1, objectRecall: 0.2, examples: [] },
    generation: gen === null ? null : { count: 10, objectAccuracy: gen, position: 0.5, colour: 0.4, shape: 0.3, size: 0.6, exact: 0, extraPerImage: 0.1 },
    roundTrip: gen === null ? null : { count: 10, objectRecall: gen / 2, exact: 0, unparsable: 0.5, examples: [] },
    semantics: null,
    seconds: 2,
  };
  return { samples, step: samples / 10, trainSeconds: samples / 100, trainLoss: 3.25, checkpoint: `x/seed0-n${samples}.safetensors`, metrics };
}

/** A run with the built-in facts of exp1 or exp2 (the given folder, projector and pairing). */
export function run(id: string, preset: 'exp1' | 'exp2', seed: number, points: ScalePoint[], invertProjector = 'ema-mlp-llm-cos'): PresetRun {
  const gen = preset !== 'exp1';
  return {
    id,
    preset,
    description: preset === 'exp1' ? 'baseline' : '+ploss',
    alpha: gen ? 10 : 0,
    beta: gen ? 10 : 0,
    detachFlowCondition: gen,
    invertProjector,
    pairing: id.startsWith('equal-samples') ? 'split' : 'both',
    flowWidth: 64,
    flowDepth: 2,
    flowWarmupSteps: 0,
    trainsGeneration: gen,
    seed,
    points,
    trainSeconds: 10,
    evalSeconds: 5,
  };
}

/** Checkpoints at 1000, 2000, 3000 samples rising by `step` (test), 0.05 (held-out) and 0.1 (judge) per 1000 to the given finals. */
export function climb(test: number, heldout: number, gen: number | null, step = 0.05): ScalePoint[] {
  return [1000, 2000, 3000].map((n, i) => point(n, test - step * (2 - i), heldout - 0.05 * (2 - i), gen === null ? null : gen - 0.1 * (2 - i)));
}

/** Three seeds of a run with the given finals per seed. */
function seeds(id: string, preset: 'exp1' | 'exp2', finals: [number, number, number | null][], projector?: string, step?: number): PresetRun[] {
  return finals.map(([t, h, g], k) => run(id, preset, k, climb(t, h, g, step), projector));
}

/**
 * exp1 (shared by both designs), exp2 in each design and the mlp-cos variant, three seeds each.
 * Final test accuracies: exp1 0.40, 0.45, 0.50; exp2 equal understanding 0.50, 0.60, 0.55 (paired
 * differences 0.10, 0.15, 0.05; rising 0.075 per 1000 samples, the others 0.05); exp2 equal samples
 * 0.46, 0.51, 0.56 (differences 0.06 each).
 */
export function fixedResults(): AblationResults {
  const designs: DesignName[] = ['equal-understanding', 'equal-samples'];
  const runs = [
    ...seeds('shared/exp1', 'exp1', [[0.4, 0.3, null], [0.45, 0.35, null], [0.5, 0.4, null]]),
    ...seeds('equal-understanding/exp2', 'exp2', [[0.5, 0.35, 0.3], [0.6, 0.4, 0.4], [0.55, 0.45, 0.5]], undefined, 0.075),
    ...seeds('equal-samples/exp2', 'exp2', [[0.46, 0.3, 0.2], [0.51, 0.35, 0.3], [0.56, 0.4, 0.4]]),
    ...seeds('equal-understanding/exp2-mlp-cos', 'exp2', [[0.42, 0.3, 0.2], [0.47, 0.3, 0.2], [0.52, 0.3, 0.2]], 'mlp-cos'),
  ];
  const summaries = summarizeRuns(runs);
  const settings: AblationResults['settings'] = {
    designs,
    presets: ['exp1', 'exp2'],
    variants: ['mlp-cos', 'ema-mlp-llm-cos'],
    scales: [1000, 2000, 3000],
    seeds: [0, 1, 2],
    batchSize: 10,
    lr: 0.002,
    trainer: {},
    stepsPerScale: [100, 200, 300],
    config: { backbone: { hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 2 } },
    flowWarmupSteps: null,
    eval: { count: 100, captionCount: 10, generationCount: 10, roundTripCount: 10, batchSize: 16, generationSteps: 4, flowSteps: 8, seed: 0, semanticsCount: 0 },
    quick: false,
    plan: planRuns({ backbone: { hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 2 } }, designs, ['exp1', 'exp2'], ['mlp-cos', 'ema-mlp-llm-cos']),
  };
  const comparisons = designs.map((d) => {
    const rows = designRows(settings, summaries, d);
    return compareExp2Exp1(d, d === 'equal-understanding' ? 'Equal understanding data' : 'Equal samples', rows[1], rows[0])!;
  });
  return {
    version: 2,
    command: 'unihetero-eval ablation --presets exp1,exp2 --variants mlp-cos,ema-mlp-llm-cos --scales 1000,2000,3000',
    started: '2025-01-01T00:00:00.000Z',
    finished: '2025-01-01T00:01:00.000Z',
    wallSeconds: 60,
    settings,
    machine: { cpuModel: 'Test CPU', cpuCount: 2, memoryGiB: 8, os: 'linux test x64', node: 'v20.0.0', backend: 'cpu' },
    runs,
    summaries,
    comparisons,
    plots: ['equal-understanding-understanding.svg', 'variants-generation.svg'],
  };
}
