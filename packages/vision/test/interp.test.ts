import { describe, expect, it } from 'vitest';
import { Generator, gradcheck, randn, tensor } from '@unihetero/tensor';
import { cubicKernel, interpolatePositionEmbeddings, resize2d, resizeMatrix } from '../src/index';

// Hand-computed PyTorch F.interpolate weights (all exact in float32):
// bicubic a=-0.75, align_corners=False, 2 -> 4: source coordinates -0.25, 0.25, 0.75, 1.25;
// e.g. output 0: t = 0.75, W(1.75) = -0.03515625, W(0.75) = 0.26171875, W(0.25) = 0.87890625,
// W(1.25) = -0.10546875 on inputs (-2, -1, 0, 1) clamped to (0, 0, 0, 1).
const UP_2_4 = [
  [1.10546875, -0.10546875],
  [0.7734375, 0.2265625],
  [0.2265625, 0.7734375],
  [-0.10546875, 1.10546875],
];
// antialiased bicubic (a = -0.5), 4 -> 2: support 4, centres 1 and 3, taps at (j - c + 0.5) / 2.
const AA_TAPS = [0.8671875, 0.8671875, 0.2265625, -0.0703125];
const AA_SUM = 1.890625;
const DOWN_4_2_AA = [AA_TAPS.map((w) => w / AA_SUM), [...AA_TAPS].reverse().map((w) => w / AA_SUM)];

const rows = (m: Float32Array, n: number) => Array.from({ length: m.length / n }, (_, i) => Array.from(m.subarray(i * n, (i + 1) * n)));

describe('resize matrices (PyTorch F.interpolate weights)', () => {
  it('cubic kernel with a = -0.75 at hand-checked points', () => {
    expect(cubicKernel(0)).toBe(1);
    expect(cubicKernel(1)).toBe(0);
    expect(cubicKernel(2)).toBe(0);
    expect(cubicKernel(0.25)).toBe(0.87890625);
    expect(cubicKernel(-1.75)).toBe(-0.03515625);
    expect(cubicKernel(0.75, -0.5)).toBe(0.2265625);
  });

  it('bicubic upsampling 2 -> 4 matches the hand-computed weights exactly', () => {
    expect(rows(resizeMatrix(2, 4), 2)).toEqual(UP_2_4);
  });

  it('antialiased bicubic 4 -> 2 and bilinear 4 -> 2 match hand-computed weights', () => {
    rows(resizeMatrix(4, 2, { antialias: true }), 4).forEach((r, i) => r.forEach((v, j) => expect(v).toBeCloseTo(DOWN_4_2_AA[i]![j]!, 7)));
    // bilinear antialiased: triangle taps 0.75, 0.75, 0.25 normalised by 1.75
    rows(resizeMatrix(4, 2, { mode: 'bilinear', antialias: true }), 4).forEach((r, i) =>
      r.forEach((v, j) => expect(v).toBeCloseTo([[3 / 7, 3 / 7, 1 / 7, 0], [0, 1 / 7, 3 / 7, 3 / 7]][i]![j]!, 7)),
    );
    // plain bilinear 4 -> 2 (no antialias) averages the two middle pixels of each pair
    expect(rows(resizeMatrix(4, 2, { mode: 'bilinear' }), 4)).toEqual([[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]]);
  });

  it('is the identity at equal sizes and rows sum to one', () => {
    for (const aa of [false, true]) expect(rows(resizeMatrix(3, 3, { antialias: aa }), 3)).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    for (const [a, b] of [[37, 16], [5, 9], [16, 37]] as const) {
      for (const r of rows(resizeMatrix(a, b, { antialias: a > b }), a)) expect(r.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    }
    expect(rows(resizeMatrix(2, 3, { alignCorners: true, mode: 'bilinear' }), 2)).toEqual([[1, 0], [0.5, 0.5], [0, 1]]);
  });

  it('resize2d applies the weights along both image axes', () => {
    const img = tensor([[[[0, 1], [10, 11]]]]); // [1, 1, 2, 2]
    const out = resize2d(img, [4, 4]).tolistSync() as number[][][][];
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        let want = 0;
        for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) want += UP_2_4[i]![a]! * UP_2_4[j]![b]! * [[0, 1], [10, 11]][a]![b]!;
        expect(out[0]![0]![i]![j]).toBeCloseTo(want, 5);
      }
    }
    expect(() => resize2d(img, [0, 4])).toThrow('resize2d: height must be a positive integer, got 0');
    expect(() => resizeMatrix(4, 2, { antialias: true, alignCorners: true })).toThrow('resizeMatrix: antialias with alignCorners is not supported');
  });
});

describe('position-embedding interpolation (docs/method.md 3.4)', () => {
  // pos [1, 1 + 2*2, 2]: CLS row (100, -100), patch (r, c, d) = 10 r + c + 0.5 d
  const grid2 = [
    [100, -100],
    [0, 0.5],
    [1, 1.5],
    [10, 10.5],
    [11, 11.5],
  ];
  const pos = () => tensor([grid2]);

  it('resizes a 2x2 grid to 4x4 bicubically, keeping the CLS row', () => {
    const out = interpolatePositionEmbeddings(pos(), { height: 4, width: 4 });
    expect(out.shape).toEqual([1, 17, 2]);
    const v = out.tolistSync() as number[][][];
    expect(v[0]![0]).toEqual([100, -100]);
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        for (let d = 0; d < 2; d++) {
          let want = 0;
          for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) want += UP_2_4[i]![a]! * UP_2_4[j]![b]! * grid2[1 + a * 2 + b]![d]!;
          expect(v[0]![1 + i * 4 + j]![d]).toBeCloseTo(want, 5);
        }
      }
    }
    // corner (0, 0), channel 0, by hand: row weights (1.10546875, -0.10546875) on rows 0 / 10,
    // column weights the same on columns 0 / 1: 1.10546875 * (-0.10546875) + (-0.10546875) * (1.10546875 * 10 - 0.10546875 * 11)
    expect(v[0]![1]![0]).toBeCloseTo(-0.10546875 * 1.10546875 - 0.10546875 * (11.0546875 - 1.16015625), 5);
  });

  it('supports non-square grids and the antialiased variant (dinov2-with-registers)', () => {
    const gen = new Generator(7);
    const p4 = randn([1, 17, 3], { generator: gen });
    const out = interpolatePositionEmbeddings(p4, { height: 2, width: 2 }, true);
    const src = p4.tolistSync() as number[][][];
    const v = out.tolistSync() as number[][][];
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        let want = 0;
        for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) want += DOWN_4_2_AA[i]![a]! * DOWN_4_2_AA[j]![b]! * src[0]![1 + a * 4 + b]![1]!;
        expect(v[0]![1 + i * 2 + j]![1]).toBeCloseTo(want, 5);
      }
    }
    expect(interpolatePositionEmbeddings(p4, { height: 2, width: 3 }).shape).toEqual([1, 7, 3]);
    expect(Array.from(interpolatePositionEmbeddings(p4, { height: 4, width: 4 }).dataSync())).toEqual(Array.from(p4.dataSync()));
    expect(() => interpolatePositionEmbeddings(randn([1, 6, 3]), { height: 2, width: 2 })).toThrow('interpolatePositionEmbeddings: 5 patch positions are not a square grid');
  });

  it('is differentiable (gradcheck)', async () => {
    const gen = new Generator(8);
    const w = randn([1, 10, 2], { generator: gen });
    await gradcheck((p) => interpolatePositionEmbeddings(p, { height: 3, width: 3 }).mul(w).sum(), [randn([1, 5, 2], { generator: gen })]);
  });
});
