/** The shape of `<out>/results.json`: every number of an ablation, and how it was produced. */
import type { EvalSettings } from './metrics.js';
import type { MachineInfo } from './machine.js';
import type { Comparison, PresetRun, PresetSummary } from './summary.js';

/** The model size the ablation trains (null fields: the model package's defaults). */
export interface AblationModelSize {
  hiddenSize: number;
  layers: number;
  heads: number;
  /** Flow head width of presets that do not enlarge it; a preset with its own width keeps its ratio to 'small' (128). */
  flowWidth: number;
  flowDepth: number;
}

/** The settings every preset shares (the same seeds and budgets for all). */
export interface AblationSettings {
  presets: string[];
  /** Checkpoint scales in training samples, ascending; the run trains to the largest. */
  scales: number[];
  seeds: number[];
  batchSize: number;
  lr: number;
  /** Steps per scale (`scale / batchSize`). */
  stepsPerScale: number[];
  model: AblationModelSize | null;
  /** Override of the presets' flow warm-up steps (null: each preset's own). */
  flowWarmupSteps: number | null;
  eval: EvalSettings;
  quick: boolean;
}

/** Everything `ablation` writes to results.json. */
export interface AblationResults {
  version: 1;
  /** The command line as typed (re-run it to reproduce). */
  command: string;
  started: string;
  finished: string;
  /** Wall seconds of this invocation (resumed work done earlier is in the runs' own times). */
  wallSeconds: number;
  settings: AblationSettings;
  machine: MachineInfo;
  runs: PresetRun[];
  summaries: PresetSummary[];
  comparison: Comparison | null;
  /** Plot files written (relative to the output folder). */
  plots: string[];
}
