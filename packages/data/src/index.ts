/**
 * @unihetero/data: the synthetic shapes world (procedural images, captions and multiple-choice
 * questions, deterministic from seed and index, with disjoint and held-out-composition splits), a
 * deterministic image judge, tokenizers behind one interface (byte, word, Hugging Face), PNG I/O,
 * sample sheets and tensor batching. See DESIGN.md (The embedded default) and docs/method.md section 14.
 */
export * from './types.js';
export * from './config.js';
export { fnv1a, mixSeed, streamFor, pick, shuffle, sampleWithoutReplacement } from './rng.js';
export { SIZE_FRACTION, gridLayout, insideShape, shapeMask, cellOrigin, type GridLayout } from './raster.js';
export { SceneRenderer, validateScene } from './render.js';
export * from './text.js';
export * from './questions.js';
export * from './world.js';
export * from './judge.js';
export * from './image.js';
export * from './png.js';
export * from './font.js';
export * from './sheet.js';
export * from './tokenizer.js';
export * from './vocab.js';
export * from './hf.js';
export * from './batch.js';
export * from './folder.js';
