import { describe, expect, it } from 'vitest';
import { CpuBackend } from '@unihetero/tensor';
import { maskToTensor, sampleTrainingMasks } from '../src/index';
import { Generator } from './helpers';

describe('maskToTensor', () => {
  it('uploads a [B*N] mask as a [B, N] tensor', async () => {
    const { mask } = sampleTrainingMasks(new Generator(0), { batch: 2, n: 8 });
    const t = maskToTensor(mask, [2, 8]);
    expect(t.shape).toEqual([2, 8]);
    expect(t.dtype).toBe('float32');
    expect([...(await t.data())]).toEqual([...mask]);
    const i = maskToTensor(mask, [16], { dtype: 'int32', backend: new CpuBackend() });
    expect(i.dtype).toBe('int32');
    expect([...(await i.data())]).toEqual([...mask]);
    t.dispose();
    i.dispose();
  });
  it('validates', () => {
    expect(() => maskToTensor(new Uint8Array(6), [2, 4])).toThrow('maskToTensor: mask has 6 entries but shape [2, 4] needs 8');
    expect(() => maskToTensor(Uint8Array.from([0, 2]), [2])).toThrow('maskToTensor: mask[1]=2, expected 0 or 1');
  });
});
