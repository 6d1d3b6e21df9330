/**
 * Multiple-choice questions about a scene: four options, exactly one true, with its letter.
 *
 * Kinds: `colour` ("what colour is the circle at the top?"), `shape`, `position` ("where is the
 * small red ring?"), `count` ("how many objects are there?", "how many blue objects are there?"),
 * `relation` ("where is the red circle relative to the blue square?": left of / right of / above /
 * below, or the four diagonal combinations) and `existence` ("which of these objects is in the
 * image?"). Objects are referred to by their shortest unique description.
 */
import type { Generator } from '@unihetero/tensor';
import { pick, sampleWithoutReplacement, shuffle } from './rng.js';
import { NUMBER_WORDS, POSITION_NAMES, POSITION_PHRASES, SIZE_WORDS, cellIndex } from './text.js';
import { QUESTION_KINDS, type Question, type QuestionKind, type SceneObject } from './types.js';

/** What the question generator needs to know about the world. */
export interface QuestionVocabulary {
  shapes: readonly string[];
  colours: readonly string[];
  maxObjects: number;
}

/** Question texts; `{ref}`, `{a}`, `{b}` are object descriptions ("the red circle"), `{colour}` a colour. */
export const QUESTION_TEXTS = Object.freeze({
  colour: 'what colour is {ref}?',
  shape: 'what shape is {ref}?',
  position: 'where is {ref}?',
  count: 'how many objects are there?',
  colourCount: 'how many {colour} objects are there?',
  relation: 'where is {a} relative to {b}?',
  existence: 'which of these objects is in the image?',
});

/** Relation options: straight (same row or column) and diagonal. */
export const RELATION_OPTIONS = Object.freeze({
  straight: Object.freeze(['left of', 'right of', 'above', 'below']),
  diagonal: Object.freeze(['above and left of', 'above and right of', 'below and left of', 'below and right of']),
});

/** Words of object descriptions besides attribute values: "the ... object", "a/an <colour> <shape>". */
export const DESCRIPTION_WORDS: readonly string[] = Object.freeze(['the', 'object', 'a', 'an']);

/** "an" before a vowel, else "a". */
export function article(word: string): 'a' | 'an' {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

/** Answer letters. */
export const OPTION_LETTERS = ['A', 'B', 'C', 'D'] as const;

type Attr = 'shape' | 'colour' | 'size' | 'position';

const ATTR_SETS: Attr[][] = (() => {
  const attrs: Attr[] = ['shape', 'colour', 'size', 'position'];
  const sets: Attr[][] = [];
  for (let m = 1; m < 16; m++) sets.push(attrs.filter((_, k) => (m >> k) & 1));
  // Fewest attributes first; among equals prefer shape, then colour, then size, and position last.
  const cost = (s: Attr[]): number => s.length * 100 + (s.includes('position') ? 50 : 0) + (s.includes('size') ? 10 : 0) + (s.includes('colour') ? 1 : 0);
  return sets.sort((a, b) => cost(a) - cost(b));
})();

function matches(o: SceneObject, t: SceneObject, attrs: readonly Attr[]): boolean {
  return attrs.every((a) => (a === 'position' ? cellIndex(o.cell) === cellIndex(t.cell) : o[a] === t[a]));
}

/**
 * The shortest description ("the red circle", "the object at the top left") that picks out `target`
 * among `objects` without using the attributes in `exclude`, or undefined when none is unique.
 */
export function describe(target: SceneObject, objects: readonly SceneObject[], exclude: readonly Attr[] = []): string | undefined {
  for (const attrs of ATTR_SETS) {
    if (attrs.some((a) => exclude.includes(a))) continue;
    if (objects.filter((o) => matches(o, target, attrs)).length !== 1) continue;
    const words = ['the'];
    if (attrs.includes('size')) words.push(SIZE_WORDS[target.size][0]!);
    if (attrs.includes('colour')) words.push(target.colour);
    words.push(attrs.includes('shape') ? target.shape : 'object');
    if (attrs.includes('position')) words.push(POSITION_PHRASES[target.cell.row]![target.cell.col]![0]!);
    return words.join(' ');
  }
  return undefined;
}

const LETTERS = OPTION_LETTERS;

function finish(kind: QuestionKind, text: string, correct: string, wrong: readonly string[], gen: Generator): Question {
  if (wrong.length !== 3 || new Set([correct, ...wrong]).size !== 4) {
    throw new Error(`makeQuestion: ${kind} question needs 3 distinct wrong options, got [${wrong.join(', ')}] for '${correct}'`);
  }
  const options = shuffle(gen, [correct, ...wrong]) as [string, string, string, string];
  const answerIndex = options.indexOf(correct);
  const prompt = `${text} ${options.map((o, k) => `(${LETTERS[k]}) ${o}`).join(' ')}`;
  return { text, options, answerIndex, answerLetter: LETTERS[answerIndex]!, answer: correct, prompt, kind };
}

function others<T>(all: readonly T[], exclude: T): T[] {
  return all.filter((x) => x !== exclude);
}

/** The relation of `a` to `b` as an option text, and the three other options of its group. */
export function relationOf(a: SceneObject, b: SceneObject): { answer: string; group: readonly string[] } {
  const dr = a.cell.row - b.cell.row;
  const dc = a.cell.col - b.cell.col;
  if (dr === 0 && dc === 0) throw new Error('relationOf: the two objects share a cell');
  if (dr === 0 || dc === 0) {
    const answer = dr === 0 ? (dc < 0 ? 'left of' : 'right of') : dr < 0 ? 'above' : 'below';
    return { answer, group: RELATION_OPTIONS.straight };
  }
  const answer = `${dr < 0 ? 'above' : 'below'} and ${dc < 0 ? 'left' : 'right'} of`;
  return { answer, group: RELATION_OPTIONS.diagonal };
}

/** The question kinds that can be asked about these objects. */
export function applicableKinds(objects: readonly SceneObject[], vocab: QuestionVocabulary): QuestionKind[] {
  return QUESTION_KINDS.filter((k) => {
    if (k === 'shape') return vocab.shapes.length >= 4;
    if (k === 'position') return objects.some((o) => describe(o, objects, ['position']) !== undefined);
    if (k === 'relation') return objects.length >= 2;
    if (k === 'existence') return vocab.shapes.length * vocab.colours.length - new Set(objects.map((o) => `${o.colour} ${o.shape}`)).size >= 3;
    return true;
  });
}

/** A random multiple-choice question about `objects` (of `kind`, or of a random applicable kind). */
export function makeQuestion(objects: readonly SceneObject[], vocab: QuestionVocabulary, gen: Generator, kind?: QuestionKind): Question {
  if (objects.length === 0) throw new Error('makeQuestion: a scene needs at least one object');
  const kinds = applicableKinds(objects, vocab);
  const k = kind ?? pick(gen, kinds);
  if (!kinds.includes(k)) throw new Error(`makeQuestion: a '${k}' question cannot be asked about this scene (applicable: ${kinds.join(', ')})`);
  switch (k) {
    case 'colour': {
      const t = pick(gen, objects);
      const desc = describe(t, objects, ['colour'])!;
      return finish(k, QUESTION_TEXTS.colour.replace('{ref}', desc), t.colour, sampleWithoutReplacement(gen, others(vocab.colours, t.colour), 3), gen);
    }
    case 'shape': {
      const t = pick(gen, objects);
      const desc = describe(t, objects, ['shape'])!;
      return finish(k, QUESTION_TEXTS.shape.replace('{ref}', desc), t.shape, sampleWithoutReplacement(gen, others(vocab.shapes, t.shape), 3), gen);
    }
    case 'position': {
      const t = pick(gen, objects.filter((o) => describe(o, objects, ['position']) !== undefined));
      const desc = describe(t, objects, ['position'])!;
      const name = POSITION_NAMES[cellIndex(t.cell)]!;
      return finish(k, QUESTION_TEXTS.position.replace('{ref}', desc), name, sampleWithoutReplacement(gen, others(POSITION_NAMES, name), 3), gen);
    }
    case 'count': {
      if (gen.int(2) === 0) {
        const n = objects.length;
        const pool = Array.from({ length: Math.max(4, vocab.maxObjects) }, (_, i) => i + 1);
        return finish(k, QUESTION_TEXTS.count, NUMBER_WORDS[n]!, sampleWithoutReplacement(gen, others(pool, n), 3).map((v) => NUMBER_WORDS[v]!), gen);
      }
      const colour = pick(gen, vocab.colours);
      const n = objects.filter((o) => o.colour === colour).length;
      const pool = Array.from({ length: Math.max(4, vocab.maxObjects + 1) }, (_, i) => i);
      return finish(k, QUESTION_TEXTS.colourCount.replace('{colour}', colour), NUMBER_WORDS[n]!, sampleWithoutReplacement(gen, others(pool, n), 3).map((v) => NUMBER_WORDS[v]!), gen);
    }
    case 'relation': {
      const [a, b] = sampleWithoutReplacement(gen, objects, 2) as [SceneObject, SceneObject];
      const da = describe(a, objects, ['position']) ?? describe(a, objects)!;
      const db = describe(b, objects, ['position']) ?? describe(b, objects)!;
      const { answer, group } = relationOf(a, b);
      return finish(k, QUESTION_TEXTS.relation.replace('{a}', da).replace('{b}', db), answer, others(group, answer), gen);
    }
    case 'existence': {
      const t = pick(gen, objects);
      const present = new Set(objects.map((o) => `${o.colour} ${o.shape}`));
      const absent: string[] = [];
      for (const c of vocab.colours) for (const s of vocab.shapes) if (!present.has(`${c} ${s}`)) absent.push(`${article(c)} ${c} ${s}`);
      return finish(k, QUESTION_TEXTS.existence, `${article(t.colour)} ${t.colour} ${t.shape}`, sampleWithoutReplacement(gen, absent, 3), gen);
    }
    default:
      throw new Error(`makeQuestion: unknown kind '${String(k)}'`);
  }
}
