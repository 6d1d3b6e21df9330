import { describe, expect, it } from 'vitest';
import { ShapesWorld, SPLITS, DEFAULT_SHAPES, ALL_SHAPES, cellLabels, type Scene, type SplitName } from '../src/index';

const world = new ShapesWorld();

describe('ShapesWorld', () => {
  it('is deterministic from (seed, split, index) with random access', () => {
    const a = world.sample('train', 123);
    const b = new ShapesWorld().sample('train', 123);
    expect(b.scene).toEqual(a.scene);
    expect(b.caption).toBe(a.caption);
    expect(b.question).toEqual(a.question);
    expect(Buffer.from(b.image.data).equals(Buffer.from(a.image.data))).toBe(true);
    expect(world.render(a.scene, a.textureSeed).data).toEqual(a.image.data);
    const other = new ShapesWorld({ seed: 1 }).sample('train', 123);
    expect(other.scene).not.toEqual(a.scene);
  });

  it('renders 32x32 RGB by default and 64x64 when asked', () => {
    const s = world.sample('test', 0);
    expect([s.image.width, s.image.height, s.image.data.length]).toEqual([32, 32, 32 * 32 * 3]);
    const big = new ShapesWorld({ imageSize: 64, shapes: ALL_SHAPES }).sample('test', 0);
    expect([big.image.width, big.image.height]).toEqual([64, 64]);
  });

  it('draws 1-3 objects in distinct cells with the configured vocabulary', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 300; i++) {
      const { objects } = world.scene('train', i);
      counts[objects.length]!++;
      expect(new Set(objects.map((o) => o.cell.row * 3 + o.cell.col)).size).toBe(objects.length);
      for (const o of objects) {
        expect(DEFAULT_SHAPES).toContain(o.shape);
        expect(world.config.colours).toContain(o.colour);
      }
    }
    expect(counts[0]).toBe(0);
    for (const k of [1, 2, 3]) expect(counts[k]).toBeGreaterThan(60);
    expect(world.config.colours).toHaveLength(8);
    expect(DEFAULT_SHAPES).toHaveLength(6);
  });

  it('partitions the scene space: every sample belongs to its split', () => {
    for (const split of SPLITS) for (let i = 0; i < 100; i++) expect(world.splitOf(world.scene(split, i))).toBe(split);
  });

  it('never shows a held-out colour-shape pair outside the heldout split, and always inside it', () => {
    expect(world.heldOutPairs).toHaveLength(6);
    expect(new Set(world.heldOutPairs.map((p) => p.colour)).size).toBe(6);
    expect(new Set(world.heldOutPairs.map((p) => p.shape)).size).toBe(6);
    for (const split of ['train', 'validation', 'test', 'encoder'] as SplitName[]) {
      for (let i = 0; i < 300; i++) for (const o of world.scene(split, i).objects) expect(world.isHeldOut(o.colour, o.shape)).toBe(false);
    }
    for (let i = 0; i < 100; i++) expect(world.scene('heldout', i).objects.some((o) => world.isHeldOut(o.colour, o.shape))).toBe(true);
  });

  it('keeps the encoder split disjoint from evaluation scenes', () => {
    const key = (s: Scene): string =>
      s.objects
        .map((o) => `${o.cell.row}${o.cell.col}${o.shape}${o.colour}${o.size}`)
        .sort()
        .join('|');
    const evalScenes = new Set<string>();
    for (const split of ['validation', 'test', 'heldout'] as SplitName[]) for (let i = 0; i < 500; i++) evalScenes.add(key(world.scene(split, i)));
    for (let i = 0; i < 2000; i++) expect(evalScenes.has(key(world.scene('encoder', i)))).toBe(false);
    for (let i = 0; i < 2000; i++) expect(evalScenes.has(key(world.scene('train', i)))).toBe(false);
  });

  it('renders exactly two-tone objects on a flat background, and mild textures when asked', () => {
    const s = world.sample('train', 5);
    const colours = new Set<string>();
    for (let i = 0; i < 32 * 32; i++) colours.add(Array.from(s.image.data.subarray(i * 3, i * 3 + 3)).join(','));
    expect(colours.size).toBe(1 + new Set(s.scene.objects.map((o) => o.colour)).size);
    for (const texture of ['noise', 'checker'] as const) {
      const w = new ShapesWorld({ texture });
      const img = w.sample('train', 5).image;
      const bg = w.config.background;
      // the top-left pixel is background in every scene (cells start 1 px in)
      for (let c = 0; c < 3; c++) expect(Math.abs(img.data[c]! - bg[c]!)).toBeLessThanOrEqual(6);
      let varied = 0;
      for (let i = 0; i < 32; i++) if (img.data[i * 3] !== bg[0]) varied++;
      expect(varied).toBeGreaterThan(0);
    }
  });

  it('gives per-cell labels', () => {
    const scene: Scene = { objects: [{ shape: 'ring', colour: 'blue', size: 'large', cell: { row: 2, col: 1 } }] };
    const l = cellLabels(scene, world);
    expect(Array.from(l.occupied)).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 0]);
    const s = DEFAULT_SHAPES.indexOf('ring');
    const c = world.config.colours.indexOf('blue');
    expect([l.shape[7], l.colour[7], l.size[7]]).toEqual([s, c, 1]);
    expect(l.shape[0]).toBe(-1);
    expect(l.joint[7]).toBe(1 + (s * 8 + c) * 2 + 1);
    expect(world.jointClasses).toBe(1 + 6 * 8 * 2);
  });

  it('rejects bad configs and scenes with clear errors', () => {
    expect(() => new ShapesWorld({ imageSize: 10 })).toThrow(/imageSize must be an integer in \[24, 1024\], got 10/);
    expect(() => new ShapesWorld({ shapes: ['circle', 'blob' as never] })).toThrow(/unknown shape 'blob'/);
    expect(() => new ShapesWorld({ palette: { red: [255, 0, 0], rose: [250, 5, 5], blue: [0, 0, 255], green: [0, 255, 0] } })).toThrow(/'red' and 'rose' are only/);
    expect(() => new ShapesWorld({ splits: { train: 0.9 } })).toThrow(/must sum to 1/);
    expect(() => world.scene('dev' as never, 0)).toThrow(/unknown split 'dev'/);
    expect(() => world.render({ objects: [{ shape: 'circle', colour: 'pink', size: 'small', cell: { row: 0, col: 0 } }] })).toThrow(/colour 'pink'/);
    const o = { shape: 'circle', colour: 'red', size: 'small', cell: { row: 0, col: 0 } } as const;
    expect(() => world.render({ objects: [o, { ...o }] })).toThrow(/share the cell row 0, col 0/);
  });

  it('has explicit held-out pairs when configured', () => {
    const w = new ShapesWorld({ heldOut: [{ colour: 'red', shape: 'circle' }] });
    expect(w.isHeldOut('red', 'circle')).toBe(true);
    for (let i = 0; i < 20; i++) expect(w.scene('heldout', i).objects.some((o) => o.colour === 'red' && o.shape === 'circle')).toBe(true);
    expect(() => new ShapesWorld({ heldOut: [{ colour: 'red', shape: 'star' }] })).toThrow(/not in the world/);
  });
});
