/**
 * Per-image caching of frozen features (docs/method.md 3.6, 9.4: semantic features are computed under
 * no-grad and can be cached per image). Features live on the host, keyed by a caller-chosen image
 * id; only images not seen before are encoded.
 */
import { Tensor, fmtShape, tensor, tidy, type Backend } from '@unihetero/tensor';
import type { SemanticEncoder } from './encoders.js';

/** A host-side cache of `[N, d]` features per image key in front of a semantic encoder. */
export class FeatureCache {
  private readonly store = new Map<string, Float32Array>();
  private shape: [number, number] | null = null;

  /** A cache for one encoder (features of different encoders must not share a cache). */
  constructor(readonly encoder: SemanticEncoder) {}

  /** Number of cached images. */
  get size(): number {
    return this.store.size;
  }

  /** Whether `key` is cached. */
  has(key: string): boolean {
    return this.store.has(key);
  }

  /** Forget everything. */
  clear(): void {
    this.store.clear();
    this.shape = null;
  }

  /**
   * Features `[B, N, d]` for `images [B, 3, H, W]` whose ids are `keys` (one per image): cached
   * rows are reused, the others are encoded in one batch and stored. The result lives on `backend`
   * (default: the images' backend).
   */
  async encode(images: Tensor, keys: readonly string[], backend: Backend = images.backend): Promise<Tensor> {
    if (images.rank !== 4) throw new Error(`FeatureCache.encode: expected images [B, 3, H, W], got ${fmtShape(images.shape)}`);
    const b = images.shape[0]!;
    if (keys.length !== b) throw new Error(`FeatureCache.encode: ${keys.length} keys for ${b} images`);
    const missing: number[] = [];
    const firstOf = new Map<string, number>();
    keys.forEach((k, i) => {
      if (!this.store.has(k) && !firstOf.has(k)) {
        firstOf.set(k, i);
        missing.push(i);
      }
    });
    if (missing.length > 0) {
      const feats = tidy(() => {
        const idx = tensor(missing, { dtype: 'int32', backend: images.backend });
        return this.encoder.encode(missing.length === b ? images : images.indexSelect(0, idx));
      });
      try {
        const [, n, d] = feats.shape as [number, number, number];
        if (this.shape && (this.shape[0] !== n || this.shape[1] !== d)) {
          throw new Error(`FeatureCache.encode: encoder gave [${n}, ${d}] features per image, the cache holds [${this.shape.join(', ')}] (different image sizes need different caches)`);
        }
        this.shape = [n, d];
        const host = (await feats.data()) as Float32Array;
        missing.forEach((i, j) => this.store.set(keys[i]!, host.slice(j * n * d, (j + 1) * n * d)));
      } finally {
        feats.dispose();
      }
    }
    const [n, d] = this.shape!;
    const out = new Float32Array(b * n * d);
    keys.forEach((k, i) => out.set(this.store.get(k)!, i * n * d));
    return tensor(out, { shape: [b, n, d], backend });
  }
}
