/**
 * `unihetero-eval ablation`: trains the presets (exp1..exp4 by default) with the same seeds and
 * sample budgets, one run per preset and seed up to the largest budget, saving and evaluating a
 * checkpoint at each budget on the way (the paper's "checkpoints during pretraining", docs/method.md
 * 12.2); then fits Equation 6 per preset and writes REPORT.md, results.json and SVG plots.
 * Resumable: a preset and seed whose record in `<out>/<preset>/seed<k>.json` matches the settings
 * continues from its last checkpoint (Trainer.resume continues with identical numbers).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { UsageError, makeFolder, removeStaleTempFiles, writeFileAtomic } from '@unihetero/app-common';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '@unihetero/tensor';
import { writeSheet, type WorldConfig } from '@unihetero/data';
import { NonFiniteLossError, Trainer, createShapesModel, getPreset, type ModelConfigInput, type ShapesModelSpec } from '@unihetero/model';
import { formatDuration, type EvalIO } from './io.js';
import { machineInfo } from './machine.js';
import { measureModel, trainsGeneration, validateEvalSettings, type EvalSettings } from './metrics.js';
import { linePlotSvg, type Series } from './plot.js';
import { buildReport, table1 } from './report.js';
import type { AblationModelSize, AblationResults, AblationSettings } from './results.js';
import { compareExp2Exp1, summarizeRuns, type PresetRun, type PresetSummary } from './summary.js';

/** Width of the flow head's 'small' size (docs/method.md 14), the reference of presets with their own width. */
export const SMALL_FLOW_WIDTH = 128;

/** Options of `runAblation`. */
export interface AblationOptions {
  out: string;
  presets: string[];
  /** Sample budgets (each a multiple of the batch size). */
  scales: number[];
  seeds: number[];
  batchSize: number;
  lr: number;
  /** Model size (null: the model package's defaults). */
  model: AblationModelSize | null;
  /** Override of the warm-up steps of presets that warm up (exp4; null: each preset's own). */
  flowWarmupSteps: number | null;
  eval: EvalSettings;
  quick: boolean;
  /** The command line, recorded in the report. */
  command: string;
  /** Shapes-world options (default: the package default, seed 0). */
  world?: WorldConfig;
  /** Seconds between progress lines within a scale (default 5). */
  progressIntervalSeconds?: number;
}

/** The settings shared by every preset, checked; errors name the offending values. */
export function ablationSettings(o: AblationOptions): AblationSettings {
  if (o.presets.length === 0) throw new Error('ablation: no presets given');
  if (new Set(o.presets).size !== o.presets.length) throw new Error(`ablation: presets repeat in [${o.presets.join(', ')}]`);
  for (const p of o.presets) getPreset(p);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new Error(`ablation: batch size must be a positive integer, got ${o.batchSize}`);
  if (!(o.lr > 0) || !Number.isFinite(o.lr)) throw new Error(`ablation: learning rate must be a positive number, got ${o.lr}`);
  if (o.scales.length === 0) throw new Error('ablation: no scales given');
  for (const n of o.scales) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`ablation: scales must be positive integers, got ${n}`);
    if (n % o.batchSize !== 0) throw new Error(`ablation: scale ${n} is not a multiple of the batch size ${o.batchSize} (each checkpoint must fall on a step boundary)`);
  }
  const scales = [...new Set(o.scales)].sort((a, b) => a - b);
  if (o.seeds.length === 0) throw new Error('ablation: no seeds given');
  for (const s of o.seeds) if (!Number.isInteger(s) || s < 0) throw new Error(`ablation: seeds must be non-negative integers, got ${s}`);
  if (o.flowWarmupSteps !== null && (!Number.isInteger(o.flowWarmupSteps) || o.flowWarmupSteps < 0)) throw new Error(`ablation: flow warm-up steps must be a non-negative integer, got ${o.flowWarmupSteps}`);
  validateEvalSettings(o.eval);
  return {
    presets: [...o.presets],
    scales,
    seeds: [...new Set(o.seeds)],
    batchSize: o.batchSize,
    lr: o.lr,
    stepsPerScale: scales.map((n) => n / o.batchSize),
    model: o.model,
    flowWarmupSteps: o.flowWarmupSteps,
    eval: { ...o.eval },
    quick: o.quick,
  };
}

/** How a preset's model is built for this ablation (recorded in its checkpoints). */
export function presetSpec(presetName: string, seed: number, model: AblationModelSize | null, world: WorldConfig = {}): ShapesModelSpec {
  const preset = getPreset(presetName);
  let config: Partial<ModelConfigInput> = {};
  if (model) {
    const width = preset.flowWidth ? Math.max(1, Math.round((preset.flowWidth * model.flowWidth) / SMALL_FLOW_WIDTH)) : model.flowWidth;
    config = {
      backbone: { hiddenSize: model.hiddenSize, numHiddenLayers: model.layers, numAttentionHeads: model.heads },
      flow: { size: preset.flowSize, width, depth: preset.flowDepth ?? model.flowDepth },
    };
  }
  return { preset: presetName, config, world, seed };
}

/** The per-run record kept in `<out>/<preset>/seed<k>.json`. */
interface RunRecord {
  /** Everything that must match for a resume to continue the same run. */
  fingerprint: string;
  run: PresetRun;
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/** Parse a JSON file of the ablation, naming it (and the remedy) when it is damaged. */
async function readJson<T>(path: string, remedy: string): Promise<T> {
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new UsageError(`ablation: '${path}' is damaged (${(e as Error).message}); ${remedy}`);
  }
}

/** Train and evaluate one preset and seed (resuming from its record when it matches). */
async function runOne(presetName: string, seed: number, settings: AblationSettings, o: AblationOptions, backend: Backend, io: EvalIO): Promise<PresetRun> {
  const preset = getPreset(presetName);
  const dir = join(o.out, presetName);
  await mkdir(dir, { recursive: true });
  await removeStaleTempFiles(dir);
  const recordPath = join(dir, `seed${seed}.json`);
  const spec = presetSpec(presetName, seed, settings.model, o.world);
  // The override changes how long presets that warm up do so; the others never warm up.
  const warmup = preset.flowWarmupSteps > 0 ? (settings.flowWarmupSteps ?? preset.flowWarmupSteps) : 0;
  const maxScale = settings.scales[settings.scales.length - 1]!;
  const trainerOptions = { samples: maxScale, batchSize: settings.batchSize, lr: settings.lr, seed, flowWarmupSteps: warmup };
  const fingerprint = JSON.stringify({ spec, preset, trainerOptions, scales: settings.scales, eval: settings.eval });
  const tag = `[${presetName} seed ${seed}]`;

  let record: RunRecord | null = null;
  if (existsSync(recordPath)) {
    const saved = await readJson<RunRecord>(recordPath, `delete ${dir} to start ${presetName} over`);
    if (saved.fingerprint !== fingerprint) {
      throw new Error(`ablation: ${recordPath} was written with different settings (model, budgets, seeds or evaluation); use another --out or delete ${dir} to start ${presetName} over`);
    }
    record = saved;
  }
  const done = new Set(record?.run.points.map((p) => p.samples) ?? []);
  if (settings.scales.every((n) => done.has(n))) {
    io.progress(`${tag} all ${settings.scales.length} scales already in ${recordPath}; skipping`);
    return record!.run;
  }

  const built = await createShapesModel(spec, backend);
  const { model, world } = built;
  let trainer: Trainer | undefined;
  try {
    const run: PresetRun = record?.run ?? {
      preset: presetName,
      description: preset.description,
      alpha: preset.alpha,
      beta: preset.beta,
      detachFlowCondition: preset.detachFlowCondition,
      flowWidth: model.flow_head.config.width,
      flowDepth: model.flow_head.config.depth,
      flowWarmupSteps: warmup,
      trainsGeneration: trainsGeneration(preset),
      seed,
      points: [],
      trainSeconds: 0,
      evalSeconds: 0,
    };
    trainer = new Trainer(model, world, trainerOptions);
    const last = run.points[run.points.length - 1];
    if (last) {
      await trainer.resume(join(o.out, last.checkpoint));
      io.progress(`${tag} resumed from ${last.checkpoint} (${trainer.samplesSeen} samples, step ${trainer.step})`);
    }
    let t0 = performance.now();
    if (!trainer.flowWarmedUp && warmup > 0) {
      io.progress(`${tag} flow head warm-up: ${warmup} steps`);
      await trainer.warmupFlow((p) => io.progress(`${tag} warm-up step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)}`));
    }
    let trainSeconds = run.trainSeconds + (performance.now() - t0) / 1000;
    const interval = (o.progressIntervalSeconds ?? 5) * 1000;
    const sessionStart = { step: trainer.step, trainSeconds };
    let lastEvalSeconds = run.points.length ? run.points[run.points.length - 1]!.metrics.seconds : 0;
    for (const scale of settings.scales) {
      if (done.has(scale)) continue;
      let lossSum = 0;
      let lossCount = 0;
      let lastLine = 0;
      while (trainer.samplesSeen < scale) {
        t0 = performance.now();
        const m = await trainer.trainStep().catch((e: unknown) => {
          if (!(e instanceof NonFiniteLossError)) throw e;
          const good = run.points[run.points.length - 1]?.checkpoint;
          throw new Error(`${tag} ${e.message}; ${good ? `the last good checkpoint is ${join(o.out, good)}` : 'no checkpoint was written yet'}`);
        });
        trainSeconds += (performance.now() - t0) / 1000;
        lossSum += m.loss;
        lossCount++;
        const now = performance.now();
        if (now - lastLine >= interval || trainer.samplesSeen >= scale) {
          lastLine = now;
          const perStep = (trainSeconds - sessionStart.trainSeconds) / Math.max(1, trainer.step - sessionStart.step);
          const rate = settings.batchSize / perStep;
          const evalsLeft = settings.scales.filter((n) => n >= scale && !done.has(n)).length;
          const eta = (trainer.totalSteps - trainer.step) * perStep + evalsLeft * lastEvalSeconds;
          io.progress(
            `${tag} scale ${scale}: step ${trainer.step}/${trainer.totalSteps} samples ${trainer.samplesSeen}/${maxScale} loss ${m.loss.toFixed(3)} ${rate.toFixed(1)} samples/s ETA ${formatDuration(eta)}${lastEvalSeconds ? '' : ' + evaluation'} (this run)`,
          );
        }
      }
      const ckpt = join(presetName, `seed${seed}-n${scale}.safetensors`);
      await trainer.save(join(o.out, ckpt), { build: spec, ablation: { preset: presetName, seed, samples: scale } });
      io.progress(`${tag} scale ${scale}: saved ${ckpt}; evaluating`);
      const { metrics, images, imageCaptions } = await measureModel(model, world, settings.eval, { generation: run.trainsGeneration });
      run.points.push({ samples: trainer.samplesSeen, step: trainer.step, trainSeconds, trainLoss: lossCount ? lossSum / lossCount : NaN, checkpoint: ckpt, metrics });
      run.trainSeconds = trainSeconds;
      run.evalSeconds += metrics.seconds;
      lastEvalSeconds = metrics.seconds;
      const gen = metrics.generation ? ` judge objects ${metrics.generation.objectAccuracy.toFixed(3)}` : '';
      const rt = metrics.roundTrip ? ` round-trip recall ${metrics.roundTrip.objectRecall.toFixed(3)}` : '';
      io.progress(`${tag} scale ${scale}: MC test ${metrics.test.accuracy.toFixed(3)} heldout ${metrics.heldout.accuracy.toFixed(3)}${gen}${rt} (eval ${metrics.seconds.toFixed(1)} s)`);
      if (images.length > 0 && scale === maxScale) await writeSheet(join(dir, `seed${seed}-samples.png`), images, imageCaptions);
      await writeJsonAtomic(recordPath, { fingerprint, run } satisfies RunRecord);
    }
    return run;
  } finally {
    trainer?.optimizer.dispose();
    model.dispose();
  }
}

/** Accuracy-vs-samples plots per preset with the dashed Equation 6 fits; returns the files written. */
async function writePlots(out: string, summaries: readonly PresetSummary[]): Promise<string[]> {
  const written: string[] = [];
  const plot = async (file: string, title: string, yLabel: string, pick: (s: PresetSummary) => Series | null) => {
    const series = summaries.map(pick).filter((x): x is Series => x !== null && x.points.length > 0);
    if (series.length === 0) return;
    await writeFile(join(out, file), linePlotSvg(series, { title, xLabel: 'training samples seen', yLabel }));
    written.push(file);
  };
  await plot('understanding.svg', 'Multiple-choice accuracy (test) vs samples', 'accuracy', (s) => ({ label: s.preset, points: s.points.map((p) => [p.samples, p.test] as const), fit: s.fits.test ?? undefined }));
  await plot('understanding-heldout.svg', 'Multiple-choice accuracy (held-out compositions) vs samples', 'accuracy', (s) => ({ label: s.preset, points: s.points.map((p) => [p.samples, p.heldout] as const), fit: s.fits.heldout ?? undefined }));
  await plot('generation.svg', 'Judge object accuracy of generated images vs samples', 'object accuracy', (s) =>
    s.points.every((p) => p.generation !== null) ? { label: s.preset, points: s.points.map((p) => [p.samples, p.generation!] as const), fit: s.fits.generation ?? undefined } : null,
  );
  return written;
}

/** Run the whole ablation; returns the results (also written to `<out>`). */
export async function runAblation(o: AblationOptions, backend: Backend, io: EvalIO): Promise<AblationResults> {
  const settings = ablationSettings(o);
  const started = new Date();
  const t0 = performance.now();
  await makeFolder(o.out, `--out '${o.out}'`);
  await removeStaleTempFiles(o.out);
  const total = settings.presets.length * settings.seeds.length;
  io.progress(
    `ablation: ${settings.presets.join(', ')} x seeds ${settings.seeds.join(',')}, scales ${settings.scales.join(',')} (batch ${settings.batchSize}), ${total} training run${total === 1 ? '' : 's'} into ${o.out}`,
  );
  const runs: PresetRun[] = [];
  let k = 0;
  for (const seed of settings.seeds) {
    for (const p of settings.presets) {
      const runStart = performance.now();
      runs.push(await runOne(p, seed, settings, o, backend, io));
      k++;
      const elapsed = (performance.now() - t0) / 1000;
      io.progress(`ablation: ${k}/${total} runs done (${p} seed ${seed} took ${formatDuration((performance.now() - runStart) / 1000)}); ETA ${formatDuration((elapsed / k) * (total - k))}`);
    }
  }
  const summaries = summarizeRuns(runs);
  const comparison = compareExp2Exp1(summaries);
  const plots = await writePlots(o.out, summaries);
  const results: AblationResults = {
    version: 1,
    command: o.command,
    started: started.toISOString(),
    finished: new Date().toISOString(),
    wallSeconds: (performance.now() - t0) / 1000,
    settings,
    machine: machineInfo(backend.name === 'cpu' ? 'cpu' : `${backend.name} (${backend.info.description ?? 'device'})`),
    runs,
    summaries,
    comparison,
    plots,
  };
  await writeJsonAtomic(join(o.out, 'results.json'), results);
  await writeFile(join(o.out, 'REPORT.md'), buildReport(results));
  io.out(table1(summaries));
  if (comparison) io.out(`\n${comparison.verdict}`);
  io.out(`\nWrote ${join(o.out, 'REPORT.md')}, results.json${plots.length ? `, ${plots.join(', ')}` : ''} and checkpoints in ${o.out}/<preset>/ (${formatDuration(results.wallSeconds)}).`);
  return results;
}

/** Rewrite REPORT.md, the plots and the summaries of `<out>` from the runs in its results.json (no training, no evaluation). */
export async function rewriteReport(out: string, io: EvalIO): Promise<AblationResults> {
  const path = join(out, 'results.json');
  if (!existsSync(path)) throw new Error(`report: '${path}' does not exist (run \`unihetero-eval ablation --out ${out}\` first)`);
  const results = await readJson<AblationResults>(path, `run \`unihetero-eval ablation --out ${out}\` again (finished presets are skipped)`);
  if (results.version !== 1) throw new Error(`report: '${path}' has version ${String(results.version)}, expected 1`);
  // Summaries, fits and the verdict are derived again from the raw checkpoints' numbers.
  results.summaries = summarizeRuns(results.runs);
  results.comparison = compareExp2Exp1(results.summaries);
  results.plots = await writePlots(out, results.summaries);
  await writeJsonAtomic(path, results);
  await writeFile(join(out, 'REPORT.md'), buildReport(results));
  io.out(table1(results.summaries));
  io.out(`\nWrote ${join(out, 'REPORT.md')}${results.plots.length ? ` and ${results.plots.join(', ')}` : ''} from ${path}.`);
  return results;
}
