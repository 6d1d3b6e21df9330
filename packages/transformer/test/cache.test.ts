import { describe, expect, it } from 'vitest';
import { CpuBackend, Generator, memory, noGrad, randint, tensor, tidy } from '@unihetero/tensor';
import { KVCache } from '../src/index';
import { ids, maxDiff, positions, tinyModel } from './helpers';

describe('KV cache', () => {
  it('incremental decoding for 20 steps equals the full forward (GQA, qk-norm, cache growth)', () => {
    const m = tinyModel({ numKeyValueHeads: 2, qkNorm: 'layernorm-per-head' }, 1);
    const seq = randint(0, 11, [2, 24], { generator: new Generator(7), dtype: 'int32' });
    const full = noGrad(() => m.forward({ inputIds: seq, returnLogits: true }).logits!);
    const cache = m.createCache(2, 4); // starts small: grows while decoding
    const before = memory().tensors;
    noGrad(() =>
      tidy(() => {
        const o = m.forward({ inputIds: seq.narrow(1, 0, 4).contiguous(), cache, returnLogits: true });
        for (let b = 0; b < 2; b++) expect(maxDiff(positions(o.logits!, b, 0, 4), positions(full, b, 0, 4))).toBeLessThan(1e-5);
      }),
    );
    for (let t = 4; t < 24; t++) {
      noGrad(() =>
        tidy(() => {
          const s = m.forward({ inputIds: seq.narrow(1, t, 1).contiguous(), cache, returnLogits: true });
          for (let b = 0; b < 2; b++) expect(maxDiff(positions(s.logits!, b, 0, 1), positions(full, b, t, t + 1)), `step ${t} sample ${b}`).toBeLessThan(1e-5);
        }),
      );
    }
    expect(cache.length).toBe(24);
    expect(cache.capacity).toBeGreaterThanOrEqual(24);
    expect(memory().tensors).toBe(before); // grown buffers replace the old ones
    for (const x of [cache, full, seq, m]) x.dispose();
  });

  it('appends a multi-token image-span chunk after a cached prefix (MAR loop), reruns it, and crops', () => {
    const m = tinyModel({}, 3);
    const seq = [[1, 2, 3, 7, 4, 5, 6, 8], [2, 3, 1, 7, 6, 5, 4, 8]];
    const span = [[4, 7]] as const; // visual tokens at 4..6, after <boi>=7 at 3
    const full = noGrad(() => m.forward({ inputIds: ids(seq), attention: { spans: [...span] } }).hiddenStates);
    const cache = m.createCache(2);
    noGrad(() => tidy(() => {
      m.forward({ inputIds: ids(seq.map((r) => r.slice(0, 4))), cache }).hiddenStates.dispose();
      expect(cache.length).toBe(4);
      for (let round = 0; round < 2; round++) {
        const h = m.forward({ inputIds: ids(seq.map((r) => r.slice(4))), cache, attention: { spans: [...span] }, appendToCache: false }).hiddenStates;
        expect(cache.length).toBe(4);
        for (let b = 0; b < 2; b++) expect(maxDiff(positions(h, b, 0, 4), positions(full, b, 4, 8))).toBeLessThan(1e-5);
        h.dispose();
      }
      const h2 = m.forward({ inputIds: ids(seq.map((r) => r.slice(4))), cache, attention: { spans: [...span] } }).hiddenStates;
      expect(cache.length).toBe(8);
      expect(maxDiff(positions(h2, 1, 0, 4), positions(full, 1, 4, 8))).toBeLessThan(1e-5);
      h2.dispose();
      cache.crop(4);
      const h3 = m.forward({ inputIds: ids(seq.map((r) => r.slice(4))), cache, attention: { spans: [...span] } }).hiddenStates;
      expect(maxDiff(positions(h3, 0, 0, 4), positions(full, 0, 4, 8))).toBeLessThan(1e-5);
      h3.dispose();
    }));
    for (const x of [cache, full, m]) x.dispose();
  });

  it('remembers padding of cached keys', () => {
    const m = tinyModel({}, 5);
    const full = noGrad(() => m.forward({ inputIds: ids([[0, 3, 4, 5]]), attention: { keyPaddingMask: [[0, 1, 1, 1]] }, positionIds: [0, 0, 1, 2] }).hiddenStates);
    const cache = m.createCache(1);
    noGrad(() => tidy(() => {
      m.forward({ inputIds: ids([[0, 3]]), cache, attention: { keyPaddingMask: [[0, 1]] }, positionIds: [0, 0] }).hiddenStates.dispose();
      const h = m.forward({ inputIds: ids([[4, 5]]), cache, positionIds: [1, 2] }).hiddenStates;
      expect(maxDiff(positions(h, 0, 0, 2), positions(full, 0, 2, 4))).toBeLessThan(1e-5);
    }));
    for (const x of [cache, full, m]) x.dispose();
  });

  it('validates its use', () => {
    const m = tinyModel();
    const cache = m.createCache(2);
    expect(() => m.forward({ inputIds: ids([[1, 2]]), cache })).toThrow('forward: cache batch 2 does not match input batch 1');
    expect(() => cache.crop(3)).toThrow('KVCache.crop: length 3 must be an integer in [0, 0]');
    const other = new KVCache({ numLayers: 1, batch: 2, numKeyValueHeads: 4, headDim: 4, backend: new CpuBackend() });
    expect(() => m.forward({ inputIds: ids([[1], [2]]), cache: other })).toThrow('does not fit this model');
    expect(() => other.update(0, tensor([1]), tensor([1]))).toThrow('KVCache.update: new keys [1] must be [2, 4, L, 4] (batch, kv heads, chunk, head dim)');
    other.dispose();
    cache.dispose();
    expect(() => cache.reserve(10)).toThrow('KVCache.reserve: the cache was disposed');
    m.dispose();
  });
});
