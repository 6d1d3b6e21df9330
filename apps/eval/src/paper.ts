/** The paper's Table 1 (docs/method.md 12.1: the ablation at 240M samples, understanding after finetuning) and Table 2 (12.3: the invert-projector variants). */

/** One row of the paper's Table 1, as printed there. */
export interface PaperRow {
  id: string;
  method: string;
  /** The diffuloss column as printed. */
  diffuloss: string;
  /** The ploss column as printed. */
  ploss: string;
  mmbench: number;
  /** The MMBench slope `a` as printed (the paper does not state the unit of `n`). */
  mmbenchSlope: string;
  seedbench: number;
  seedbenchSlope: string;
}

/** docs/method.md 12.1, verbatim. */
export const PAPER_TABLE1: readonly PaperRow[] = [
  { id: 'exp1', method: 'baseline', diffuloss: '0', ploss: '0', mmbench: 0.6357, mmbenchSlope: '-4e-4', seedbench: 0.6668, seedbenchSlope: '8e-4' },
  { id: 'exp2', method: '+ploss', diffuloss: '0 (gradient stopped)', ploss: '1', mmbench: 0.646, mmbenchSlope: '66e-4', seedbench: 0.6696, seedbenchSlope: '26e-4' },
  { id: 'exp3', method: '+diffuloss', diffuloss: '1', ploss: '1', mmbench: 0.6168, mmbenchSlope: '62e-4', seedbench: 0.6456, seedbenchSlope: '7e-4' },
  { id: 'exp4', method: '+warmup', diffuloss: '1', ploss: '1', mmbench: 0.6271, mmbenchSlope: '30e-4', seedbench: 0.6585, seedbenchSlope: '7e-4' },
];

/** The paper's row for a preset id, if the paper has one. */
export function paperRow(id: string): PaperRow | undefined {
  return PAPER_TABLE1.find((r) => r.id === id);
}

/** One row of the paper's Table 2 (module selection, small-scale runs; docs/method.md 12.3). */
export interface PaperVariantRow {
  variant: string;
  loss: string;
  invertProjector: string;
  target: string;
  /** MMBench and SeedBench as printed (null: the paper gives none). */
  mmbench: number | null;
  seedbench: number | null;
}

/** docs/method.md 12.3, the four variants we build (the paper's diffu-mse row has no counterpart here). */
export const PAPER_TABLE2: readonly PaperVariantRow[] = [
  { variant: 'mlp-cos', loss: 'cosine', invertProjector: '1x MLP', target: 'vision encoder output', mmbench: 0.5833, seedbench: 0.6189 },
  { variant: 'norm-3-mlp-cos', loss: 'cosine', invertProjector: '3x MLP + norm (MetaMorph)', target: 'vision encoder output', mmbench: 0.5773, seedbench: 0.6502 },
  { variant: 'ema-mlp-llm-cos', loss: 'cosine', invertProjector: '1x MLP + momentum', target: 'LLM input embedding', mmbench: 0.6168, seedbench: 0.6456 },
  { variant: 'mlp-mse', loss: 'MSE', invertProjector: '1x MLP', target: 'vision encoder output', mmbench: null, seedbench: null },
];

/** The paper's Table 2 row of a variant, if the paper has one. */
export function paperVariantRow(variant: string): PaperVariantRow | undefined {
  return PAPER_TABLE2.find((r) => r.variant === variant);
}
