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
import { evaluateGeneration, evaluateRoundTrip, evaluateUnderstanding, type ModelConfigInput } from '@unihetero/model';
import { writeSheet, type RgbImage } from '@unihetero/data';
import { writeFileAtomic } from './files.js';
import { plural, type AppIO } from './io.js';
import { stopExitCode } from '@unihetero/app-common';
import { createProgress, type Progress } from './progress.js';
import { resolveRunSpec } from './spec.js';
import { RUN_FILES, runTraining } from './train.js';
import type { ShapesModel } from '@unihetero/model';

/** The demo's recipe: model size, data budget and evaluation sizes. */
export interface DemoRecipe {
  config: Partial<ModelConfigInput>;
  samples: number;
  batchSize: number;
  lr: number;
  /** Multiple-choice questions per split (test and held-out). */
  questions: number;
  /** Images generated for the sheet (and judged). */
  images: number;
  /** MAR steps of those generations. */
  generationSteps: number;
  /** Captions sent through the round trip. */
  roundTrips: number;
}

/**
 * The default recipe, sized for ~10 minutes on 2 CPU cores (measured: see README.md "The demo"):
 * a 64-wide, 2-layer backbone and a 64-wide, 2-block flow head, 16-sample batches, 400 steps.
 */
export const DEMO_RECIPE: DemoRecipe = {
  config: { backbone: { hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 4 }, flow: { width: 64, depth: 2 } },
  samples: 6400,
  batchSize: 16,
  lr: 3e-3,
  questions: 200,
  images: 16,
  generationSteps: 8,
  roundTrips: 8,
};

/** A seconds-long recipe for tests (`--tiny`). */
export const TINY_RECIPE: DemoRecipe = {
  config: { backbone: { hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 2 }, flow: { width: 32, depth: 1 } },
  samples: 8,
  batchSize: 4,
  lr: 3e-3,
  questions: 4,
  images: 2,
  generationSteps: 2,
  roundTrips: 2,
};

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
    { preset: 'exp2', config: recipe.config, seed: options.seed ?? 0, eval: { every: 0 }, trainer: { samples: options.samples ?? recipe.samples, batchSize: recipe.batchSize, lr: recipe.lr } },
    {},
  );
  const t0 = performance.now();
  const run = await runTraining({ spec, out, resume: options.resume, tag: 'demo', resumeCommand: `unihetero-train demo --resume --out ${out}`, backend: options.backend, quiet: options.quiet, name: 'unihetero-train demo' }, io);
  if (run.code !== 0) return run.code;
  const trainMs = performance.now() - t0;
  const progress = createProgress(io.stderr, { quiet: options.quiet, notTTYSchedule: 2000 });
  const say = (line: string) => void io.stdout.write(`${line}\n`);
  const { built } = run;
  const steps = run.trainer.step;

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

  progress.log(`generating ${recipe.images} images from test captions (${recipe.generationSteps} MAR steps each)`);
  const images: RgbImage[] = [];
  const captions: string[] = [];
  const gen = await evaluateGeneration(built.model, built.world, { split: 'test', count: recipe.images, batchSize: 8, generate: { steps: Math.min(recipe.generationSteps, built.model.numVisualTokens) } });
  images.push(...gen.images);
  captions.push(...gen.captions);
  const sheet = await writeSheet(join(out, 'samples.png'), images, captions);
  if (stopped()) return stopExitCode(io.signal);

  progress.log(`round trip of ${recipe.roundTrips} test captions (caption -> semantic tokens -> caption)`);
  const rt = await evaluateRoundTrip(built.model, built.world, { split: 'test', count: recipe.roundTrips, batchSize: 8, generate: { steps: Math.min(recipe.generationSteps, built.model.numVisualTokens) } });
  const rtLines = rt.examples.map((e) => `caption:    ${e.caption}\nround trip: ${e.roundTrip}\n`);
  const rtText =
    `Caption -> generated semantic tokens -> caption (no pixel decoder), ${built.preset.name} after ${steps} steps.\n` +
    `Object recall ${pct(rt.objectRecall)}, exact ${pct(rt.exact)}, unparsable ${pct(rt.unparsable)} over ${rt.count} test captions.\n\n` +
    rtLines.join('\n');
  await writeFileAtomic(join(out, 'roundtrip.txt'), rtText);
  const evalMs = performance.now() - tEval;

  const s = gen.scores;
  const report = {
    preset: built.preset.name,
    steps,
    samples: run.trainer.samplesSeen,
    trainSeconds: Math.round(trainMs / 1000),
    evalSeconds: Math.round(evalMs / 1000),
    understanding: { test: { questions: recipe.questions, accuracy: test }, heldout: { questions: recipe.questions, accuracy: heldout } },
    generation: { images: gen.count, scores: s },
    roundTrip: { count: rt.count, objectRecall: rt.objectRecall, exact: rt.exact, unparsable: rt.unparsable, examples: rt.examples },
  };
  await writeFileAtomic(join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);

  say(`demo: trained ${built.preset.name} on the shapes world for ${plural(steps, 'step')} (${plural(run.trainer.samplesSeen, 'sample')}) in ${duration(trainMs)}; evaluation took ${duration(evalMs)}`);
  say(`understanding, multiple choice (chance 25%): test ${pct(test)} of ${recipe.questions} questions, held-out compositions ${pct(heldout)} of ${recipe.questions}`);
  say(
    `generation, judged on ${gen.count} images from test captions: objects ${pct(s.objectAccuracy)} (position ${pct(s.position)}, colour ${pct(s.colour)}, shape ${pct(s.shape)}, size ${pct(s.size)}), exact images ${pct(s.exact)}`,
  );
  say(`round trip (caption -> semantic tokens -> caption): object recall ${pct(rt.objectRecall)} over ${rt.count} captions; for example:`);
  for (const e of rt.examples.slice(0, 3)) say(`  ${e.caption}\n  -> ${e.roundTrip || '(empty)'}`);
  say(`outputs in ${out}/:`);
  say(`  ${sheet.png.split('/').pop()}${sheet.svg ? ` and ${sheet.svg.split('/').pop()}` : ''}  generated images with their captions`);
  say(`  roundtrip.txt  the round trips;  report.json  every number above`);
  say(`  ${RUN_FILES.metrics}, ${RUN_FILES.loss}, ${RUN_FILES.config}, ${RUN_FILES.checkpoint}  the training run`);
  return 0;
}
