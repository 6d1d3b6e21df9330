/**
 * Seeded, reproducible random numbers.
 *
 * Algorithm (documented so other implementations can reproduce our numbers exactly):
 * - state: xoshiro128** (four 32-bit words), seeded by running splitmix32 on the seed;
 * - uniform float in [0, 1): `next_u32() / 2^32`;
 * - standard normal: Box-Muller with two fresh uniforms per value,
 *   `sqrt(-2 ln(1 - u1)) * cos(2 pi u2)` (the sine half is discarded so that the
 *   stream position never depends on how many normals were drawn before);
 * - integers in [0, n): reject raw values below `2^32 mod n`, then `x mod n` (unbiased);
 * - permutations: Fisher-Yates from the last index down.
 *
 * Random tensors are generated on the host with this stream and uploaded, so every backend
 * gets exactly the same numbers for the same seed.
 */

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A seeded xoshiro128** random stream (see the module comment for the exact algorithm). */
export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /** A stream seeded with `seed` (any safe integer; the low and high 32 bits both count). */
  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /** Reset the stream to the start of `seed`. */
  manualSeed(seed: number): this {
    if (!Number.isSafeInteger(seed)) throw new Error(`Generator.manualSeed: seed must be a safe integer, got ${seed}`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 0x100000000) >>> 0;
    const sm = splitmix32(lo ^ Math.imul(hi, 0x9e3779b9));
    this.s0 = sm();
    this.s1 = sm();
    this.s2 = sm();
    this.s3 = sm();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    return this;
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform float in [0, 1). */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Standard normal N(0, 1) (Box-Muller, cosine branch). */
  normal(): number {
    const u1 = this.uniform();
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Uniform integer in [0, n) for 1 <= n <= 2^32 (unbiased: rejection of the lowest 2^32 mod n raw values, then mod n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) throw new Error(`Generator.int: n must be an integer in [1, 2^32], got ${n}`);
    if (n === 4294967296) return this.nextUint32();
    // Reject the lowest (2^32 mod n) values so that x mod n is exactly uniform.
    const threshold = 4294967296 % n;
    for (;;) {
      const x = this.nextUint32();
      if (x >= threshold) return x % n;
    }
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }

  /** The full state (four uint32 words), for checkpoints. */
  getState(): number[] {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  /** Restore a state from `getState()`. */
  setState(state: readonly number[]): this {
    if (state.length !== 4 || state.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)) {
      throw new Error(`Generator.setState: expected four uint32 words, got [${state.join(', ')}]`);
    }
    [this.s0, this.s1, this.s2, this.s3] = state.map((w) => w >>> 0) as [number, number, number, number];
    return this;
  }

  /** An independent copy of this stream at its current position. */
  clone(): Generator {
    return new Generator(0).setState(this.getState());
  }
}

let defaultGenerator = new Generator(0);

/** The process-wide default generator (used when an op is given no generator). */
export function getDefaultGenerator(): Generator {
  return defaultGenerator;
}

/** Reseed the default generator, like `torch.manual_seed`. */
export function manualSeed(seed: number): Generator {
  defaultGenerator = new Generator(seed);
  return defaultGenerator;
}
