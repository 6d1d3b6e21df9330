/**
 * Deterministic hashing and random helpers used by the shapes world.
 *
 * Every sample is generated from its own `Generator` (from `@unihetero/tensor`), seeded by
 * `mixSeed(seed, splitTag, index, purpose)`, so any sample can be produced in O(1) without
 * generating the ones before it (random access, resumable streams, parallel workers all agree).
 */
import { Generator } from '@unihetero/tensor';

/** 32-bit FNV-1a hash of a string (UTF-16 code units folded to bytes); stable across platforms. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h ^= c & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
    if (c > 0xff) {
      h ^= c >>> 8;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h >>> 0;
}

/** A 32-bit avalanche mix (murmur3 finaliser). */
function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** Combines any number of non-negative integers (each up to 2^53) into one 32-bit seed. */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    if (!Number.isSafeInteger(p) || p < 0) throw new Error(`mixSeed: parts must be non-negative safe integers, got ${p}`);
    const lo = p >>> 0;
    const hi = Math.floor(p / 4294967296) >>> 0;
    h = fmix32(h ^ fmix32(lo + 0x6a09e667));
    h = fmix32(h ^ fmix32(hi + 0xbb67ae85));
  }
  return h >>> 0;
}

/** A generator seeded by `mixSeed(...parts)`. */
export function streamFor(...parts: number[]): Generator {
  return new Generator(mixSeed(...parts));
}

/** A uniformly chosen element of a non-empty array. */
export function pick<T>(gen: Generator, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick: empty array');
  return items[gen.int(items.length)]!;
}

/** A Fisher-Yates shuffled copy of `items` (from the last index down, as `Generator.permutation`). */
export function shuffle<T>(gen: Generator, items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = gen.int(i + 1);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

/** `k` distinct elements of `items` in random order (a prefix of a shuffle). */
export function sampleWithoutReplacement<T>(gen: Generator, items: readonly T[], k: number): T[] {
  if (!Number.isInteger(k) || k < 0 || k > items.length) throw new Error(`sampleWithoutReplacement: k must be an integer in [0, ${items.length}], got ${k}`);
  return shuffle(gen, items).slice(0, k);
}
