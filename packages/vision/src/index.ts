/**
 * @unihetero/vision: frozen semantic encoders (a ViT with DINOv2's architecture and Hugging Face
 * weight names, plus the embedded shapes-world default) and invertible pixel encoders (patchify
 * with stored latent normalisation) over aligned token grids. See docs/method.md sections 3, 7 and 14.
 */
export { checkTokenGridsAlign, type AlignmentInput, type PixelEncoder, type SemanticEncoder } from './encoders.js';
export { patchGrid, patchify, unpatchify, type PatchLayout, type TokenGrid } from './patchify.js';
export { LatentNormalization, checkLatentStats, measureLatentStats, type LatentStats, type MeasureOptions } from './normalization.js';
export { PIXEL_ENCODER_METADATA_KEY, PatchifyEncoder, type PatchifyConfig, type PatchifyEncoderOptions } from './pixel.js';
export { BICUBIC_A, BICUBIC_AA_A, cubicKernel, resize2d, resizeMatrix, type InterpolationMode, type ResizeOptions } from './interp.js';
export {
  DINOV2_PREPROCESSING,
  IMAGENET_MEAN,
  IMAGENET_NORMALIZATION,
  IMAGENET_STD,
  NO_PREPROCESSING,
  preprocessImages,
  preprocessedSize,
  type Preprocessing,
  type ResizeTarget,
} from './preprocess.js';
export {
  DINOV2_SMALL,
  SHAPES_VIT_TINY,
  mlpHiddenSize,
  storedGridSide,
  vitConfig,
  vitConfigFromHF,
  vitConfigToHF,
  type ViTActivation,
  type ViTConfig,
} from './vit/config.js';
export {
  Dinov2Attention,
  Dinov2Embeddings,
  Dinov2Encoder,
  Dinov2Layer,
  Dinov2LayerScale,
  Dinov2MLP,
  Dinov2Model,
  Dinov2PatchEmbeddings,
  Dinov2SelfAttention,
  Dinov2SelfOutput,
  Dinov2SwiGLUFFN,
  PatchConv2d,
  interpolatePositionEmbeddings,
  vitGrid,
  type ViTOptions,
} from './vit/model.js';
export { VIT_CONFIG_METADATA_KEY, dinov2ToSafetensors, loadDinov2, randomDinov2, saveDinov2, type LoadDinov2Options } from './vit/load.js';
export { ViTSemanticEncoder } from './semantic.js';
export { FeatureCache } from './cache.js';
export { fitRidgeProbe, type LinearProbe, type RidgeOptions } from './probe.js';
export { poolCells, tokenCells, type CellLayout } from './cells.js';
export { DEFAULT_ENCODER_FILE, defaultEncoderPath, loadDefaultSemanticEncoder } from './default.js';
