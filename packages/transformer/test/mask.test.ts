import { describe, expect, it } from 'vitest';
import { CpuBackend } from '@unihetero/tensor';
import { MASKED_LOGIT, attentionBias, expandMask } from '../src/index';

/** The allowed matrix of sample `r` as strings of 0/1, one per query. */
function rowsOf(m: ReturnType<typeof expandMask>, r = 0): string[] {
  const out: string[] = [];
  for (let q = 0; q < m.queryLength; q++) out.push(Array.from(m.allowed.subarray((r * m.queryLength + q) * m.keyLength, (r * m.queryLength + q + 1) * m.keyLength)).join(''));
  return out;
}

describe('expandMask', () => {
  it('is causal by default, shared by the batch', () => {
    const m = expandMask({}, { batch: 3, queryLength: 4 });
    expect(m.rows).toBe(1);
    expect(rowsOf(m)).toEqual(['1000', '1100', '1110', '1111']);
    expect(m.allAllowed).toBe(false);
  });

  it('opens full attention inside an image span, and only there', () => {
    // [BOS] <boi> v v v <eoi> t : span = the three visual tokens, positions 2..4
    const m = expandMask({ spans: [[2, 5]] }, { batch: 1, queryLength: 7 });
    expect(rowsOf(m)).toEqual(['1000000', '1100000', '1111100', '1111100', '1111100', '1111110', '1111111']);
  });

  it('masks padding keys (lengths and key padding mask) per sample', () => {
    const m = expandMask({ lengths: [3, 2] }, { batch: 2, queryLength: 3 });
    expect(m.rows).toBe(2);
    expect(rowsOf(m, 0)).toEqual(['100', '110', '111']);
    expect(rowsOf(m, 1)).toEqual(['100', '110', '110']);
    const k = expandMask({ keyPaddingMask: [[0, 1, 1], [true, true, false]] }, { batch: 2, queryLength: 3 });
    expect(rowsOf(k, 0)).toEqual(['000', '010', '011']);
    expect(rowsOf(k, 1)).toEqual(['100', '110', '110']);
    expect(Array.from(k.newKeyValid[0]!)).toEqual([0, 1, 1]);
  });

  it('supports per-sample spans and a cached prefix', () => {
    const m = expandMask({ spans: [[[1, 3]], []] }, { batch: 2, queryLength: 3 });
    expect(rowsOf(m, 0)).toEqual(['100', '111', '111']);
    expect(rowsOf(m, 1)).toEqual(['100', '110', '111']);
    // Two cached positions (the second one padding), a chunk of three that is one span.
    const c = expandMask({ spans: [[2, 5]] }, { batch: 1, queryLength: 3, pastLength: 2, pastKeyValid: [Uint8Array.from([1, 0])] });
    expect(rowsOf(c)).toEqual(['10111', '10111', '10111']);
  });

  it('rejects bad descriptions with the offending values', () => {
    expect(() => expandMask({ spans: [[2, 9]] }, { batch: 1, queryLength: 4 })).toThrow('span [2, 9) of sample 0 must satisfy 0 <= start < end <= 4');
    expect(() => expandMask({ spans: [[0, 2], [1, 3]] }, { batch: 1, queryLength: 4 })).toThrow('spans [0, 2) and [1, 3) of sample 0 overlap');
    expect(() => expandMask({ spans: [[[0, 2]]] }, { batch: 2, queryLength: 4 })).toThrow('spans has 1 per-sample lists, expected batch 2');
    expect(() => expandMask({ lengths: [5] }, { batch: 1, queryLength: 4 })).toThrow('lengths[0] = 5 must be an integer in [0, 4]');
    expect(() => expandMask({ keyPaddingMask: [1, 1] }, { batch: 1, queryLength: 4 })).toThrow('keyPaddingMask has 2 entries, expected 1 x 4 = 4');
  });
});

describe('attentionBias', () => {
  it('is one additive tensor [R, 1, Lq, Lk] with 0 and a finite large negative, or null', () => {
    const cpu = new CpuBackend();
    const b = attentionBias(expandMask({}, { batch: 2, queryLength: 2 }), cpu)!;
    expect(b.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(b.dataSync())).toEqual([0, MASKED_LOGIT, 0, 0]);
    expect(Number.isFinite(MASKED_LOGIT)).toBe(true);
    b.dispose();
    expect(attentionBias(expandMask({}, { batch: 2, queryLength: 1, pastLength: 3 }), cpu)).toBeNull();
  });
});
