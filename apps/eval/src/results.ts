/** The shape of `<out>/results.json`: every number of an ablation, and how it was produced. */
import type { ModelConfigInput } from '@unihetero/model';
import type { EvalSettings } from './metrics.js';
import type { MachineInfo } from './machine.js';
import type { DesignName, RunPlan, TrainerExtras } from './recipe.js';
import type { Comparison, PresetRun, PresetSummary } from './summary.js';

/** The settings every run shares (the same recipe, seeds and budgets for all). */
export interface AblationSettings {
  /** Data designs, primary first. */
  designs: DesignName[];
  presets: string[];
  /** Table 2 invert-projector variants (trained as exp2 under the equal-understanding design). */
  variants: string[];
  /** Checkpoint scales in training samples, ascending; each run trains to the largest. */
  scales: number[];
  seeds: number[];
  batchSize: number;
  lr: number;
  trainer: TrainerExtras;
  /** Steps per scale (`scale / batchSize`). */
  stepsPerScale: number[];
  /** The base model config every preset and variant was applied over (the recipe, size options included). */
  config: Partial<ModelConfigInput>;
  /** Override of the presets' flow warm-up steps (null: each preset's own). */
  flowWarmupSteps: number | null;
  eval: EvalSettings;
  quick: boolean;
  /** The runs per seed, with their folders, configs and the tables that use them. */
  plan: RunPlan[];
}

/** Everything `ablation` writes to results.json. */
export interface AblationResults {
  version: 2;
  /** The command line as typed (re-run it to reproduce). */
  command: string;
  started: string;
  finished: string;
  /** Wall seconds of this invocation (resumed work done earlier is in the runs' own times). */
  wallSeconds: number;
  settings: AblationSettings;
  machine: MachineInfo;
  runs: PresetRun[];
  /** One per run folder, over its seeds. */
  summaries: PresetSummary[];
  /** exp2 against exp1, per design where both ran. */
  comparisons: Comparison[];
  /** Plot files written (relative to the output folder). */
  plots: string[];
}
