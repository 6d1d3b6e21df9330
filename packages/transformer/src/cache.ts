/**
 * The key/value cache for incremental decoding. Keys are stored AFTER qk-norm and RoPE, in
 * `[B, H_kv, capacity, d_h]` buffers per layer that grow by doubling, so appending a chunk copies
 * only the chunk. A chunk can also be run against the cache without being kept
 * (`appendToCache: false`), or kept and later dropped with `crop()`: MAR-style loops cache the
 * text prefix once and rerun the image span at every step.
 */
import { Tensor, concat, keep, noGrad, zeros, type Backend, type DType } from '@unihetero/tensor';

/** Sizes of a cache. */
export interface KVCacheOptions {
  /** Decoder layers. */
  numLayers: number;
  /** Batch size `B` (fixed for the cache's life). */
  batch: number;
  /** Key/value heads `H_kv`. */
  numKeyValueHeads: number;
  /** Head width `d_h`. */
  headDim: number;
  /** Initial capacity in positions (default 64; grows by doubling). */
  capacity?: number;
  /** Backend of the buffers. */
  backend: Backend;
  /** dtype of the buffers (default float32). */
  dtype?: DType;
}

/** A per-layer key/value cache (see the module comment). */
export class KVCache {
  /** Number of cached positions. */
  length = 0;
  /** Batch size. */
  readonly batch: number;
  /** Layers. */
  readonly numLayers: number;
  /** Key/value heads. */
  readonly numKeyValueHeads: number;
  /** Head width. */
  readonly headDim: number;
  /** Buffer backend. */
  readonly backend: Backend;
  /** Buffer dtype. */
  readonly dtype: DType;
  private cap: number;
  private keys: Tensor[] = [];
  private values: Tensor[] = [];
  private valid: Uint8Array[];
  private disposed = false;

  /** An empty cache. */
  constructor(options: KVCacheOptions) {
    for (const f of ['numLayers', 'batch', 'numKeyValueHeads', 'headDim'] as const) {
      const v = options[f];
      if (!Number.isInteger(v) || v <= 0) throw new Error(`KVCache: ${f} must be a positive integer, got ${v}`);
    }
    this.batch = options.batch;
    this.numLayers = options.numLayers;
    this.numKeyValueHeads = options.numKeyValueHeads;
    this.headDim = options.headDim;
    this.backend = options.backend;
    this.dtype = options.dtype ?? 'float32';
    this.cap = Math.max(1, options.capacity ?? 64);
    if (!Number.isInteger(this.cap)) throw new Error(`KVCache: capacity must be a positive integer, got ${options.capacity}`);
    this.valid = Array.from({ length: this.batch }, () => new Uint8Array(this.cap));
    this.allocate(this.cap, 0);
  }

  /** Positions the buffers hold before they grow. */
  get capacity(): number {
    return this.cap;
  }

  private allocate(cap: number, copy: number): void {
    const shape = [this.batch, this.numKeyValueHeads, cap, this.headDim];
    const make = (old: Tensor | undefined): Tensor => {
      const t = keep(zeros(shape, { backend: this.backend, dtype: this.dtype }));
      if (old && copy > 0) {
        noGrad(() => {
          const dst = t.narrow(2, 0, copy);
          const src = old.narrow(2, 0, copy);
          dst.assign(src);
          dst.dispose();
          src.dispose();
        });
      }
      old?.dispose();
      return t;
    };
    this.keys = Array.from({ length: this.numLayers }, (_, i) => make(this.keys[i]));
    this.values = Array.from({ length: this.numLayers }, (_, i) => make(this.values[i]));
    this.valid = this.valid.map((v) => {
      const n = new Uint8Array(cap);
      n.set(v.subarray(0, Math.min(v.length, cap)));
      return n;
    });
    this.cap = cap;
  }

  private assertAlive(op: string): void {
    if (this.disposed) throw new Error(`KVCache.${op}: the cache was disposed`);
  }

  /** Make room for `total` positions (grows by doubling; keeps the cached ones). */
  reserve(total: number): void {
    this.assertAlive('reserve');
    if (total <= this.cap) return;
    this.allocate(Math.max(total, 2 * this.cap), this.length);
  }

  /** Validity (1 = real token) of the cached keys, one row per sample. */
  pastKeyValid(): Uint8Array[] {
    return this.valid.map((v) => v.slice(0, this.length));
  }

  /**
   * Write layer `layer`'s new keys/values `[B, H_kv, L, d_h]` at positions `length ..
   * length+L-1` and return keys/values for positions `0 .. length+L-1` (the caller disposes
   * them). When `kNew`/`vNew` carry gradients the result is `concat(past, new)`, so gradients
   * reach the new chunk (never the past entries).
   */
  update(layer: number, kNew: Tensor, vNew: Tensor): { k: Tensor; v: Tensor } {
    this.assertAlive('update');
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.numLayers) throw new Error(`KVCache.update: layer ${layer} out of range [0, ${this.numLayers})`);
    const n = kNew.shape[2] ?? 0;
    for (const [name, t] of [['keys', kNew], ['values', vNew]] as const) {
      const want = [this.batch, this.numKeyValueHeads, n, this.headDim];
      if (t.rank !== 4 || t.shape.some((s, i) => s !== want[i])) {
        throw new Error(`KVCache.update: new ${name} ${JSON.stringify(t.shape)} must be [${this.batch}, ${this.numKeyValueHeads}, L, ${this.headDim}] (batch, kv heads, chunk, head dim)`);
      }
    }
    const total = this.length + n;
    if (total > this.cap) throw new Error(`KVCache.update: ${total} positions exceed the capacity ${this.cap} (call reserve first)`);
    const kb = this.keys[layer]!;
    const vb = this.values[layer]!;
    noGrad(() => {
      for (const [buf, t] of [[kb, kNew], [vb, vNew]] as const) {
        const dst = buf.narrow(2, this.length, n);
        dst.assign(t);
        dst.dispose();
      }
    });
    if (kNew.requiresGrad || vNew.requiresGrad) {
      const pk = kb.narrow(2, 0, this.length);
      const pv = vb.narrow(2, 0, this.length);
      const k = this.length > 0 ? concat([pk, kNew], 2) : kNew.mul(1);
      const v = this.length > 0 ? concat([pv, vNew], 2) : vNew.mul(1);
      pk.dispose();
      pv.dispose();
      return { k, v };
    }
    return { k: kb.narrow(2, 0, total), v: vb.narrow(2, 0, total) };
  }

  /** Keep the last written chunk: `length += n`, recording its key validity. */
  advance(n: number, newKeyValid?: readonly Uint8Array[]): void {
    this.assertAlive('advance');
    if (this.length + n > this.cap) throw new Error(`KVCache.advance: ${this.length + n} positions exceed the capacity ${this.cap}`);
    for (let b = 0; b < this.batch; b++) {
      const row = newKeyValid?.[b];
      if (row && row.length !== n) throw new Error(`KVCache.advance: key validity row ${b} has ${row.length} entries, expected ${n}`);
      if (row) this.valid[b]!.set(row, this.length);
      else this.valid[b]!.fill(1, this.length, this.length + n);
    }
    this.length += n;
  }

  /** Drop every position from `length` on (e.g. the image span of a MAR step). */
  crop(length: number): void {
    this.assertAlive('crop');
    if (!Number.isInteger(length) || length < 0 || length > this.length) throw new Error(`KVCache.crop: length ${length} must be an integer in [0, ${this.length}]`);
    this.length = length;
  }

  /** Free the buffers. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of [...this.keys, ...this.values]) t.dispose();
    this.keys = [];
    this.values = [];
  }

  /** `using cache = ...` support. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
