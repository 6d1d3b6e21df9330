/**
 * The semantic encoder UniHetero feeds the LLM (docs/method.md 3.6): a frozen DINOv2-layout ViT behind a
 * selectable preprocessing, giving the patch tokens after the final LayerNorm (CLS and registers
 * dropped) under no-grad.
 */
import { Tensor, fmtShape, noGrad, tidy } from '@unihetero/tensor';
import type { SemanticEncoder } from './encoders.js';
import type { TokenGrid } from './patchify.js';
import { NO_PREPROCESSING, preprocessImages, preprocessedSize, type Preprocessing } from './preprocess.js';
import { loadDinov2, type LoadDinov2Options } from './vit/load.js';
import type { Dinov2Model } from './vit/model.js';

/** A frozen ViT semantic encoder: `images [B, 3, H, W]` in `[-1, 1]` -> `[B, N, d_v]`. */
export class ViTSemanticEncoder implements SemanticEncoder {
  /** Feature width `d_v`. */
  readonly featureDim: number;

  /** Wrap (and freeze: eval mode, no parameter gradients) a model with a preprocessing. */
  constructor(
    readonly model: Dinov2Model,
    readonly preprocessing: Preprocessing = NO_PREPROCESSING,
  ) {
    model.eval();
    model.requiresGrad_(false);
    this.featureDim = model.config.hiddenSize;
  }

  /** Load HF-layout weights (see `loadDinov2`) behind a preprocessing (e.g. `DINOV2_PREPROCESSING`). */
  static async load(source: string | Uint8Array, options: LoadDinov2Options & { preprocessing?: Preprocessing } = {}): Promise<ViTSemanticEncoder> {
    return new ViTSemanticEncoder(await loadDinov2(source, options), options.preprocessing ?? NO_PREPROCESSING);
  }

  /** The token grid for an input image of `height × width` (after preprocessing). */
  grid(height: number, width: number): TokenGrid {
    const [h, w] = preprocessedSize(height, width, this.preprocessing);
    return this.model.grid(h, w);
  }

  /** Patch features `[B, N, d_v]`, row-major over `grid(H, W)`; records no gradient. */
  encode(images: Tensor): Tensor {
    if (images.rank !== 4) throw new Error(`ViTSemanticEncoder.encode: expected images [B, 3, H, W], got ${fmtShape(images.shape)}`);
    return noGrad(() => tidy(() => this.model.patchTokens(preprocessImages(images, this.preprocessing))));
  }

  /** Free the model's parameters. */
  dispose(): void {
    this.model.dispose();
  }
}
