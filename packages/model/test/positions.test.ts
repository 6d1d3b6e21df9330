/** The span's position embeddings: one learned vector per position, or a learned row plus column of the token grid. */
import { describe, expect, it } from 'vitest';
import { Generator, randn } from '@unihetero/tensor';
import { tinyModel } from './helpers.js';

describe("visualPositions: 'learned-2d'", () => {
  it('adds row r plus column c of the grid to position r * W + c, with gradients to both tables', async () => {
    const { model } = await tinyModel('exp2', { config: { visualPositions: 'learned-2d' } });
    const rows = model.visual_row_embedding!;
    const cols = model.visual_col_embedding!;
    expect(rows.shape).toEqual([8, 32]);
    expect(cols.shape).toEqual([8, 32]);
    expect(model.visual_position_embedding).toBeUndefined();
    const names = model.namedParameters().map(([n]) => n);
    expect(names).toContain('visual_row_embedding');
    expect(names).toContain('visual_col_embedding');
    const visual = randn([2 * 64, 32], { generator: new Generator(4) });
    const out = model.spanInputs(visual);
    const [v, o, r, c] = [visual.dataSync(), out.dataSync(), rows.dataSync(), cols.dataSync()];
    for (const [b, p, k] of [[0, 0, 0], [0, 9, 5], [1, 63, 31], [1, 17, 2]] as const) {
      const i = (b * 64 + p) * 32 + k;
      expect(o[i]).toBeCloseTo(v[i]! + r[Math.floor(p / 8) * 32 + k]! + c[(p % 8) * 32 + k]!, 6);
    }
    out.sum().backward();
    expect(rows.grad!.dataSync()[0]).toBeCloseTo(16, 5); // 2 images x 8 positions per row
    expect(cols.grad!.dataSync()[5]).toBeCloseTo(16, 5);
  });

  it('the other settings keep their parameters', async () => {
    const { model } = await tinyModel('exp2', { config: { visualPositions: 'learned' } });
    expect(model.visual_position_embedding!.shape).toEqual([64, 32]);
    expect(model.visual_row_embedding).toBeUndefined();
  });
});
