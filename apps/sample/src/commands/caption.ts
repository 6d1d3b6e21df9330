/** `unihetero-sample caption <png...>`: one caption per image through the understanding path, in the checkpoint's vocabulary. */
import { Generator } from '@unihetero/tensor';
import { describeImages } from '@unihetero/model';
import { imagesToTensor, type RgbImage } from '@unihetero/data';
import type { SampleIO } from '../io.js';
import { readInputPng } from '../inputs.js';
import { startProgress } from '../progress.js';
import { closeSession, contextOf, imageSide, openSession, type Session } from '../session.js';
import { UsageError } from '../io.js';
import { LIMITS, checkMaxTokens, type CommonOptions } from './common.js';

/** Options of `caption`. */
export interface CaptionCommandOptions extends CommonOptions {
  files: string[];
  /** Most tokens per caption (default 48). */
  maxTokens: number;
  /** 0 = greedy (default); otherwise sampling temperature. */
  temperature: number;
  topK?: number;
  topP?: number;
  /** Images per forward when decoding greedily (default 16). */
  batchSize: number;
}

/** One captioned file. */
export interface CaptionResult {
  file: string;
  caption: string;
}

/**
 * Caption every file. Greedy decoding runs in batches; with `temperature > 0` each image is
 * sampled alone from `new Generator(seed)`, so its caption does not depend on the other files.
 */
export async function runCaption(o: CaptionCommandOptions, io: SampleIO): Promise<CaptionResult[]> {
  if (o.files.length > LIMITS.images) throw new UsageError(`caption: ${o.files.length} images; at most ${LIMITS.images} per command (split them into several runs)`);
  const s = await openSession(o.checkpoint, o.backend, io);
  try {
    checkMaxTokens(contextOf(s), o.maxTokens);
    const size = imageSide(s);
    const images: RgbImage[] = [];
    for (const f of o.files) images.push(await readInputPng(f, size));
    const sampling = o.temperature > 0;
    const batch = sampling ? 1 : o.batchSize;
    const results: CaptionResult[] = [];
    const progress = startProgress(io, 'caption', 'images', images.length);
    for (let i = 0; i < images.length; i += batch) {
      const caps = await captionBatch(s, images.slice(i, i + batch), o);
      caps.forEach((caption, k) => {
        const file = o.files[i + k]!;
        results.push({ file, caption });
      });
      progress.tick(caps.length);
    }
    progress.stop();
    for (const r of results) io.out(`${r.file}: ${r.caption}`);
    return results;
  } finally {
    closeSession(s);
  }
}

async function captionBatch(s: Session, images: RgbImage[], o: CaptionCommandOptions): Promise<string[]> {
  const t = imagesToTensor(images, s.backend);
  try {
    return await describeImages(s.model, t, { maxTokens: o.maxTokens, temperature: o.temperature, topK: o.topK, topP: o.topP, generator: new Generator(o.seed) });
  } finally {
    t.dispose();
  }
}
