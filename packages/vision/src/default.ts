/**
 * The embedded default semantic encoder of the shapes world (docs/method.md 14): a tiny DINOv2-layout ViT
 * pretrained by `scripts/pretrain-encoder.ts` on the world's `encoder` split and shipped in
 * `weights/` inside this package, so it works offline at once. Node only (reads the file).
 */
import type { Backend } from '@unihetero/tensor';
import { NO_PREPROCESSING } from './preprocess.js';
import { ViTSemanticEncoder } from './semantic.js';
import { nodeBuiltin } from './node-builtin.js';

/** File name of the default encoder's weights inside the package's `weights/` folder. */
export const DEFAULT_ENCODER_FILE = 'shapes-vit-tiny.safetensors';

/**
 * Absolute path of the default weights: `weights/` sits one level above both `src/` and `dist/`,
 * so the same relative URL works from the sources and from the build (ESM and CJS via tsup shims).
 */
export async function defaultEncoderPath(): Promise<string> {
  const { fileURLToPath } = nodeBuiltin<typeof import('node:url')>('node:url', 'defaultEncoderPath');
  // `here` rather than an inline `import.meta.url`: bundlers would otherwise copy the weights into
  // browser builds, which cannot read them through this path anyway.
  const here = import.meta.url;
  return fileURLToPath(new URL(`../weights/${DEFAULT_ENCODER_FILE}`, here));
}

/**
 * Load the default frozen encoder: `images [B, 3, 32, 32]` in `[-1, 1]` -> `[B, 64, 64]` patch
 * features (8×8 grid), no preprocessing (it was trained on `[-1, 1]` images).
 */
export async function loadDefaultSemanticEncoder(options: { backend?: Backend; path?: string } = {}): Promise<ViTSemanticEncoder> {
  const path = options.path ?? (await defaultEncoderPath());
  const { existsSync } = nodeBuiltin<typeof import('node:fs')>('node:fs', 'loadDefaultSemanticEncoder');
  if (!existsSync(path)) throw new Error(`loadDefaultSemanticEncoder: weights not found at '${path}' (the package ships them in weights/; run scripts/pretrain-encoder.ts to recreate them)`);
  return ViTSemanticEncoder.load(path, { backend: options.backend, preprocessing: NO_PREPROCESSING });
}
