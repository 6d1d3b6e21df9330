/** Messages between the Train tab and its worker. */
import type { RgbImage } from '@unihetero/data';
import type { ShapesModelSpec, StepMetrics } from '@unihetero/model';
import type { BackendChoice } from './backend.js';

/** The model sizes the tab offers (backbone and flow head). */
export const TRAIN_SIZES: Record<'tiny' | 'small', NonNullable<ShapesModelSpec['config']>> = {
  tiny: { backbone: { hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 2 }, flow: { width: 32, depth: 1 } },
  small: { backbone: { hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 4 }, flow: { width: 64, depth: 2 } },
};

/** What starts a run. */
export interface TrainRequest {
  spec: ShapesModelSpec;
  steps: number;
  batchSize: number;
  lr: number;
  sampleEvery: number;
  backend: BackendChoice;
  /** The shipped encoder's bytes (copied from the page, not fetched again). */
  encoder: Uint8Array;
}

/** Page -> worker. */
export type ToWorker = { type: 'start'; request: TrainRequest } | { type: 'pause' } | { type: 'resume' } | { type: 'checkpoint' };

/** Worker -> page. */
export type FromWorker =
  | { type: 'ready'; backend: string; reason: string; parameters: number }
  | { type: 'step'; metrics: StepMetrics; totalSteps: number }
  | { type: 'sample'; step: number; image: RgbImage; prompt: string; caption: string; captionOf: string }
  | { type: 'paused' }
  | { type: 'resumed' }
  | { type: 'done'; step: number }
  | { type: 'checkpoint'; bytes: Uint8Array; step: number }
  | { type: 'error'; message: string };
