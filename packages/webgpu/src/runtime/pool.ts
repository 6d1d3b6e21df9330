/**
 * The buffer pool: storage buffers bucketed by size (256 bytes minimum, then quarter-octave
 * steps), reused after release. A released buffer may still be referenced by recorded but not yet
 * submitted commands, so it becomes reusable only after the next submit (`recycle()`).
 */

const STORAGE_USAGE = 0x80 /* STORAGE */ | 0x4 /* COPY_SRC */ | 0x8; /* COPY_DST */

/** Usage flags of every storage buffer. */
export const STORAGE_BUFFER_USAGE = STORAGE_USAGE;

/** Bucketed byte size for a request: 256 minimum, then steps of 2^k * {1, 1.25, 1.5, 1.75}. */
export function bucketBytes(bytes: number): number {
  if (bytes <= 256) return 256;
  const p = 2 ** Math.floor(Math.log2(bytes));
  for (const f of [1, 1.25, 1.5, 1.75, 2]) {
    const q = Math.ceil((p * f) / 256) * 256;
    if (q >= bytes) return q;
  }
  return Math.ceil((2 * p) / 256) * 256;
}

/** Size-bucketed GPUBuffer pool with deferred reuse. */
export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private pending: { buffer: GPUBuffer; bytes: number }[] = [];
  private pooled = 0;
  /** Storage buffers created so far (the rest of the acquisitions were served by the pool). */
  created = 0;

  constructor(private readonly device: GPUDevice) {}

  /** A buffer of exactly `bytes` (a bucket size): reused when one is free, else created. */
  acquire(bytes: number): GPUBuffer {
    const reused = this.free.get(bytes)?.pop();
    if (reused) {
      this.pooled -= bytes;
      return reused;
    }
    this.created++;
    return this.device.createBuffer({ label: `unihetero storage ${bytes}B`, size: bytes, usage: STORAGE_USAGE });
  }

  /** Return a buffer: at once when nothing is recorded, else after the next submit. */
  give(buffer: GPUBuffer, bytes: number, recording: boolean): void {
    if (recording) this.pending.push({ buffer, bytes });
    else this.put(buffer, bytes);
  }

  private put(buffer: GPUBuffer, bytes: number): void {
    let list = this.free.get(bytes);
    if (!list) this.free.set(bytes, (list = []));
    list.push(buffer);
    this.pooled += bytes;
  }

  /** Make the buffers released before the last submit reusable. */
  recycle(): void {
    for (const { buffer, bytes } of this.pending) this.put(buffer, bytes);
    this.pending = [];
  }

  /** Bytes pooled, including releases waiting for a submit. */
  bytesPooled(): number {
    let p = this.pooled;
    for (const x of this.pending) p += x.bytes;
    return p;
  }

  /** Destroy the free buffers (not the pending ones). */
  empty(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.pooled = 0;
  }

  /** Destroy everything. */
  destroy(): void {
    this.empty();
    for (const { buffer } of this.pending) buffer.destroy();
    this.pending = [];
  }
}
