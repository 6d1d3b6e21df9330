/** Test helper: a small deterministic PRNG for test data. */

/** A deterministic uniform [0, 1) stream (32-bit linear congruential generator). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
