/**
 * `unihetero-eval evaluate --checkpoint <file>`: rebuilds the model a checkpoint was trained as,
 * measures understanding (multiple-choice accuracy on test and heldout, caption accuracy),
 * generation (the judge on images generated from test captions) and the round trip, prints a
 * table, and writes a sample sheet of the generated images and optionally the numbers as JSON.
 * A checkpoint of `unihetero-train --data DIR` is measured on its folder instead (`folder.ts`).
 */
import { writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import type { Backend } from '@unihetero/tensor';
import { writeSheet, type RgbImage } from '@unihetero/data';
import { loadModel } from '@unihetero/model';
import { previousCheckpointPath, verifyCheckpoint } from '@unihetero/nn';
import { UsageError, describeError } from '@unihetero/app-common';
import type { EvalIO } from './io.js';
import { measureModel, type EvalSettings, type ModelMetrics } from './metrics.js';
import { markdownTable } from './report.js';
import { folderMetricsTable, measureFolderModel, type FolderMetrics } from './folder.js';

/** Options of `runEvaluate`. */
export interface EvaluateOptions {
  checkpoint: string;
  eval: EvalSettings;
  /** Write the numbers here as JSON. */
  json?: string;
  /** The sample sheet (PNG, plus an SVG beside it); default `<checkpoint>-samples.png`; null skips it. */
  sheet?: string | null;
  /** The data folder of a `--data` checkpoint (default: the one it was trained on); refused for a shapes-world checkpoint. */
  data?: string;
  /** `--semantics-count` was given (refused for a `--data` checkpoint; the recipe's default is skipped there). */
  semanticsAsked?: boolean;
}

const f4 = (x: number | undefined | null) => (typeof x === 'number' ? x.toFixed(4) : 'n/a');

/** The table `evaluate` prints. */
export function metricsTable(m: ModelMetrics): string {
  const rows: string[][] = [
    ['MC accuracy (test)', `${f4(m.test.accuracy)} ± ${f4(m.test.standardError)}`, `${m.test.count}`],
    ['MC accuracy (heldout)', `${f4(m.heldout.accuracy)} ± ${f4(m.heldout.standardError)}`, `${m.heldout.count}`],
  ];
  if (m.captions) rows.push(['caption exact', f4(m.captions.exact), `${m.captions.count}`], ['caption object recall', f4(m.captions.objectRecall), `${m.captions.count}`]);
  if (m.generation) {
    const g = m.generation;
    rows.push(['judge object accuracy', f4(g.objectAccuracy), `${g.count}`]);
    for (const k of ['position', 'colour', 'shape', 'size', 'exact'] as const) rows.push([`judge ${k === 'exact' ? 'exact images' : k}`, f4(g[k]), `${g.count}`]);
  }
  if (m.semantics) rows.push(['semantics rung object accuracy (probe)', f4(m.semantics.objectAccuracy), `${m.semantics.count}`], ['semantics rung probe ceiling', f4(m.semantics.ceiling), `${m.semantics.count}`]);
  if (m.roundTrip) rows.push(['round-trip object recall', f4(m.roundTrip.objectRecall), `${m.roundTrip.count}`], ['round-trip exact', f4(m.roundTrip.exact), `${m.roundTrip.count}`], ['round-trip unparsable', f4(m.roundTrip.unparsable), `${m.roundTrip.count}`]);
  return markdownTable(['metric', 'value', 'samples'], rows);
}

/** Evaluate a checkpoint; returns the metrics (also printed and written): `ModelMetrics` on the shapes world, `FolderMetrics` for a `--data` checkpoint. */
export async function runEvaluate(o: EvaluateOptions, backend: Backend, io: EvalIO): Promise<ModelMetrics | FolderMetrics> {
  if (!existsSync(o.checkpoint)) throw new UsageError(`evaluate: checkpoint '${o.checkpoint}' does not exist`);
  try {
    await verifyCheckpoint(o.checkpoint);
  } catch (e) {
    const prev = previousCheckpointPath(o.checkpoint);
    const remedy = existsSync(prev) ? `evaluate the previous checkpoint '${prev}' instead, or resume its training run` : 'resume its training run or train a new one';
    throw new UsageError(`evaluate: checkpoint '${o.checkpoint}' cannot be used: ${describeError(e)}; ${remedy}`, { cause: e });
  }
  io.progress(`evaluate: loading ${o.checkpoint}`);
  const loaded = await loadModel(o.checkpoint, backend);
  const { model, world, preset, step } = loaded;
  try {
    if (world !== null && o.data !== undefined) throw new UsageError(`evaluate: --data is for checkpoints of unihetero-train --data; '${o.checkpoint}' was trained on the shapes world`);
    const written: string[] = [];
    const save = async (images: RgbImage[], imageCaptions: string[], metrics: ModelMetrics | FolderMetrics) => {
      const sheet = o.sheet === undefined ? `${o.checkpoint.replace(/\.safetensors$/, '')}-samples.png` : o.sheet;
      if (sheet && images.length > 0) {
        const w = await writeSheet(sheet, images, imageCaptions);
        written.push(w.png, ...(w.svg ? [w.svg] : []));
      }
      if (o.json) {
        await writeFile(o.json, JSON.stringify({ checkpoint: o.checkpoint, preset: preset.name, step, settings: o.eval, metrics }, null, 2) + '\n');
        written.push(o.json);
      }
    };
    if (world === null) {
      io.progress(`evaluate: ${preset.name} at step ${step}, trained on --data '${loaded.data}'; ${o.eval.captionCount} captions, ${o.eval.generationCount} images`);
      const { metrics, images, imageCaptions } = await measureFolderModel(loaded, o.checkpoint, o.eval, { data: o.data, semanticsAsked: o.semanticsAsked });
      io.out(`${o.checkpoint} (${preset.name}, step ${step}; trained on --data '${loaded.data}'), ${metrics.split} split of '${metrics.data}'\n`);
      io.out(folderMetricsTable(metrics));
      io.out('\nnot measured (they need the shapes world): multiple-choice accuracy, the judge, the round trip, the semantics rung');
      await save(images, imageCaptions, metrics);
      if (metrics.captions?.examples.length) io.out(`\ncaption: "${metrics.captions.examples[0]!.truth}" -> "${metrics.captions.examples[0]!.caption}"`);
      io.out(written.length ? `\nWrote ${written.join(', ')}.` : '\nNothing written (no --json; no generated images).');
      return metrics;
    }
    io.progress(`evaluate: ${preset.name} at step ${step}; ${o.eval.count} questions per split, ${o.eval.generationCount} images, ${o.eval.roundTripCount} round trips`);
    const { metrics, images, imageCaptions } = await measureModel(model, world, o.eval);
    io.out(`${o.checkpoint} (${preset.name}, step ${step})\n`);
    io.out(metricsTable(metrics));
    await save(images, imageCaptions, metrics);
    if (metrics.roundTrip?.examples.length) io.out(`\nround trip: "${metrics.roundTrip.examples[0]!.caption}" -> "${metrics.roundTrip.examples[0]!.roundTrip}"`);
    io.out(written.length ? `\nWrote ${written.join(', ')}.` : '\nNothing written (no --json; no generated images).');
    return metrics;
  } finally {
    model.dispose();
  }
}
