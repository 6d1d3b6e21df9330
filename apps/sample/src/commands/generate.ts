/**
 * `unihetero-sample generate "<caption>" ... --out <dir>`: text -> image with the MAR loop and the
 * flow head (docs/method.md 10), every option of `generateImages` exposed. Writes one PNG per sample,
 * `sheet.png` (+ `sheet.svg`) with the captions, and `results.json`; scores each image with the
 * judge against its caption (shapes-world checkpoints; a checkpoint trained on `--data DIR` has no
 * judge, so its images are written unscored).
 */
import { writeFile } from 'node:fs/promises';
import { makeFolder } from '@unihetero/app-common';
import { join, resolve } from 'node:path';
import { generateImages } from '@unihetero/model';
import { Judge, writePng, writeSheet, type ImageScore, type RgbImage, type SceneObject } from '@unihetero/data';
import type { SampleIO } from '../io.js';
import { encodeText, parseObjects } from '../inputs.js';
import { startProgress } from '../progress.js';
import { closeSession, contextOf, openSession, vocabularyOf } from '../session.js';
import { UsageError } from '../io.js';
import { LIMITS, checkContext, checkSteps, generateOptions, type CommonOptions, type GenerateFlags } from './common.js';

/** Options of `generate`. */
export interface GenerateCommandOptions extends CommonOptions, GenerateFlags {
  captions: string[];
  out: string;
  /** Samples per caption; sample `k` draws from `new Generator(seed + k)`. */
  count: number;
}

/** The judge's reading of one image against its caption. */
export interface JudgeSummary {
  /** Fraction of the caption's objects with every attribute right. */
  objectAccuracy: number;
  position: number;
  colour: number;
  shape: number;
  size: number;
  /** Every object right and nothing extra. */
  exact: boolean;
}

/** One generated image (`image-<caption>.png`, or `image-<caption>-<sample>.png` with `--count` > 1). */
export interface GeneratedImage {
  caption: string;
  /** Index of the caption (0-based). */
  captionIndex: number;
  /** Sample index within the caption (0-based). */
  sample: number;
  seed: number;
  path: string;
  /** Null when the caption does not parse into objects (then there is nothing to judge against), or the checkpoint has no judge (`--data`). */
  judge: JudgeSummary | null;
}

/** What `generate` wrote. */
export interface GenerateResult {
  images: GeneratedImage[];
  sheet: { png: string; svg?: string };
  results: string;
  /** Mean object accuracy over judged images (NaN when none). */
  meanObjectAccuracy: number;
  exact: number;
  judged: number;
}

function summarize(s: ImageScore): JudgeSummary {
  return { objectAccuracy: s.objectAccuracy, position: s.position, colour: s.colour, shape: s.shape, size: s.size, exact: s.exact };
}

/** `judge 0.50 (position 1.00, colour 0.50, shape 1.00, size 1.00; exact no)`; `unscored` says why there is no score (default: the caption does not parse). */
export function formatJudge(j: JudgeSummary | null, unscored = 'judge n/a (caption does not parse)'): string {
  if (!j) return unscored;
  const f = (x: number) => x.toFixed(2);
  return `judge ${f(j.objectAccuracy)} (position ${f(j.position)}, colour ${f(j.colour)}, shape ${f(j.shape)}, size ${f(j.size)}; exact ${j.exact ? 'yes' : 'no'})`;
}

/** Generate `count` images per caption; see the module comment. */
export async function runGenerate(o: GenerateCommandOptions, io: SampleIO): Promise<GenerateResult> {
  if (o.captions.length * o.count > LIMITS.images) throw new UsageError(`generate: ${o.captions.length} captions x --count ${o.count} = ${o.captions.length * o.count} images; at most ${LIMITS.images} per command`);
  const s = await openSession(o.checkpoint, o.backend, io);
  try {
    checkSteps(o.steps, s.model.numVisualTokens);
    const prompts = o.captions.map((c, i) => encodeText(s.model.tokenizer, c, `caption ${i + 1}`, vocabularyOf(s)));
    // <bos> caption <boi> image
    prompts.forEach((p, i) => checkContext(contextOf(s), `caption ${i + 1}`, p.length, 2));
    const world = s.world;
    if (world === null) io.err(`generate: '${s.path}' was trained on --data '${s.data}'; there is no judge for such images, so they are written but not scored`);
    const targets: (SceneObject[] | null)[] = o.captions.map((c, i) => {
      if (world === null) return null;
      const p = parseObjects(world, c);
      if ('error' in p) {
        io.err(`generate: caption ${i + 1} "${c}" does not parse as a scene (${p.error}); its images are generated but not judged`);
        return null;
      }
      return p.objects;
    });
    const judge = world === null ? null : new Judge(world);
    await makeFolder(o.out, `--out '${o.out}'`);
    const digits = (n: number) => String(Math.max(0, n - 1)).length;
    const cw = digits(o.captions.length);
    const sw = digits(o.count);
    const images: GeneratedImage[] = [];
    const pictures: RgbImage[] = [];
    const progress = startProgress(io, 'generate', 'images', o.captions.length * o.count);
    for (let c = 0; c < o.captions.length; c++) {
      for (let k = 0; k < o.count; k++) {
        const seed = o.seed + k;
        const g = await generateImages(s.model, [prompts[c]!], generateOptions(o, seed));
        g.embeddings.dispose();
        g.predictions.dispose();
        g.latents?.dispose();
        const img = g.images![0]!;
        const path = join(o.out, `image-${String(c).padStart(cw, '0')}${o.count > 1 ? `-${String(k).padStart(sw, '0')}` : ''}.png`);
        await writePng(path, img);
        const target = targets[c];
        images.push({ caption: o.captions[c]!, captionIndex: c, sample: k, seed, path, judge: target && judge ? summarize(judge.score(img, target)) : null });
        pictures.push(img);
        progress.tick();
      }
    }
    progress.stop();
    // The sheet font has letters, digits and common punctuation (no brackets).
    const labels = images.map((im) => `${im.caption}${o.count > 1 ? ` (seed ${im.seed})` : ''} - ${im.judge ? `judge ${im.judge.objectAccuracy.toFixed(2)}` : 'not judged'}`);
    const sheet = await writeSheet(join(o.out, 'sheet.png'), pictures, labels, { columns: o.count > 1 ? o.count : undefined, maxLines: 6 });
    const judged = images.filter((im) => im.judge);
    const meanObjectAccuracy = judged.reduce((a, im) => a + im.judge!.objectAccuracy, 0) / judged.length;
    const exact = judged.filter((im) => im.judge!.exact).length;
    const results = join(o.out, 'results.json');
    const { captions: _c, out: _o, ...settings } = o;
    await writeFile(results, `${JSON.stringify({ checkpoint: o.checkpoint, step: s.step, preset: s.preset.name, ...(s.data !== null ? { data: s.data } : {}), settings, images, summary: { judged: judged.length, meanObjectAccuracy: judged.length ? meanObjectAccuracy : null, exact } }, null, 2)}\n`);
    for (const im of images) io.out(`${im.path}  "${im.caption}"  seed ${im.seed}  ${formatJudge(im.judge, world === null ? 'not judged (--data checkpoint)' : undefined)}`);
    io.out(
      `generated ${images.length} image${images.length === 1 ? '' : 's'} from ${o.captions.length} caption${o.captions.length === 1 ? '' : 's'} into ${resolve(o.out)}` +
        ` (sheet ${sheet.png}${sheet.svg ? ` and ${sheet.svg}` : ''}, details ${results})`,
    );
    if (judged.length) io.out(`judge: mean object accuracy ${meanObjectAccuracy.toFixed(3)} over ${judged.length} image${judged.length === 1 ? '' : 's'}, ${exact} exact`);
    return { images, sheet, results, meanObjectAccuracy, exact, judged: judged.length };
  } finally {
    closeSession(s);
  }
}
