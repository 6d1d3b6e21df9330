/** Tiny shapes-world models for the tests (seconds on CPU). */
import type { Backend } from '@unihetero/tensor';
import { createShapesModel, type ShapesModel, type ShapesModelSpec } from '../src/index.js';

/** A backbone and heads small enough for fast tests. */
export const TINY = {
  backbone: { hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 64 },
  flow: { width: 32, depth: 1, batchMul: 2, sampleSteps: 6 },
} as const;

/** A tiny model of `preset` (config overrides merged over TINY). */
export async function tinyModel(preset = 'exp3', spec: ShapesModelSpec = {}, backend?: Backend): Promise<ShapesModel> {
  const cfg = spec.config ?? {};
  return createShapesModel(
    {
      ...spec,
      preset,
      config: { ...cfg, backbone: { ...TINY.backbone, ...(cfg.backbone ?? {}) }, flow: { ...TINY.flow, ...(cfg.flow ?? {}) } } as ShapesModelSpec['config'],
    },
    backend,
  );
}
