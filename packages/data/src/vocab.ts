/**
 * The shapes world's word vocabulary, collected from the same constants the caption and question
 * templates use, so every text a world can produce is covered.
 */
import { DESCRIPTION_WORDS, OPTION_LETTERS, QUESTION_TEXTS, RELATION_OPTIONS } from './questions.js';
import { CAPTION_FRAMES, NUMBER_WORDS, POSITION_NAMES, POSITION_PHRASES, SIZE_WORDS, splitWords } from './text.js';
import { WordTokenizer } from './tokenizer.js';
import { defaultWorld, type ShapesWorld } from './world.js';

/** Every word and punctuation mark the world's captions and questions can contain, sorted. */
export function worldVocabulary(world: ShapesWorld = defaultWorld()): string[] {
  const words = new Set<string>();
  const add = (text: string): void => {
    for (const w of splitWords(text.replace(/\{[a-z]+\}/g, ' '))) words.add(w);
  };
  for (const f of [...CAPTION_FRAMES.one, ...CAPTION_FRAMES.many]) add(f);
  for (const q of Object.values(QUESTION_TEXTS)) add(q);
  for (const o of [...RELATION_OPTIONS.straight, ...RELATION_OPTIONS.diagonal]) add(o);
  for (const row of POSITION_PHRASES) for (const cell of row) for (const p of cell) add(p);
  POSITION_NAMES.forEach(add);
  NUMBER_WORDS.forEach(add);
  for (const ws of Object.values(SIZE_WORDS)) ws.forEach(add);
  DESCRIPTION_WORDS.forEach(add);
  add(', and'); // list joins
  for (const l of OPTION_LETTERS) add(`(${l})`);
  world.config.shapes.forEach(add);
  world.config.colours.forEach(add);
  return [...words].sort();
}

/** A word-level tokenizer over the world's vocabulary (default: the default world). */
export function wordTokenizer(world: ShapesWorld = defaultWorld()): WordTokenizer {
  return new WordTokenizer(worldVocabulary(world));
}
