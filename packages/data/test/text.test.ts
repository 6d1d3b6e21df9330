import { describe, expect, it } from 'vitest';
import { Generator } from '@unihetero/tensor';
import { ShapesWorld, canonicalCaption, parseCaption, randomCaption, relationOf, makeQuestion, QUESTION_KINDS, POSITION_NAMES, type SceneObject } from '../src/index';

const world = new ShapesWorld();
const sortObjs = (o: readonly SceneObject[]): SceneObject[] => o.slice().sort((a, b) => a.cell.row * 3 + a.cell.col - (b.cell.row * 3 + b.cell.col));

describe('captions', () => {
  it('writes the canonical caption in row-major order', () => {
    const objects: SceneObject[] = [
      { shape: 'ring', colour: 'blue', size: 'small', cell: { row: 1, col: 1 } },
      { shape: 'circle', colour: 'red', size: 'large', cell: { row: 0, col: 0 } },
    ];
    expect(canonicalCaption(objects)).toBe('a large red circle at the top left and a small blue ring at the centre.');
  });

  it('varies templates and paraphrases, and every caption parses back to its scene', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const s = world.sample('train', i);
      seen.add(s.caption.split(' ').slice(0, 2).join(' '));
      expect(sortObjs(world.parseCaption(s.caption))).toEqual(sortObjs(s.scene.objects));
      expect(sortObjs(world.parseCaption(s.canonicalCaption))).toEqual(sortObjs(s.scene.objects));
      expect(s.canonicalCaption).toBe(canonicalCaption(s.scene.objects));
    }
    expect(seen.size).toBeGreaterThanOrEqual(5);
    const one: SceneObject[] = [{ shape: 'cross', colour: 'green', size: 'large', cell: { row: 2, col: 2 } }];
    const variants = new Set(Array.from({ length: 60 }, (_, k) => randomCaption(one, new Generator(k))));
    expect(variants.size).toBeGreaterThanOrEqual(8);
  });

  it('rejects captions it cannot read', () => {
    expect(() => parseCaption('a red circle at the top left.', world.config.shapes, world.config.colours)).toThrow(/lacks a size/);
    expect(() => parseCaption('a big red circle.', world.config.shapes, world.config.colours)).toThrow(/lacks a position/);
    expect(() => parseCaption('nothing here', world.config.shapes, world.config.colours)).toThrow(/no object/);
    expect(() => world.parseCaption('a big red circle at the top and a small blue ring at the top.')).toThrow(/two objects at the top/);
  });
});

/** The objects a description ("the small red object at the top") refers to, read independently of the generator. */
function refersTo(objects: readonly SceneObject[], desc: string): SceneObject[] {
  const words = desc.split(' ');
  expect(words[0]).toBe('the');
  let k = 1;
  const size = words[k] === 'small' || words[k] === 'large' ? words[k++] : undefined;
  const colour = world.config.colours.includes(words[k]!) ? words[k++] : undefined;
  const noun = words[k++]!;
  const rest = words.slice(k).join(' ');
  const cell = rest ? world.parseCaption(`a small red circle ${rest}`)[0]!.cell : undefined;
  return objects.filter(
    (o) =>
      (size === undefined || o.size === size) &&
      (colour === undefined || o.colour === colour) &&
      (noun === 'object' || o.shape === noun) &&
      (cell === undefined || (o.cell.row === cell.row && o.cell.col === cell.col)),
  );
}

describe('questions', () => {
  it('has four distinct options, one answer letter, and every kind appears', () => {
    const kinds = new Set<string>();
    const letters = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const q = world.sample('test', i).question;
      kinds.add(q.kind);
      letters.add(q.answerLetter);
      expect(new Set(q.options).size).toBe(4);
      expect(q.options[q.answerIndex]).toBe(q.answer);
      expect('ABCD'[q.answerIndex]).toBe(q.answerLetter);
      expect(q.prompt).toBe(`${q.text} (A) ${q.options[0]} (B) ${q.options[1]} (C) ${q.options[2]} (D) ${q.options[3]}`);
    }
    expect([...kinds].sort()).toEqual([...QUESTION_KINDS].sort());
    expect(letters.size).toBe(4);
  });

  it('answers are true of the scene and distractors false (checked independently)', () => {
    for (let i = 0; i < 200; i++) {
      const { objects } = world.scene('validation', i);
      for (const kind of QUESTION_KINDS) {
        let q;
        try {
          q = makeQuestion(objects, world.vocabulary, new Generator(i), kind);
        } catch (e) {
          expect((e as Error).message).toMatch(/cannot be asked/);
          continue;
        }
        if (kind === 'colour' || kind === 'shape' || kind === 'position') {
          const desc = q.text.replace(/^(what colour is|what shape is|where is) /, '').replace(/\?$/, '');
          const ref = refersTo(objects, desc);
          expect(ref).toHaveLength(1);
          const truth = kind === 'colour' ? ref[0]!.colour : kind === 'shape' ? ref[0]!.shape : POSITION_NAMES[ref[0]!.cell.row * 3 + ref[0]!.cell.col];
          expect(q.answer).toBe(truth);
        } else if (kind === 'count') {
          const m = /how many (\w+ )?objects/.exec(q.text)!;
          const colour = m[1]?.trim();
          const n = objects.filter((o) => colour === undefined || o.colour === colour).length;
          expect(q.answer).toBe(['zero', 'one', 'two', 'three', 'four'][n]);
        } else if (kind === 'existence') {
          const present = q.options.filter((opt) => objects.some((o) => opt.endsWith(` ${o.colour} ${o.shape}`)));
          expect(present).toEqual([q.answer]);
        } else {
          const [, a, b] = /^where is (.+) relative to (.+)\?$/.exec(q.text)!;
          const [oa] = refersTo(objects, a!);
          const [ob] = refersTo(objects, b!);
          expect(refersTo(objects, a!)).toHaveLength(1);
          expect(q.answer).toBe(relationOf(oa!, ob!).answer);
        }
      }
    }
  });

  it('names relations straight and diagonal', () => {
    const at = (row: number, col: number): SceneObject => ({ shape: 'circle', colour: 'red', size: 'small', cell: { row, col } });
    expect(relationOf(at(0, 0), at(0, 2)).answer).toBe('left of');
    expect(relationOf(at(2, 1), at(0, 1)).answer).toBe('below');
    expect(relationOf(at(0, 2), at(1, 0)).answer).toBe('above and right of');
    expect(() => makeQuestion([at(0, 0)], world.vocabulary, new Generator(0), 'relation')).toThrow(/'relation' question cannot be asked/);
  });
});
