/**
 * `unihetero-train demo`: the README's quick end-to-end run. Trains a small exp2 model on the
 * shapes world (progress on stderr), then reports multiple-choice accuracy on the test and
 * held-out splits, writes a sheet of images generated from test captions judged by the shapes
 * world's judge (`samples.png` + `samples.svg`), and a caption -> semantic tokens -> caption
 * round trip (`roundtrip.txt`); the numbers also go to `report.json`.
 *
 * The budget (see README.md "The demo"): about 10 minutes in all on 2 CPU cores.
 */
import { join } from 'node:path';
import type { Backend } from '@unihetero/tensor';
import { diagnoseGeneration, evaluateUnderstanding, getRecipe, type Recipe } from '@unihetero/model';
import { writeSheet, type RgbImage } from '@unihetero/data';
import { writeFileAtomic } from './files.js';
import { plural, type AppIO } from './io.js';
import { stopExitCode } from '@unihetero/app-common';
import { createProgress, type Progress } from './progress.js';
import { resolveRunSpec } from './spec.js';
import { RUN_FILES, runTraining } from './train.js';
import type { ShapesModel } from '@unihetero/model';

/** The demo's recipe: model, data budget and evaluation sizes (see `@unihetero/model`'s recipes). */
export type DemoRecipe = Recipe;

/** The default recipe, sized for ~10 minutes on 2 CPU cores (see README.md "The demo"). */
export const DEMO_RECIPE: DemoRecipe = getRecipe('demo');

/** Images on each sheet the demo writes (samples.png, reconstructions.png). */
const SHEET_IMAGES = 16;

/** The `standard` recipe: about 30 minutes on 2 CPU cores (27 measured), the size that shows the method working. */
export const STANDARD_RECIPE: DemoRecipe = getRecipe('standard');

/** A seconds-long recipe for tests (`--tiny`). */
export const TINY_RECIPE: DemoRecipe = getRecipe('tiny');

/** Options of the demo. */
export interface DemoOptions {
  out: string;
  backend: Backend;
  recipe?: DemoRecipe;
  /** Override the recipe's training samples. */
  samples?: number;
  /** Continue an interrupted demo's training. */
  resume?: boolean;
  quiet?: boolean;
  seed?: number;
  /** Run the frozen semantic encoder on a worker thread (CPU backend; default true). */
  encoderWorker?: boolean;
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** Multiple-choice accuracy on `count` questions of `split`, in chunks so a bar can show progress. */
async function choiceAccuracy(built: ShapesModel, split: 'test' | 'heldout', count: number, progress: Progress): Promise<number> {
  const chunk = 16;
  let correct = 0;
  progress.start(`questions (${split})`, count, 0, 'questions', false);
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    const r = await evaluateUnderstanding(built.model, built.world, { split, count: n, start, batchSize: chunk });
    correct += Math.round(r.accuracy * n);
    progress.update(start + n, {});
  }
  progress.stop();
  return correct / count;
}

/** Run the demo; resolves to the exit code. */
export async function runDemo(options: DemoOptions, io: AppIO): Promise<number> {
  const recipe = options.recipe ?? DEMO_RECIPE;
  const out = options.out;
  const spec = resolveRunSpec(
    { preset: recipe.preset, config: recipe.config, seed: options.seed ?? 0, eval: { every: 0 }, trainer: { samples: options.samples ?? recipe.samples, batchSize: recipe.batchSize, lr: recipe.lr, ...structuredClone(recipe.trainer ?? {}) } },
    {},
  );
  const t0 = performance.now();
  const run = await runTraining({ spec, out, resume: options.resume, tag: 'demo', resumeCommand: `unihetero-train demo${recipe.name === 'standard' ? ' --recipe standard' : ''} --resume --out ${out}`, backend: options.backend, quiet: options.quiet, encoderWorker: options.encoderWorker, name: 'unihetero-train demo' }, io);
  if (run.code !== 0) return run.code;
  const trainMs = performance.now() - t0;
  const progress = createProgress(io.stderr, { quiet: options.quiet, notTTYSchedule: 2000 });
  const say = (line: string) => void io.stdout.write(`${line}\n`);
  const { built } = run;
  if (!('world' in built)) throw new Error('demo: the run did not train on the shapes world');

  const stopped = () => {
    if (!io.signal?.aborted) return false;
    progress.stop();
    io.stderr.write(`unihetero-train demo: interrupted during the evaluation; the trained checkpoint is ${run.checkpoint?.path}\n`);
    return true;
  };
  const tEval = performance.now();
  const test = await choiceAccuracy(built, 'test', recipe.questions, progress);
  if (stopped()) return stopExitCode(io.signal);
  const heldout = await choiceAccuracy(built, 'heldout', recipe.questions, progress);
  if (stopped()) return stopExitCode(io.signal);

  const steps = Math.min(recipe.generationSteps, built.model.numVisualTokens);
  progress.log(`generation ladder: ${recipe.images} test images per rung (decoder, semantics, end to end with ${steps} MAR steps), ${recipe.roundTrips} round trips`);
  const ladder = await diagnoseGeneration(built.model, built.world, { count: recipe.images, probeImages: recipe.probeImages, roundTrips: recipe.roundTrips, batchSize: 16, generate: { steps } });
  const gen = ladder.endToEnd;
  // The sheets show the first SHEET_IMAGES of each rung (the scores count them all).
  const sheet = await writeSheet(join(out, 'samples.png'), gen.images.slice(0, SHEET_IMAGES), gen.captions.slice(0, SHEET_IMAGES));
  await writeSheet(join(out, 'reconstructions.png'), ladder.decoder.images.slice(0, SHEET_IMAGES), ladder.decoder.captions.slice(0, SHEET_IMAGES));
  if (stopped()) return stopExitCode(io.signal);
  const rt = ladder.roundTrip;
  const rtLines = rt.examples.map((e) => `caption:    ${e.caption}\nround trip: ${e.roundTrip}\n`);
  const rtText =
    `Caption -> generated semantic tokens -> caption (no pixel decoder), ${built.preset.name} after ${run.trainer.step} training steps.\n` +
    `Object recall ${pct(rt.objectRecall)}, exact ${pct(rt.exact)}, unparsable ${pct(rt.unparsable)} over ${rt.count} test captions.\n\n` +
    rtLines.join('\n');
  await writeFileAtomic(join(out, 'roundtrip.txt'), rtText);
  const evalMs = performance.now() - tEval;

  const s = gen.scores;
  const rung = (x: { objectAccuracy: number; position: number; colour: number; shape: number; size: number; exact: number }) => ({ objects: x.objectAccuracy, position: x.position, colour: x.colour, shape: x.shape, size: x.size, exactImages: x.exact });
  const report = {
    recipe: recipe.name,
    preset: built.preset.name,
    steps: run.trainer.step,
    samples: run.trainer.samplesSeen,
    trainSeconds: Math.round(trainMs / 1000),
    evalSeconds: Math.round(evalMs / 1000),
    understanding: { test: { questions: recipe.questions, accuracy: test }, heldout: { questions: recipe.questions, accuracy: heldout } },
    ladder: {
      images: recipe.images,
      decoder: rung(ladder.decoder.scores),
      semantics: { ...rung(ladder.semantics.scores), ceiling: ladder.semantics.ceiling.objectAccuracy },
      endToEnd: rung(s),
    },
    roundTrip: { count: rt.count, objectRecall: rt.objectRecall, exact: rt.exact, unparsable: rt.unparsable, byObjectCount: rt.byObjectCount, misses: rt.misses, ceiling: ladder.roundTripCeiling, examples: rt.examples },
  };
  await writeFileAtomic(join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);

  const name = recipe.name === 'standard' ? 'standard run' : 'demo';
  say(`${name}: trained ${built.preset.name} on the shapes world for ${plural(run.trainer.step, 'step')} (${plural(run.trainer.samplesSeen, 'sample')}) in ${duration(trainMs)}; evaluation took ${duration(evalMs)}`);
  say(`understanding, multiple choice (chance 25%): test ${pct(test)} of ${recipe.questions} questions, held-out compositions ${pct(heldout)} of ${recipe.questions}`);
  say(`generation ladder, objects judged correct on ${recipe.images} test images: decoder ${pct(ladder.decoder.scores.objectAccuracy)} (real semantic tokens -> pixels), semantics ${pct(ladder.semantics.scores.objectAccuracy)} (caption -> semantic tokens, read by a probe; ceiling ${pct(ladder.semantics.ceiling.objectAccuracy)}), end to end ${pct(s.objectAccuracy)} (caption -> pixels)`);
  say(`  end to end: position ${pct(s.position)}, colour ${pct(s.colour)}, shape ${pct(s.shape)}, size ${pct(s.size)}, exact images ${pct(s.exact)}`);
  say(`round trip (caption -> semantic tokens -> caption): object recall ${pct(rt.objectRecall)} over ${rt.count} captions (ceiling ${pct(ladder.roundTripCeiling.objectRecall)}: the model's captions of the real images); for example:`);
  for (const e of rt.examples.slice(0, 3)) say(`  ${e.caption}\n  -> ${e.roundTrip || '(empty)'}`);
  say(`outputs in ${out}/:`);
  say(`  ${sheet.png.split('/').pop()}${sheet.svg ? ` and ${sheet.svg.split('/').pop()}` : ''}  images generated from test captions, with the captions (the first ${Math.min(SHEET_IMAGES, gen.images.length)})`);
  say(`  reconstructions.png  test images decoded from their real semantic tokens (the decoder rung; the first ${Math.min(SHEET_IMAGES, ladder.decoder.images.length)})`);
  say(`  roundtrip.txt  the round trips;  report.json  every number above`);
  say(`  ${RUN_FILES.metrics}, ${RUN_FILES.loss}, ${RUN_FILES.config}, ${RUN_FILES.checkpoint}  the training run`);
  return 0;
}
