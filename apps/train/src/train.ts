/**
 * One training run in a folder: build the model from the spec, train with `Trainer` (flow warm-up
 * first when the preset asks for it), write metrics, evaluations, checkpoints and the loss curve,
 * resume exactly, stop cleanly on Ctrl-C (exit 130) and on a non-finite loss (exit 1).
 *
 * Files of `<out>`: `config.json` (the resolved spec, itself a valid `--config`), `metrics.jsonl`
 * (one line per step), `eval.jsonl` (periodic evaluations), `warmup.jsonl` (flow warm-up
 * progress, exp4), `checkpoint.safetensors` (written atomically; `extra.build` records how the
 * model was built, `extra.run` the spec), `loss.svg`.
 */
import { join } from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import type { Backend } from '@unihetero/tensor';
import { NonFiniteLossError, Trainer, createShapesModel, evaluateGeneration, evaluateUnderstanding, type ShapesModel, type StepMetrics } from '@unihetero/model';
import { appendJsonl, exists, readCheckpointMeta, truncateJsonlToStep, writeFileAtomic } from './files.js';
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
  /** Program name in messages. */
  name?: string;
  /** The command that continues this run, named when it is interrupted. */
  resumeCommand?: string;
}

/** How a run ended. */
export interface TrainOutcome {
  /** 0 complete, 1 non-finite loss, 130 interrupted. */
  code: 0 | 1 | 130;
  /** The trained model (the run's state at the end). */
  built: ShapesModel;
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

/** Run (or resume) a training run; see the module comment. */
export async function runTraining(req: TrainRequest, io: AppIO): Promise<TrainOutcome> {
  const name = req.name ?? 'unihetero-train';
  const out = req.out;
  const file = (k: keyof typeof RUN_FILES) => join(out, RUN_FILES[k]);
  const ckptPath = file('checkpoint');
  const progress = createProgress(io.stderr, { quiet: req.quiet });
  await mkdir(out, { recursive: true });

  let spec = req.spec;
  let resumeStep = 0;
  let tag = req.tag;
  if (req.resume) {
    if (!(await exists(ckptPath))) throw new UsageError(`--resume: no checkpoint at '${ckptPath}' (run without --resume to start training in '${out}')`);
    const meta = await readCheckpointMeta(ckptPath);
    const saved = meta.extra.run;
    if (!saved) throw new UsageError(`--resume: '${ckptPath}' does not record its run spec (extra.run); it was not written by ${name}`);
    spec = resumedSpec(validateFileSpec(saved, `run spec in '${ckptPath}'`) as RunSpec, req.spec, req.explicit ?? new Set(), ckptPath);
    resumeStep = meta.step;
    if (typeof meta.extra.tag === 'string') tag ??= meta.extra.tag;
  } else if (await exists(ckptPath)) {
    const previous = req.tag ? (await readCheckpointMeta(ckptPath).catch(() => null))?.extra.tag : undefined;
    if (!req.tag || previous !== req.tag) throw new UsageError(`'${out}' already holds a ${req.tag && !previous ? 'training ' : ''}run (${RUN_FILES.checkpoint}); pass --resume to continue it, or choose another --out`);
  }

  const build = { preset: spec.preset, config: spec.config, world: spec.world, seed: spec.seed };
  const built = await createShapesModel(build, req.backend);
  const { model, world } = built;
  const trainer = new Trainer(model, world, trainerOptions(spec));
  const steps = totalSteps(spec);
  let history: Record<string, unknown>[] = [];
  let checkpoint: TrainOutcome['checkpoint'] = null;
  if (req.resume) {
    await trainer.resume(ckptPath);
    if (trainer.step !== resumeStep) throw new Error(`resume: checkpoint header says step ${resumeStep}, the trainer restored step ${trainer.step}`);
    checkpoint = { path: ckptPath, step: trainer.step };
    history = await truncateJsonlToStep(file('metrics'), trainer.step);
    await truncateJsonlToStep(file('eval'), trainer.step);
    if (history.length !== trainer.step) throw new Error(`resume: ${file('metrics')} has ${history.length} lines up to step ${trainer.step}; expected one per step`);
  } else {
    for (const k of ['metrics', 'eval'] as const) await writeFile(file(k), '');
  }
  await writeFileAtomic(file('config'), `${JSON.stringify({ ...spec, trainer: { ...spec.trainer, ...trainer.options } }, null, 2)}\n`);

  const params = model.numParameters(true);
  progress.log(
    `${name}: ${spec.preset} on the shapes world, ${fix(params / 1e6, 3)}M trainable parameters, ${plural(steps, 'step')} x ${plural(spec.trainer.batchSize, 'sample')}, backend ${req.backend.info.kind}; ` +
      (req.resume ? `resuming at step ${trainer.step}; ` : '') +
      `writing ${out}`,
  );

  const save = async () => {
    await trainer.save(ckptPath, { build, run: spec, ...(tag ? { tag } : {}) });
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
    io.stderr.write(`${name}: interrupted at step ${trainer.step} of ${steps}; checkpoint saved to ${ckptPath} (continue with: ${req.resumeCommand ?? `unihetero-train --resume --out ${out}`})\n`);
    return finish(130);
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
        io.stderr.write(`${name}: training stopped at step ${e.step + 1}: loss part '${e.part}' is ${e.value}; ${lastGood()}\n`);
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
  } finally {
    progress.stop();
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

/** Periodic evaluation: multiple choice on a test slice, and sometimes a small judged generation. */
async function evaluate(built: ShapesModel, spec: RunSpec, m: StepMetrics, generation: boolean, path: string, progress: Progress): Promise<void> {
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
