/**
 * `unihetero-eval ablation`: trains the presets (exp1..exp4 by default) in two data designs
 * (equal understanding data, the primary; equal samples, the second table) and the paper's Table 2
 * invert-projector variants, every run from one base recipe, with the same seeds and sample
 * budgets; one run per preset (or variant), design and seed up to the largest budget, saving and
 * evaluating a checkpoint at each budget on the way (the paper's "checkpoints during pretraining",
 * docs/method.md 12.2); exp1, whose examples are the same in both designs, is one run per seed for both.
 * Then it summarises over seeds (means with 95% t-intervals), fits Equation 6 and writes
 * REPORT.md, results.json and SVG plots. Resumable: a run whose record in
 * `<out>/<design>/<preset>/seed<k>.json` matches the settings continues from its last checkpoint
 * (Trainer.resume continues with identical numbers).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { UsageError, attachEncoderWorker, makeFolder, removeStaleTempFiles, writeFileAtomic } from '@unihetero/app-common';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '@unihetero/tensor';
import { writeSheet, type WorldConfig } from '@unihetero/data';
import { NonFiniteLossError, Trainer, createShapesModel, getPreset, resolveModelConfig, type ModelConfigInput, type ShapesModelSpec } from '@unihetero/model';
import { formatDuration, type EvalIO } from './io.js';
import { machineInfo } from './machine.js';
import { measureModel, trainsGeneration, validateEvalSettings } from './metrics.js';
import { linePlotSvg, type Series } from './plot.js';
import { buildReport, designRows, resultsTables, variantRows } from './report.js';
import type { AblationResults, AblationSettings } from './results.js';
import { DESIGNS, DESIGN_NAMES, VARIANT_DESIGN, planRuns, type AblationRecipe, type DesignName, type RunPlan } from './recipe.js';
import { compareExp2Exp1, summarizeRuns, type Comparison, type PresetRun, type PresetSummary } from './summary.js';

/** Options of `runAblation`. */
export interface AblationOptions {
  out: string;
  /** Data designs, primary first. */
  designs: DesignName[];
  presets: string[];
  /** Table 2 invert-projector variants (empty: none). */
  variants: string[];
  /** The recipe every run shares: base model config, budgets, seeds, batch, learning rate, evaluation. */
  recipe: AblationRecipe;
  quick: boolean;
  /** The command line, recorded in the report. */
  command: string;
  /** Shapes-world options (default: the package default, seed 0). */
  world?: WorldConfig;
  /** Seconds between progress lines within a scale (default 5). */
  progressIntervalSeconds?: number;
  /** On the CPU backend, run the frozen semantic encoder on a worker thread one batch ahead (default true; same numbers). */
  encoderWorker?: boolean;
}

function unique(what: string, xs: readonly (string | number)[]): void {
  if (new Set(xs).size !== xs.length) throw new Error(`ablation: ${what} repeat in [${xs.join(', ')}]`);
}

/** The settings shared by every run, checked (every run's config included); errors name the offending values. */
export function ablationSettings(o: AblationOptions): AblationSettings {
  const r = o.recipe;
  if (o.designs.length === 0) throw new Error('ablation: no designs given');
  unique('designs', o.designs);
  for (const d of o.designs) if (!DESIGN_NAMES.includes(d)) throw new Error(`ablation: unknown design '${d}' (known: ${DESIGN_NAMES.join(', ')})`);
  if (o.presets.length === 0 && o.variants.length === 0) throw new Error('ablation: no presets and no variants given');
  unique('presets', o.presets);
  for (const p of o.presets) getPreset(p);
  unique('variants', o.variants);
  if (o.variants.length > 0 && !o.designs.includes(VARIANT_DESIGN)) {
    throw new Error(`ablation: the invert-projector variants (${o.variants.join(', ')}) are trained under the ${VARIANT_DESIGN} design, which is not among the designs (${o.designs.join(', ')}); add it or pass --variants none`);
  }
  if (!Number.isInteger(r.batchSize) || r.batchSize < 1) throw new Error(`ablation: batch size must be a positive integer, got ${r.batchSize}`);
  if (!(r.lr > 0) || !Number.isFinite(r.lr)) throw new Error(`ablation: learning rate must be a positive number, got ${r.lr}`);
  if (r.scales.length === 0) throw new Error('ablation: no scales given');
  for (const n of r.scales) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`ablation: scales must be positive integers, got ${n}`);
    if (n % r.batchSize !== 0) throw new Error(`ablation: scale ${n} is not a multiple of the batch size ${r.batchSize} (each checkpoint must fall on a step boundary)`);
  }
  const scales = [...new Set(r.scales)].sort((a, b) => a - b);
  if (r.seeds.length === 0) throw new Error('ablation: no seeds given');
  for (const s of r.seeds) if (!Number.isInteger(s) || s < 0) throw new Error(`ablation: seeds must be non-negative integers, got ${s}`);
  if (r.flowWarmupSteps !== null && (!Number.isInteger(r.flowWarmupSteps) || r.flowWarmupSteps < 0)) throw new Error(`ablation: flow warm-up steps must be a non-negative integer, got ${r.flowWarmupSteps}`);
  validateEvalSettings(r.eval);
  const plan = planRuns(r.config, o.designs, o.presets, o.variants);
  for (const p of plan) {
    try {
      // The vocabulary size is the tokenizer's, filled in when the model is built.
      resolveModelConfig({ vocabSize: 1, ...p.config } as ModelConfigInput);
    } catch (e) {
      throw new Error(`ablation: the config of ${p.id} is invalid: ${(e as Error).message}`);
    }
  }
  return {
    designs: [...o.designs],
    presets: [...o.presets],
    variants: [...o.variants],
    scales,
    seeds: [...new Set(r.seeds)],
    batchSize: r.batchSize,
    lr: r.lr,
    trainer: { ...r.trainer },
    stepsPerScale: scales.map((n) => n / r.batchSize),
    config: r.config,
    flowWarmupSteps: r.flowWarmupSteps,
    eval: { ...r.eval },
    quick: o.quick,
    plan,
  };
}

/** How a run's model is built (recorded in its checkpoints). */
export function runSpec(plan: RunPlan, seed: number, world: WorldConfig = {}): ShapesModelSpec {
  return { preset: plan.preset, config: plan.config, world, seed };
}

/** The per-run record kept in `<out>/<run>/seed<k>.json`. */
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

/** Train and evaluate one run and seed (resuming from its record when it matches). */
async function runOne(plan: RunPlan, seed: number, settings: AblationSettings, o: AblationOptions, backend: Backend, io: EvalIO): Promise<PresetRun> {
  const preset = getPreset(plan.preset);
  const dir = join(o.out, plan.id);
  await mkdir(dir, { recursive: true });
  await removeStaleTempFiles(dir);
  const recordPath = join(dir, `seed${seed}.json`);
  const spec = runSpec(plan, seed, o.world);
  // The override changes how long presets that warm up do so; the others never warm up.
  const warmup = preset.flowWarmupSteps > 0 ? (settings.flowWarmupSteps ?? preset.flowWarmupSteps) : 0;
  const maxScale = settings.scales[settings.scales.length - 1]!;
  const trainerOptions = { ...settings.trainer, samples: maxScale, batchSize: settings.batchSize, lr: settings.lr, seed, flowWarmupSteps: warmup };
  const fingerprint = JSON.stringify({ spec, preset, trainerOptions, scales: settings.scales, eval: settings.eval });
  const tag = `[${plan.id} seed ${seed}]`;

  let record: RunRecord | null = null;
  if (existsSync(recordPath)) {
    const saved = await readJson<RunRecord>(recordPath, `delete ${dir} to start ${plan.id} over`);
    if (saved.fingerprint !== fingerprint) {
      throw new Error(`ablation: ${recordPath} was written with different settings (recipe, budgets, seeds or evaluation); use another --out or delete ${dir} to start ${plan.id} over`);
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
  let worker: Awaited<ReturnType<typeof attachEncoderWorker>> = null;
  try {
    const run: PresetRun = record?.run ?? {
      id: plan.id,
      preset: plan.preset,
      description: plan.invertProjector === preset.invertProjector ? preset.description : `${preset.description}; invert-projector ${plan.invertProjector}`,
      alpha: preset.alpha,
      beta: preset.beta,
      detachFlowCondition: preset.detachFlowCondition,
      invertProjector: model.config.invertProjector.name,
      pairing: model.config.mix.pairing,
      flowWidth: model.flow_head.config.width,
      flowDepth: model.flow_head.config.depth,
      flowWarmupSteps: warmup,
      trainsGeneration: trainsGeneration(preset, plan.pairing),
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
    worker = await attachEncoderWorker(trainer, backend, { enabled: o.encoderWorker });
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
      const ckpt = join(plan.id, `seed${seed}-n${scale}.safetensors`);
      await trainer.save(join(o.out, ckpt), { build: spec, ablation: { run: plan.id, preset: plan.preset, invertProjector: plan.invertProjector, pairing: plan.pairing, seed, samples: scale } });
      io.progress(`${tag} scale ${scale}: saved ${ckpt}; evaluating`);
      const { metrics, images, imageCaptions } = await measureModel(model, world, settings.eval, { generation: run.trainsGeneration });
      run.points.push({ samples: trainer.samplesSeen, step: trainer.step, trainSeconds, trainLoss: lossCount ? lossSum / lossCount : NaN, checkpoint: ckpt, metrics });
      run.trainSeconds = trainSeconds;
      run.evalSeconds += metrics.seconds;
      lastEvalSeconds = metrics.seconds;
      const gen = metrics.generation ? ` judge objects ${metrics.generation.objectAccuracy.toFixed(3)}` : '';
      const rt = metrics.roundTrip ? ` round-trip recall ${metrics.roundTrip.objectRecall.toFixed(3)}` : '';
      const sem = metrics.semantics ? ` semantics ${metrics.semantics.objectAccuracy.toFixed(3)}` : '';
      io.progress(`${tag} scale ${scale}: MC test ${metrics.test.accuracy.toFixed(3)} heldout ${metrics.heldout.accuracy.toFixed(3)}${gen}${rt}${sem} (eval ${metrics.seconds.toFixed(1)} s)`);
      if (images.length > 0 && scale === maxScale) await writeSheet(join(dir, `seed${seed}-samples.png`), images, imageCaptions);
      await writeJsonAtomic(recordPath, { fingerprint, run } satisfies RunRecord);
    }
    return run;
  } finally {
    await worker?.detach();
    trainer?.optimizer.dispose();
    model.dispose();
  }
}

/** Accuracy-vs-samples plots per design and for the variants, with the dashed Equation 6 fits; returns the files written. */
async function writePlots(out: string, settings: AblationSettings, summaries: readonly PresetSummary[]): Promise<string[]> {
  const written: string[] = [];
  const plot = async (file: string, title: string, yLabel: string, rows: readonly { label: string; s: PresetSummary }[], pick: (label: string, s: PresetSummary) => Series | null) => {
    const series = rows.map((r) => pick(r.label, r.s)).filter((x): x is Series => x !== null && x.points.length > 0);
    if (series.length === 0) return;
    await writeFile(join(out, file), linePlotSvg(series, { title, xLabel: 'training samples seen', yLabel }));
    written.push(file);
  };
  const test = (label: string, s: PresetSummary): Series => ({ label, points: s.points.map((p) => [p.samples, p.test] as const), fit: s.fits.test ?? undefined });
  const heldout = (label: string, s: PresetSummary): Series => ({ label, points: s.points.map((p) => [p.samples, p.heldout] as const), fit: s.fits.heldout ?? undefined });
  const generation = (label: string, s: PresetSummary): Series | null =>
    s.points.every((p) => p.generation !== null) ? { label, points: s.points.map((p) => [p.samples, p.generation!] as const), fit: s.fits.generation ?? undefined } : null;
  for (const d of settings.designs) {
    const rows = designRows(settings, summaries, d).map((s) => ({ label: s.preset, s }));
    const t = DESIGNS[d].title.toLowerCase();
    await plot(`${d}-understanding.svg`, `MC accuracy (test) vs samples, ${t}`, 'accuracy (mean over seeds)', rows, test);
    await plot(`${d}-understanding-heldout.svg`, `MC accuracy (held-out compositions), ${t}`, 'accuracy (mean over seeds)', rows, heldout);
    await plot(`${d}-generation.svg`, `Judge object accuracy of generated images, ${t}`, 'object accuracy (mean over seeds)', rows, generation);
  }
  const variants = variantRows(settings, summaries).map((r) => ({ label: r.variant, s: r.summary }));
  await plot('variants-understanding.svg', 'MC accuracy (test) vs samples, invert-projector variants', 'accuracy (mean over seeds)', variants, test);
  await plot('variants-generation.svg', 'Judge object accuracy, invert-projector variants', 'object accuracy (mean over seeds)', variants, generation);
  return written;
}

/** exp2 against exp1 in every design where both ran. */
function comparisons(settings: AblationSettings, summaries: readonly PresetSummary[]): Comparison[] {
  return settings.designs
    .map((d) => {
      const rows = designRows(settings, summaries, d);
      return compareExp2Exp1(d, DESIGNS[d].title, rows.find((s) => s.preset === 'exp2'), rows.find((s) => s.preset === 'exp1'));
    })
    .filter((c): c is Comparison => c !== null);
}

/** Run the whole ablation; returns the results (also written to `<out>`). */
export async function runAblation(o: AblationOptions, backend: Backend, io: EvalIO): Promise<AblationResults> {
  const settings = ablationSettings(o);
  const started = new Date();
  const t0 = performance.now();
  await makeFolder(o.out, `--out '${o.out}'`);
  await removeStaleTempFiles(o.out);
  const total = settings.plan.length * settings.seeds.length;
  io.progress(
    `ablation: designs ${settings.designs.join(', ')}; presets ${settings.presets.join(', ') || 'none'}; variants ${settings.variants.join(', ') || 'none'}; ` +
      `${settings.plan.length} runs per seed (${settings.plan.map((p) => p.id).join(', ')}) x seeds ${settings.seeds.join(',')}, scales ${settings.scales.join(',')} (batch ${settings.batchSize}): ${total} training run${total === 1 ? '' : 's'} into ${o.out}`,
  );
  const runs: PresetRun[] = [];
  let k = 0;
  for (const seed of settings.seeds) {
    for (const plan of settings.plan) {
      const runStart = performance.now();
      runs.push(await runOne(plan, seed, settings, o, backend, io));
      k++;
      const elapsed = (performance.now() - t0) / 1000;
      io.progress(`ablation: ${k}/${total} runs done (${plan.id} seed ${seed} took ${formatDuration((performance.now() - runStart) / 1000)}); ETA ${formatDuration((elapsed / k) * (total - k))}`);
    }
  }
  const summaries = summarizeRuns(runs);
  const comps = comparisons(settings, summaries);
  const plots = await writePlots(o.out, settings, summaries);
  const results: AblationResults = {
    version: 2,
    command: o.command,
    started: started.toISOString(),
    finished: new Date().toISOString(),
    wallSeconds: (performance.now() - t0) / 1000,
    settings,
    machine: machineInfo(backend.name === 'cpu' ? 'cpu' : `${backend.name} (${backend.info.description ?? 'device'})`),
    runs,
    summaries,
    comparisons: comps,
    plots,
  };
  await writeJsonAtomic(join(o.out, 'results.json'), results);
  await writeFile(join(o.out, 'REPORT.md'), buildReport(results));
  io.out(resultsTables(results));
  io.out(`\nWrote ${join(o.out, 'REPORT.md')}, results.json${plots.length ? `, ${plots.join(', ')}` : ''} and checkpoints in ${o.out}/<design>/<preset>/ (${formatDuration(results.wallSeconds)}).`);
  return results;
}

/** Rewrite REPORT.md, the plots and the summaries of `<out>` from the runs in its results.json (no training, no evaluation). */
export async function rewriteReport(out: string, io: EvalIO): Promise<AblationResults> {
  const path = join(out, 'results.json');
  if (!existsSync(path)) throw new Error(`report: '${path}' does not exist (run \`unihetero-eval ablation --out ${out}\` first)`);
  const results = await readJson<AblationResults>(path, `run \`unihetero-eval ablation --out ${out}\` again (finished presets are skipped)`);
  if (results.version !== 2) throw new Error(`report: '${path}' has version ${String(results.version)}, expected 2 (written by an older unihetero-eval: run the ablation again into another folder)`);
  // Summaries, fits and the verdicts are derived again from the raw checkpoints' numbers.
  results.summaries = summarizeRuns(results.runs);
  results.comparisons = comparisons(results.settings, results.summaries);
  results.plots = await writePlots(out, results.settings, results.summaries);
  await writeJsonAtomic(path, results);
  await writeFile(join(out, 'REPORT.md'), buildReport(results));
  io.out(resultsTables(results));
  io.out(`\nWrote ${join(out, 'REPORT.md')}${results.plots.length ? ` and ${results.plots.join(', ')}` : ''} from ${path}.`);
  return results;
}
