/**
 * What training and evaluation need from a dataset, as small interfaces: a split-aware source of
 * image-text samples, a tokenizer, and an optional judge of generated images. The shapes world
 * (`ShapesWorld` of `@unihetero/data`, its `wordTokenizer` and `Judge`) is one implementation; a
 * folder of PNG + caption pairs (`readImageFolder` of `@unihetero/data`) is another.
 */
import type { RgbImage } from '@unihetero/data';

/** The special tokens the model's sequence layout needs. */
export interface TextSpecialIds {
  bos: number;
  eos: number;
  pad: number;
  /** Begin of an image span. */
  boi: number;
  /** End of an image span. */
  eoi: number;
}

/** A tokenizer as the model uses it (every tokenizer of `@unihetero/data` is one). */
export interface TextTokenizer {
  /** Number of ids (every id is in [0, vocabSize)). */
  readonly vocabSize: number;
  /** Special-token ids. */
  readonly special: Readonly<TextSpecialIds>;
  /** Text to ids (optionally wrapped in `<bos>` / `<eos>`). */
  encode(text: string, options?: { bos?: boolean; eos?: boolean }): number[];
  /** Ids to text (`skipSpecial` drops special tokens). */
  decode(ids: ArrayLike<number>, options?: { skipSpecial?: boolean }): string;
}

/** One image-text pair from a sample source. */
export interface SourceSample {
  /** An RGB image of the source's `imageSize`. */
  image: RgbImage;
  /** Its caption (the training text). */
  caption: string;
  /** The reference caption for evaluation and `mix.captionStyle: 'canonical'` (default: `caption`). */
  canonicalCaption?: string;
  /** A question about the image and its answer, for question-answer understanding examples (`mix.questionFraction`); without one, understanding examples caption the image. */
  question?: { text: string; answer: string };
}

/** A split-aware, deterministic source of image-text samples. */
export interface SampleSource<S extends SourceSample = SourceSample> {
  /** Height and width of every image (must equal the model's `imageSize`). */
  readonly imageSize: readonly [number, number];
  /** Distinct samples in `split` (`Infinity` for a procedural source; 0 for an unknown or empty split). */
  size(split: string): number;
  /** Samples `start .. start + count - 1` of `split` (the same every call; a finite source may wrap around). */
  samples(split: string, start: number, count: number): S[];
}

/** Scores images generated from samples' captions (e.g. the shapes world's deterministic judge). */
export interface GenerationJudge<S extends SourceSample = SourceSample> {
  /** Named scores (each in [0, 1]) of `images[i]` generated from the caption of `samples[i]`. */
  score(images: readonly RgbImage[], samples: readonly S[]): Record<string, number>;
}

/** The text a sample is evaluated against: its canonical caption, else its caption. */
export function referenceCaption(s: SourceSample): string {
  return s.canonicalCaption ?? s.caption;
}

/** Check that `source`'s images have the model's size; `op` names the caller. */
export function checkSourceImageSize(op: string, source: SampleSource<SourceSample>, imageSize: readonly [number, number]): void {
  const [h, w] = source.imageSize;
  if (h !== imageSize[0] || w !== imageSize[1]) throw new Error(`${op}: the sample source's images are ${h}x${w}, the model sees ${imageSize[0]}x${imageSize[1]} images`);
}
