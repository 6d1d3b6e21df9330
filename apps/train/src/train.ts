/**
 * One training run in a folder: build the model from the spec, train with `Trainer` (flow warm-up
 * first when the preset asks for it), write metrics, evaluations, checkpoints and the loss curve,
 * resume exactly, stop cleanly on Ctrl-C (exit 130), SIGTERM (exit 143) and on a non-finite loss
 * (exit 1).
 *
 * Files of `<out>`: `config.json` (the resolved spec, itself a valid `--config`), `metrics.jsonl`
 * (one line per step), `eval.jsonl` (periodic evaluations), `warmup.jsonl` (flow warm-up
 * progress, exp4), `checkpoint.safetensors` (written atomically with checksums; `extra.build`
 * records how the model was built, `extra.run` the spec), `checkpoint.prev.safetensors` (the one
 * before, kept so a damaged file costs one interval), `loss.svg`, and `.lock` while a process
 * works in the folder. Logs and renderings are derived: a resume repairs them, never refuses.
 */
import { basename, join } from 'node:path';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import type { Backend } from '@unihetero/tensor';
import { previousCheckpointPath, verifyCheckpoint } from '@unihetero/nn';
import { NonFiniteLossError, Trainer, createModel, createShapesModel, evaluateCaptioning, evaluateGeneration, evaluateUnderstanding, type Preset, type ShapesModel, type SourceSample, type StepMetrics, type UniHetero } from '@unihetero/model';
import { describeTokenizer, readImageFolder, type FolderSource } from '@unihetero/data';
import { acquireRunLock, attachEncoderWorker, describeError, makeFolder, removeStaleTempFiles, repairJsonl, stopExitCode } from '@unihetero/app-common';
import { appendJsonl, exists, readCheckpointMeta, writeFileAtomic } from './files.js';
import { UsageError, plural, yieldToEventLoop, type AppIO } from './io.js';
import { RateMeter, createProgress, type Progress } from './progress.js';
import { lossCurveSvg } from './svg.js';
import { totalSteps, trainerOptions, validateFileSpec, type RunSpec } from './spec.js';

/** File names inside the run folder. */
export const RUN_FILES = {
  config: 'config.json',
  metrics: 'metrics.jsonl',
  eval: 'eval.jsonl',
  warmup: 'warmup.jsonl',
  checkpoint: 'checkpoint.safetensors',
  loss: 'loss.svg',
} as const;

/** What to run. */
export interface TrainRequest {
  /** The run spec (ignored for what the checkpoint fixes when resuming). */
  spec: RunSpec;
  /** The run folder. */
  out: string;
  /** Continue from `<out>/checkpoint.safetensors`. */
  resume?: boolean;
  /** Spec fields the user set explicitly; on resume they must match the checkpoint's. */
  explicit?: ReadonlySet<string>;
  /**
   * A tag stored in the checkpoint (`extra.tag`); a fresh run with a tag replaces a previous run
   * in `out` that carries the same tag instead of refusing (the demo reruns in place).
   */
  tag?: string;
  backend: Backend;
  quiet?: boolean;
  /**
   * On the CPU backend, run the frozen semantic encoder on a worker thread one batch ahead
   * (default true; the numbers are identical, the step is faster where a second core is free).
   */
  encoderWorker?: boolean;
  /** Program name in messages. */
  name?: string;
  /** The command that continues this run, named when it is interrupted. */
  resumeCommand?: string;
}

/** A model built for a folder of PNG + caption pairs (`--data`): the folder source and its caption tokenizer. */
export interface FolderModel {
  model: UniHetero;
  folder: FolderSource;
  preset: Preset;
}

/** What a run trains: a shapes-world model, or a model for a data folder. */
export type BuiltRun = ShapesModel | FolderModel;

/** The image size the shipped semantic encoder sees (a data folder's images must have it). */
const IMAGE_SIZE = 32;

/** Build the run's model: on the data folder when the spec names one, else on the shapes world. */
async function buildRun(spec: RunSpec, backend: Backend): Promise<BuiltRun> {
  if (spec.data === undefined) return createShapesModel({ preset: spec.preset, config: spec.config, world: spec.world, seed: spec.seed }, backend);
  let folder: FolderSource;
  try {
    folder = await readImageFolder(spec.data, { imageSize: IMAGE_SIZE });
  } catch (e) {
    throw new UsageError(`--data: ${(e as Error).message.replace(/^readImageFolder: /, '')}`);
  }
  const { model, preset } = await createModel(folder.tokenizer, { preset: spec.preset, config: spec.config, seed: spec.seed }, { backend });
  return { model, folder, preset };
}

/**
 * On resume of a `--data` run: the folder's captions must still give the vocabulary the checkpoint
 * saved (`extra.build.tokenizer`), or the ids would mean other words. Checkpoints that saved none
 * (older ones) are not checked.
 */
function checkVocabulary(folder: FolderSource, build: unknown, path: string, data: string): void {
  const saved = (build as { tokenizer?: { kind?: string; words?: unknown } } | undefined)?.tokenizer;
  if (saved?.kind !== 'word' || !Array.isArray(saved.words)) return;
  const had = new Set(saved.words as string[]);
  const now = new Set(folder.tokenizer.words);
  const added = [...now].filter((w) => !had.has(w));
  const removed = [...had].filter((w) => !now.has(w));
  if (added.length === 0 && removed.length === 0) return;
  const list = (ws: string[]) => ws.slice(0, 5).map((w) => `'${w}'`).join(', ') + (ws.length > 5 ? `, ... (${ws.length} in all)` : '');
  throw new UsageError(
    `--resume: the captions in '${data}' changed since '${path}' was written: ${[added.length ? `words added: ${list(added)}` : '', removed.length ? `words gone: ${list(removed)}` : ''].filter(Boolean).join('; ')}; the checkpoint's vocabulary no longer fits the folder (restore the captions, or start a new run in another --out)`,
  );
}

/** How a run ended. */
export interface TrainOutcome {
  /** 0 complete, 1 non-finite loss, 130 interrupted (Ctrl-C), 143 stopped by SIGTERM. */
  code: 0 | 1 | 130 | 143;
  /** The trained model (the run's state at the end): a shapes-world model, or a `FolderModel` with `--data`. */
  built: BuiltRun;
  trainer: Trainer;
  spec: RunSpec;
  /** The last checkpoint written or resumed from, with its step. */
  checkpoint: { path: string; step: number } | null;
  /** The NaN/Inf stop, when `code` is 1. */
  error?: NonFiniteLossError;
}

/** Keys of the spec a resumed run may change (they do not change the training numbers). */
const RESUMABLE = new Set(['eval.every', 'eval.count', 'checkpointEvery']);

/** The spec of a resumed run: the checkpoint's, with the evaluation and checkpoint cadence overridable. */
function resumedSpec(saved: RunSpec, given: RunSpec, explicit: ReadonlySet<string>, path: string): RunSpec {
  const get = (s: RunSpec, key: string): unknown => key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], s);
  const conflicts: string[] = [];
  for (const key of explicit) {
    if (RESUMABLE.has(key)) continue;
    const a = JSON.stringify(get(saved, key));
    const b = JSON.stringify(get(given, key));
    if (a !== b) conflicts.push(`${key}: the checkpoint was trained with ${a}, this command asks for ${b}`);
  }
  if (conflicts.length) throw new UsageError(`--resume: '${path}' continues its own run spec; drop the options that change it or start a new --out:\n  ${conflicts.join('\n  ')}`);
  return {
    ...saved,
    eval: { ...saved.eval, every: explicit.has('eval.every') ? given.eval.every : saved.eval.every, count: explicit.has('eval.count') ? given.eval.count : saved.eval.count },
    checkpointEvery: explicit.has('checkpointEvery') ? given.checkpointEvery : saved.checkpointEvery,
  };
}

const fix = (v: number, d = 4) => (Number.isFinite(v) ? Number(v.toPrecision(d)).toString() : String(v));

/** The metrics line of a step: each loss part, learning rate, gradient norm, samples, time. */
function metricsRecord(m: StepMetrics): Record<string, number | null> {
  const num = (v: number) => (Number.isFinite(v) ? v : null);
  return {
    step: m.step,
    samples: m.samples,
    loss: m.loss,
    text: m.text,
    crossEntropy: m.crossEntropy,
    zLoss: m.zLoss,
    ploss: m.ploss,
    diffuloss: m.diffuloss,
    lr: m.lr,
    gradNorm: num(m.gradNorm),
    ms: Math.round(m.ms * 10) / 10,
  };
}

/** `<out>` as a folder: null when it does not exist; an error naming it when it is something else. */
async function folderState(out: string): Promise<'missing' | 'folder'> {
  try {
    const st = await stat(out);
    if (!st.isDirectory()) throw new UsageError(`--out '${out}' is a file, not a folder; choose a folder for the run`);
    return 'folder';
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    if (code === 'ENOTDIR') throw new UsageError(`--out '${out}': a part of the path is a file, not a folder; choose another --out`);
    throw e;
  }
}

/** Lines of a JSONL file (0 when missing). */
async function lineCount(path: string): Promise<number> {
  try {
    return (await readFile(path, 'utf8')).split('\n').filter((l) => l.trim() !== '').length;
  } catch {
    return 0;
  }
}

/**
 * The checkpoint a resume continues from: `checkpoint.safetensors` when it is intact, else the
 * previous one (`checkpoint.prev.safetensors`), after moving the damaged file aside so that a later
 * save never rotates it into the previous slot. Every candidate is fully verified (checksums).
 */
async function chooseCheckpoint(out: string, current: string, previous: string, name: string, warn: (line: string) => void): Promise<{ path: string; step: number; extra: Record<string, unknown> }> {
  const problems: string[] = [];
  let currentDamaged = false;
  for (const path of [current, previous]) {
    if (!(await exists(path))) continue;
    try {
      const info = await verifyCheckpoint(path);
      const extra = info.extra !== null && typeof info.extra === 'object' ? (info.extra as Record<string, unknown>) : {};
      if (path === previous && currentDamaged) {
        const aside = `${current}.damaged`;
        await rename(current, aside);
        warn(`${name}: the checkpoint ${current} cannot be used (${problems[0]}); resuming from the previous checkpoint ${previous} (step ${info.step}) instead, losing one checkpoint interval; the damaged file was moved to ${aside}`);
      } else if (path === previous) {
        warn(`${name}: ${current} is missing; resuming from the previous checkpoint ${previous} (step ${info.step})`);
      }
      return { path, step: info.step, extra };
    } catch (e) {
      problems.push(describeError(e));
      if (path === current) currentDamaged = true;
    }
  }
  if (problems.length === 0) throw new UsageError(`--resume: no checkpoint in '${out}' (${RUN_FILES.checkpoint} or ${basename(previous)}); run without --resume to start training there`);
  throw new UsageError(`--resume: no intact checkpoint in '${out}': ${problems.join('; ')}; this run cannot continue (start a new run, in another --out)`);
}

/** One line for a NaN/Inf stop: the loss part, or the gradient norm. */
export function nonFiniteMessage(e: NonFiniteLossError): string {
  return e.part === 'gradNorm' ? `the gradient norm is ${e.value}` : `loss part '${e.part}' is ${e.value}`;
}

/** Run (or resume) a training run; see the module comment. */
export async function runTraining(req: TrainRequest, io: AppIO): Promise<TrainOutcome> {
  const name = req.name ?? 'unihetero-train';
  const out = req.out;
  const file = (k: keyof typeof RUN_FILES) => join(out, RUN_FILES[k]);
  const ckptPath = file('checkpoint');
  const prevPath = previousCheckpointPath(ckptPath);
  const resumeCommand = req.resumeCommand ?? `unihetero-train --resume --out ${out}`;
  const warn = (line: string) => void io.stderr.write(`${line}\n`);

  // 1. The folder: what is there decides between refusing, starting, and continuing.
  const state = await folderState(out);
  if (req.resume && state === 'missing') throw new UsageError(`--resume: '${out}' does not exist, so there is no run to continue (run without --resume to start one there)`);
  let spec = req.spec;
  let tag = req.tag;
  let replacing = false;
  if (!req.resume && state === 'folder') {
    const held = (await exists(ckptPath)) ? ckptPath : (await exists(prevPath)) ? prevPath : null;
    if (held) {
      const previous = req.tag ? (await readCheckpointMeta(held).catch(() => null))?.extra.tag : undefined;
      if (!req.tag || previous !== req.tag) throw new UsageError(`'${out}' already holds a ${req.tag && !previous ? 'training ' : ''}run (${basename(held)}); pass --resume to continue it, or choose another --out`);
      replacing = true;
    } else if (!req.tag) {
      for (const k of ['metrics', 'eval'] as const) {
        const n = await lineCount(file(k));
        if (n > 0) throw new UsageError(`'${out}' holds ${RUN_FILES[k]} (${plural(n, 'line')}) of a run that wrote no checkpoint; delete that run's files (or the folder) to start over there, or choose another --out`);
      }
    }
  }

  // 2. A fresh run builds its model before creating anything, so a bad config leaves no folder behind.
  let built: BuiltRun | null = null;
  if (!req.resume) built = await buildRun(spec, req.backend);
  await makeFolder(out, `--out '${out}'`);
  const lock = await acquireRunLock(out, name);
  try {
    const stale = await removeStaleTempFiles(out);
    if (stale.length) warn(`${name}: removed ${plural(stale.length, 'temporary file')} left in '${out}' by an interrupted write (${stale.join(', ')})`);
    return await trainLocked();
  } finally {
    await lock.release();
  }

  async function trainLocked(): Promise<TrainOutcome> {
    let resumeFrom: string | null = null;
    let resumeStep = 0;
    if (req.resume) {
      const chosen = await chooseCheckpoint(out, ckptPath, prevPath, name, warn);
      const saved = chosen.extra.run;
      if (!saved) throw new UsageError(`--resume: '${chosen.path}' does not record its run spec (extra.run); it was not written by ${name}`);
      spec = resumedSpec(validateFileSpec(saved, `run spec in '${chosen.path}'`) as RunSpec, req.spec, req.explicit ?? new Set(), chosen.path);
      resumeFrom = chosen.path;
      resumeStep = chosen.step;
      if (typeof chosen.extra.tag === 'string') tag ??= chosen.extra.tag;
      built = await buildRun(spec, req.backend);
      if ('folder' in built) checkVocabulary(built.folder, chosen.extra.build, chosen.path, spec.data!);
    } else if (replacing) {
      // The replaced run's checkpoints must not mix with this run's (the previous slot included).
      for (const p of [ckptPath, prevPath, `${ckptPath}.damaged`]) await rm(p, { force: true });
    }
    return runLoop(built!, resumeFrom, resumeStep);
  }

  async function runLoop(built: BuiltRun, resumeFrom: string | null, resumeStep: number): Promise<TrainOutcome> {
    const progress = createProgress(io.stderr, { quiet: req.quiet });
    // A --data run also saves its caption tokenizer, so unihetero-sample and unihetero-eval rebuild the model without the folder.
    const build = { preset: spec.preset, config: spec.config, world: spec.world, seed: spec.seed, ...('folder' in built ? { data: spec.data, tokenizer: describeTokenizer(built.folder.tokenizer) } : {}) };
    const { model } = built;
    const trainer = new Trainer<SourceSample>(model, 'world' in built ? built.world : built.folder, trainerOptions(spec));
    const steps = totalSteps(spec);
    let history: Record<string, unknown>[] = [];
    let checkpoint: TrainOutcome['checkpoint'] = null;
    if (resumeFrom) {
      await trainer.resume(resumeFrom);
      if (trainer.step !== resumeStep) throw new Error(`resume: checkpoint header says step ${resumeStep}, the trainer restored step ${trainer.step}`);
      checkpoint = { path: resumeFrom, step: trainer.step };
      // Derived files are repaired to the checkpoint's step (a deleted or damaged log never blocks a resume).
      const metrics = await repairJsonl(file('metrics'), trainer.step);
      const evals = await repairJsonl(file('eval'), trainer.step);
      history = metrics.records;
      const steps = new Set(history.map((r) => r.step));
      if (steps.size !== trainer.step || metrics.damaged > 0) {
        warn(`${name}: ${RUN_FILES.metrics} holds ${steps.size} of the ${trainer.step} steps up to the checkpoint${metrics.missing ? ' (the file was missing)' : metrics.damaged ? ` (${plural(metrics.damaged, 'damaged line')} dropped)` : ''}; continuing, the missing lines stay missing`);
      }
      if (evals.damaged > 0) warn(`${name}: ${RUN_FILES.eval}: dropped ${plural(evals.damaged, 'damaged line')}`);
    } else {
      for (const k of ['metrics', 'eval'] as const) await writeFile(file(k), '');
    }
    await writeFileAtomic(file('config'), `${JSON.stringify({ ...spec, trainer: { ...spec.trainer, ...trainer.options } }, null, 2)}\n`);

    // Started last before the loop, so that the finally below always stops it.
    const worker = trainer.done ? null : await attachEncoderWorker(trainer, req.backend, { enabled: req.encoderWorker, imageSize: IMAGE_SIZE });
    const params = model.numParameters(true);
    progress.log(
      `${name}: ${spec.preset} on ${'folder' in built ? `'${spec.data}' (${plural(built.folder.size('train'), 'training pair')}, ${plural(built.folder.size('test'), 'test pair')}, ${plural(built.folder.tokenizer.vocabSize, 'token')} in the vocabulary)` : 'the shapes world'}, ${fix(params / 1e6, 3)}M trainable parameters, ${plural(steps, 'step')} x ${plural(spec.trainer.batchSize, 'sample')}, backend ${req.backend.info.kind}; ` +
        (resumeFrom ? `resuming at step ${trainer.step}; ` : '') +
        (worker ? 'semantic encoder on a worker thread; ' : '') +
        `writing ${out}`,
    );

    const save = async () => {
      await trainer.save(ckptPath, { build, run: spec, ...(tag ? { tag } : {}) }, { keepPrevious: true });
      checkpoint = { path: ckptPath, step: trainer.step };
    };
    const lastGood = () => (checkpoint ? `last good checkpoint: ${checkpoint.path} (step ${checkpoint.step})` : 'no checkpoint was written yet');
    const finish = async (code: TrainOutcome['code'], error?: NonFiniteLossError): Promise<TrainOutcome> => {
      progress.stop();
      await writeFile(file('loss'), lossCurveSvg(history, `${spec.preset}: training loss`));
      return { code, built, trainer, spec, checkpoint, error };
    };
    const interrupted = async (): Promise<TrainOutcome> => {
      progress.stop();
      if (!checkpoint || checkpoint.step !== trainer.step) await save();
      const code = stopExitCode(io.signal);
      io.stderr.write(`${name}: ${code === 143 ? 'stopped by SIGTERM' : 'interrupted'} at step ${trainer.step} of ${steps}; checkpoint saved to ${ckptPath} (continue with: ${resumeCommand})\n`);
      return finish(code);
    };

    try {
      if (!trainer.flowWarmedUp && trainer.options.flowWarmupSteps > 0) {
        await warmup(trainer, progress, file('warmup'));
        if (io.signal?.aborted) return await interrupted();
      }
      if (trainer.done) {
        progress.log(`${name}: the run in '${out}' is already complete (${plural(steps, 'step')})`);
        return await finish(0);
      }
      const meter = new RateMeter();
      meter.add(0, performance.now());
      let seen = trainer.samplesSeen;
      progress.start('train', steps, trainer.step, 'steps');
      while (!trainer.done) {
        let m: StepMetrics;
        try {
          m = await trainer.trainStep();
        } catch (e) {
          if (!(e instanceof NonFiniteLossError)) throw e;
          progress.stop();
          io.stderr.write(`${name}: training stopped at step ${e.step + 1}: ${nonFiniteMessage(e)}; ${lastGood()}\n`);
          return await finish(1, e);
        }
        const rec = metricsRecord(m);
        history.push(rec);
        await appendJsonl(file('metrics'), rec);
        meter.add(m.samples - seen, performance.now());
        seen = m.samples;
        progress.update(m.step, { rate: `${fix(meter.perSecond(), 3)} samples/s`, loss: fix(m.loss) });
        await io.hooks?.afterStep?.(m, trainer);
        const last = trainer.done;
        if (spec.eval.every > 0 && (m.step % spec.eval.every === 0 || last)) {
          const gen = spec.eval.generationCount > 0 && spec.eval.generationEvery > 0 && (last || (m.step / spec.eval.every) % spec.eval.generationEvery === 0);
          await evaluate(built, spec, m, gen, file('eval'), progress);
        }
        if (last || (spec.checkpointEvery > 0 && m.step % spec.checkpointEvery === 0)) await save();
        await yieldToEventLoop();
        if (io.signal?.aborted && !trainer.done) return await interrupted();
      }
      progress.stop();
      return await finish(0);
    } catch (e) {
      progress.stop();
      if (e instanceof UsageError) throw e;
      // Whatever failed (a full disk, a lost folder), the last good checkpoint is intact: say so, with the way on.
      throw new UsageError(`training stopped at step ${trainer.step}: ${describeError(e)}; ${lastGood()}${checkpoint ? ` (intact; continue with: ${resumeCommand})` : ''}`, { cause: e });
    } finally {
      progress.stop();
      await worker?.detach();
    }
  }
}

/** The exp4 flow-head warm-up with its own progress bar and `warmup.jsonl`. */
async function warmup(trainer: Trainer, progress: Progress, path: string): Promise<void> {
  const steps = trainer.options.flowWarmupSteps;
  await writeFile(path, '');
  const meter = new RateMeter();
  meter.add(0, performance.now());
  let prev = 0;
  progress.start('flow warm-up', steps, 0, 'steps');
  await trainer.warmupFlow(async (p) => {
    meter.add((p.step - prev) * trainer.options.batchSize, performance.now());
    prev = p.step;
    progress.update(p.step, { rate: `${fix(meter.perSecond(), 3)} samples/s`, loss: fix(p.loss) });
    await appendJsonl(path, { step: p.step, loss: p.loss, lr: p.lr });
    await yieldToEventLoop();
  });
  progress.stop();
}

/** Periodic evaluation: multiple choice on a test slice (captioning with `--data`), and sometimes a small generation. */
async function evaluate(built: BuiltRun, spec: RunSpec, m: StepMetrics, generation: boolean, path: string, progress: Progress): Promise<void> {
  if ('folder' in built) return evaluateFolder(built, spec, m, generation, path, progress);
  const { model, world } = built;
  const t0 = performance.now();
  const u = await evaluateUnderstanding(model, world, { split: 'test', count: spec.eval.count, batchSize: spec.eval.batchSize });
  const rec: Record<string, unknown> = { step: m.step, samples: m.samples, kind: 'understanding', split: u.split, count: u.count, accuracy: u.accuracy, byKind: u.byKind, ms: Math.round(performance.now() - t0) };
  await appendJsonl(path, rec);
  let line = `eval step ${m.step}: multiple-choice accuracy ${fix(u.accuracy * 100, 3)}% on ${u.count} test questions`;
  if (generation) {
    const t1 = performance.now();
    const g = await evaluateGeneration(model, world, { split: 'test', count: spec.eval.generationCount, batchSize: spec.eval.batchSize, generate: { steps: Math.min(spec.eval.generationSteps, model.numVisualTokens) } });
    await appendJsonl(path, { step: m.step, samples: m.samples, kind: 'generation', split: g.split, count: g.count, scores: g.scores, ms: Math.round(performance.now() - t1) });
    line += `; generation: judge object accuracy ${fix(g.scores.objectAccuracy * 100, 3)}% on ${g.count} images`;
  }
  progress.log(line);
}

/**
 * Periodic evaluation of a `--data` run: greedy captions of the test pairs (the train pairs when
 * the folder has no test pair) against their captions, and sometimes images generated from those
 * captions, compared with the folder's images (there is no judge for a user's own data).
 */
async function evaluateFolder(built: FolderModel, spec: RunSpec, m: StepMetrics, generation: boolean, path: string, progress: Progress): Promise<void> {
  const { model, folder } = built;
  const split = folder.size('test') > 0 ? 'test' : 'train';
  const t0 = performance.now();
  const c = await evaluateCaptioning(model, folder, { split, count: Math.min(spec.eval.count, folder.size(split)), batchSize: spec.eval.batchSize });
  await appendJsonl(path, { step: m.step, samples: m.samples, kind: 'captioning', split: c.split, count: c.count, exact: c.exact, wordRecall: c.wordRecall, wordPrecision: c.wordPrecision, examples: c.examples.slice(0, 2), ms: Math.round(performance.now() - t0) });
  let line = `eval step ${m.step}: captions ${fix(c.exact * 100, 3)}% exact, word recall ${fix(c.wordRecall * 100, 3)}% on ${plural(c.count, `${split} image`)}`;
  const count = Math.min(spec.eval.generationCount, folder.size(split));
  if (generation && count > 0) {
    const t1 = performance.now();
    const g = await evaluateGeneration(model, folder, { split, count, batchSize: spec.eval.batchSize, generate: { steps: Math.min(spec.eval.generationSteps, model.numVisualTokens) } });
    await appendJsonl(path, { step: m.step, samples: m.samples, kind: 'generation', split: g.split, count: g.count, meanAbsError: g.meanAbsError, ms: Math.round(performance.now() - t1) });
    line += `; generation: mean pixel error ${fix(g.meanAbsError * 100, 3)}% on ${plural(g.count, 'image')}`;
  }
  progress.log(line);
}
