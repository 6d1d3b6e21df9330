/**
 * `evaluate` on a checkpoint of `unihetero-train --data DIR`: the model is rebuilt with the caption
 * vocabulary the checkpoint saved, and measured on the folder's pairs (its test split; the train
 * split when it has no test pair) the way training measures it: greedy captions against the
 * reference captions (exact, word recall, word precision) and images generated from those captions
 * compared with the folder's images (mean absolute pixel error). Multiple choice, the judge, the
 * round trip and the semantics rung need the shapes world and are not measured (`--semantics-count`
 * given explicitly is refused).
 */
import { Generator } from '@unihetero/tensor';
import { readImageFolder, type FolderSource, type RgbImage } from '@unihetero/data';
import { evaluateCaptioning, evaluateGeneration, type LoadedModel } from '@unihetero/model';
import { UsageError, describeError } from '@unihetero/app-common';
import type { EvalSettings } from './metrics.js';
import { markdownTable } from './report.js';

/** The numbers of a `--data` checkpoint's evaluation. */
export interface FolderMetrics {
  /** The folder evaluated on, and its split. */
  data: string;
  split: 'test' | 'train';
  /** Greedy captions against the folder's captions (null when `captionCount` is 0). */
  captions: { count: number; exact: number; wordRecall: number; wordPrecision: number; examples: { truth: string; caption: string }[] } | null;
  /** Images generated from the captions against the folder's images (null when `generationCount` is 0). */
  generation: { count: number; meanAbsError: number } | null;
  /** Seconds the evaluation took. */
  seconds: number;
}

/**
 * The error of a command that needs the shapes world on a checkpoint trained on a data folder:
 * `<command> needs <what>; '<checkpoint>' was trained on --data '<dir>', not on the shapes world`.
 */
export function needsShapesWorld(command: string, what: string, checkpoint: string, data: string): UsageError {
  return new UsageError(`${command} needs ${what}; '${checkpoint}' was trained on --data '${data}', not on the shapes world`);
}

/** Read the folder (`dir`) of a `--data` checkpoint and check that its captions fit the checkpoint's vocabulary. */
async function openFolder(loaded: LoadedModel, checkpoint: string, dir: string, given: boolean): Promise<FolderSource> {
  let folder: FolderSource;
  try {
    folder = await readImageFolder(dir, { imageSize: loaded.model.imageSize });
  } catch (e) {
    const how = given ? '' : ` (the folder it was trained on; pass --data DIR where it lives now)`;
    throw new UsageError(`evaluate: '${checkpoint}' is measured on its data folder '${dir}'${how}: ${describeError(e).replace(/^readImageFolder: /, '')}`, { cause: e });
  }
  for (const split of ['train', 'test'] as const) {
    for (const s of folder.splits[split]) {
      try {
        loaded.model.tokenizer.encode(s.caption);
      } catch (e) {
        throw new UsageError(`evaluate: the caption of '${s.name}' in '${dir}' does not fit the vocabulary saved in '${checkpoint}' (${describeError(e).replace(/ of "[\s\S]*"$/, '')}); evaluate on the folder the checkpoint was trained on`);
      }
    }
  }
  return folder;
}

/**
 * Measure a `--data` checkpoint on its folder (`options.data`, else the one it was trained on);
 * returns the numbers and the generated images with their captions. The semantics rung is skipped
 * (`s.semanticsCount` is the shapes-world recipe's default), and refused when `options.semanticsAsked`.
 */
export async function measureFolderModel(loaded: LoadedModel, checkpoint: string, s: EvalSettings, options: { data?: string; semanticsAsked?: boolean } = {}): Promise<{ metrics: FolderMetrics; images: RgbImage[]; imageCaptions: string[] }> {
  const dataOverride = options.data;
  if (options.semanticsAsked) throw needsShapesWorld('evaluate --semantics-count', "the shapes world (the semantics rung's probe reads shapes-world cells)", checkpoint, loaded.data ?? '?');
  const dir = dataOverride ?? loaded.data!;
  const folder = await openFolder(loaded, checkpoint, dir, dataOverride !== undefined);
  const t0 = performance.now();
  const split = folder.size('test') > 0 ? 'test' : 'train';
  const n = folder.size(split);
  let captions: FolderMetrics['captions'] = null;
  if (s.captionCount > 0) {
    const c = await evaluateCaptioning(loaded.model, folder, { split, count: Math.min(s.captionCount, n), batchSize: s.batchSize });
    captions = { count: c.count, exact: c.exact, wordRecall: c.wordRecall, wordPrecision: c.wordPrecision, examples: c.examples };
  }
  let generation: FolderMetrics['generation'] = null;
  let images: RgbImage[] = [];
  let imageCaptions: string[] = [];
  if (s.generationCount > 0) {
    const steps = Math.min(s.generationSteps, loaded.model.numVisualTokens);
    const g = await evaluateGeneration(loaded.model, folder, { split, count: Math.min(s.generationCount, n), batchSize: s.batchSize, generate: { ...s.generate, steps, flowSteps: s.flowSteps, generator: new Generator(s.seed) } });
    generation = { count: g.count, meanAbsError: g.meanAbsError };
    images = g.images;
    imageCaptions = g.captions;
  }
  return { metrics: { data: dir, split, captions, generation, seconds: (performance.now() - t0) / 1000 }, images, imageCaptions };
}

const f4 = (x: number) => x.toFixed(4);

/** The table `evaluate` prints for a `--data` checkpoint. */
export function folderMetricsTable(m: FolderMetrics): string {
  const rows: string[][] = [];
  if (m.captions) rows.push(['caption exact', f4(m.captions.exact), `${m.captions.count}`], ['caption word recall', f4(m.captions.wordRecall), `${m.captions.count}`], ['caption word precision', f4(m.captions.wordPrecision), `${m.captions.count}`]);
  if (m.generation) rows.push(['generation mean pixel error', f4(m.generation.meanAbsError), `${m.generation.count}`]);
  if (rows.length === 0) return 'nothing measured (--caption-count and --gen-count are 0)';
  return markdownTable(['metric', 'value', 'samples'], rows);
}
