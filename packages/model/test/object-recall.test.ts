import { describe, expect, it } from 'vitest';
import type { SceneObject } from '@unihetero/data';
import { ObjectRecallTally, formatObjectRecallBreakdown } from '../src/object-recall.js';

const obj = (shape: string, colour: string, size: 'small' | 'large', row: number, col: number): SceneObject => ({ shape, colour, size, cell: { row, col } }) as SceneObject;
const square = obj('square', 'cyan', 'large', 1, 0);
const circle = obj('circle', 'blue', 'small', 1, 1);
const cross = obj('cross', 'red', 'small', 0, 2);

describe('ObjectRecallTally', () => {
  it('a perfect caption recalls every object, exactly, with no misses', () => {
    const t = new ObjectRecallTally();
    expect(t.add([square, circle], [circle, square])).toEqual({ recall: 1, exact: true });
    expect(t.summary()).toEqual({ count: 1, objectRecall: 1, exact: 1, unparsable: 0, byObjectCount: { 2: { scenes: 1, objectRecall: 1 } }, misses: { position: 0, colour: 0, shape: 0, size: 0, absent: 0 } });
  });

  it('right objects at swapped cells are two position misses', () => {
    const t = new ObjectRecallTally();
    const swapped = [{ ...square, cell: circle.cell }, { ...circle, cell: square.cell }];
    expect(t.add([square, circle], swapped)).toEqual({ recall: 0, exact: false });
    expect(t.summary().misses).toEqual({ position: 2, colour: 0, shape: 0, size: 0, absent: 0 });
  });

  it('a dropped object is absent, a wrong colour is a colour miss, an extra object spoils exactness only', () => {
    const t = new ObjectRecallTally();
    expect(t.add([square, cross], [square])).toEqual({ recall: 0.5, exact: false });
    expect(t.add([cross], [{ ...cross, colour: 'green' }])).toEqual({ recall: 0, exact: false });
    expect(t.add([circle], [circle, cross])).toEqual({ recall: 1, exact: false });
    const s = t.summary();
    expect(s.misses).toEqual({ position: 0, colour: 1, shape: 0, size: 0, absent: 1 });
    expect(s.byObjectCount).toEqual({ 1: { scenes: 2, objectRecall: 0.5 }, 2: { scenes: 1, objectRecall: 0.5 } });
    expect(s.objectRecall).toBeCloseTo(0.5, 12);
    expect(s.exact).toBe(0);
  });

  it('an unparsable caption misses every object as absent and counts as unparsable', () => {
    const t = new ObjectRecallTally();
    t.add([square, circle, cross], null);
    t.add([circle], [circle]);
    const s = t.summary();
    expect(s).toMatchObject({ count: 2, objectRecall: 0.5, exact: 0.5, unparsable: 0.5 });
    expect(s.misses.absent).toBe(3);
    expect(formatObjectRecallBreakdown(s)).toBe('1 object 100.0% (1), 3 objects 0.0% (1); objects missed: position 0, colour 0, shape 0, size 0, absent 3');
  });

  it('names the operation for a scene without objects, and summarises nothing as zeros', () => {
    expect(() => new ObjectRecallTally().add([], [])).toThrow(/ObjectRecallTally.add: a scene without objects/);
    expect(new ObjectRecallTally().summary()).toMatchObject({ count: 0, objectRecall: 0, exact: 0, byObjectCount: {} });
    expect(formatObjectRecallBreakdown(new ObjectRecallTally().summary())).toBe('no scenes; objects missed: position 0, colour 0, shape 0, size 0, absent 0');
  });
});
