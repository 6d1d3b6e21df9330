/**
 * The `unihetero-train` command line: train (the default command) and `demo`. `runCli(argv, io)`
 * is the testable entry point; it resolves to the exit code (0 done, 1 error or non-finite loss,
 * 130 interrupted).
 */
import { readFile, stat } from 'node:fs/promises';
import { Command, CommanderError, Option } from 'commander';
import { presetNames } from '@unihetero/model';
import { formatError, isVerbose } from '@unihetero/app-common';
import type { Backend } from '@unihetero/tensor';
import { createBackend } from '@unihetero/webgpu';
import { DEMO_RECIPE, STANDARD_RECIPE, TINY_RECIPE, runDemo } from './demo.js';
import { UsageError, plural, type AppIO } from './io.js';
import { intArg, positiveArg } from './options.js';
import { LIMITS, parseFileSpec, resolveRunSpec, type CliOverrides, type FileSpec } from './spec.js';
import { runTraining } from './train.js';

const NAME = 'unihetero-train';
/** The largest `--config` file read (a run spec is a few hundred bytes). */
const MAX_CONFIG_BYTES = 1 << 20;

/** Options of the train command as commander parses them: the spec overrides plus the run's own. */
interface TrainFlags extends CliOverrides {
  backend?: string;
  out?: string;
  config?: string;
  resume?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  encoderWorker?: boolean;
}

/** Spec keys set by each flag (to tell a resumed run which settings the user asked for). */
const FLAG_KEYS: Record<string, string[]> = {
  preset: ['preset'],
  data: ['data'],
  samples: ['trainer.samples'],
  batchSize: ['trainer.batchSize'],
  lr: ['trainer.lr'],
  seed: ['seed', 'trainer.seed'],
  evalEvery: ['eval.every'],
  evalCount: ['eval.count'],
  ckptEvery: ['checkpointEvery'],
};

const encoderWorkerOption = () => new Option('--no-encoder-worker', 'on the CPU backend, run the frozen semantic encoder on the training thread instead of a worker thread one batch ahead (same numbers)');

const backendOption = () => new Option('--backend <kind>', 'backend (default: UNIHETERO_BACKEND, else auto; auto passes over software WebGPU adapters)').choices(['auto', 'cpu', 'webgpu']);

/**
 * Run with a backend and always destroy it (so the process can exit). No `--backend` means
 * UNIHETERO_BACKEND, else 'auto' (`createBackend`: a hardware WebGPU adapter, else the CPU backend,
 * which is faster than a software adapter such as llvmpipe).
 */
async function withBackend<T>(kind: string | undefined, fn: (b: Backend) => Promise<T>): Promise<T> {
  const backend = await createBackend(kind);
  try {
    return await fn(backend);
  } finally {
    backend.destroy();
  }
}

async function train(flags: TrainFlags, io: AppIO): Promise<number> {
  if (!flags.out) throw new UsageError('--out <dir> is required (the run folder: metrics, evaluations, checkpoint)');
  let file: FileSpec = {};
  const explicit = new Set<string>();
  if (flags.config) {
    let text: string;
    try {
      const size = (await stat(flags.config)).size;
      if (size > MAX_CONFIG_BYTES) throw new UsageError(`--config '${flags.config}' is ${size} bytes; a run spec is a small JSON file (at most ${MAX_CONFIG_BYTES} bytes)`);
      text = await readFile(flags.config, 'utf8');
    } catch (e) {
      if (e instanceof UsageError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(code === 'ENOENT' ? `--config: '${flags.config}' does not exist` : code === 'EISDIR' ? `--config: '${flags.config}' is a folder, not a JSON file` : `--config: cannot read '${flags.config}' (${code ?? (e as Error).message})`);
    }
    file = parseFileSpec(text, flags.config);
    if (flags.resume) throw new UsageError('--resume continues the run spec stored in the checkpoint; drop --config');
  }
  const cli: CliOverrides = { preset: flags.preset, data: flags.data, samples: flags.samples, batchSize: flags.batchSize, lr: flags.lr, seed: flags.seed, evalEvery: flags.evalEvery, evalCount: flags.evalCount, ckptEvery: flags.ckptEvery };
  for (const [k, keys] of Object.entries(FLAG_KEYS)) if ((cli as Record<string, unknown>)[k] !== undefined) keys.forEach((key) => explicit.add(key));
  const spec = resolveRunSpec(file, cli);
  return withBackend(flags.backend, async (backend) => {
    const r = await runTraining({ spec, out: flags.out!, resume: flags.resume, explicit, backend, quiet: flags.quiet, encoderWorker: flags.encoderWorker }, io);
    if (r.code === 0) {
      const last = r.checkpoint ? `${r.checkpoint.path} (step ${r.checkpoint.step})` : 'none';
      io.stdout.write(`${NAME}: ${r.spec.preset}${r.spec.data ? ` on '${r.spec.data}'` : ''} trained for ${plural(r.trainer.step, 'step')} (${plural(r.trainer.samplesSeen, 'sample')}); outputs in ${flags.out}/: metrics.jsonl, eval.jsonl, loss.svg, config.json; checkpoint ${last}\n`);
    }
    return r.code;
  });
}

/** Build the program; `run` receives each command's promise of an exit code. */
export function buildProgram(io: AppIO, done: (code: Promise<number>) => void): Command {
  const program = new Command(NAME)
    .description('Train a UniHetero model on the shapes world or on your own folder of PNG + caption pairs (--data): progress on stderr, metrics/evaluations as JSONL, atomic checkpoints, exact --resume.')
    .configureOutput({ writeOut: (t) => void io.stdout.write(t), writeErr: (t) => void io.stderr.write(t) })
    .exitOverride()
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for the options)')
    .addOption(new Option('--preset <name>', `training recipe (${presetNames().join(', ')}; default exp2)`))
    .option('--data <dir>', 'train on a folder of NAME.png + NAME.txt (caption) pairs, 32x32 images, in train/ and test/ subfolders or split by name, instead of the shapes world')
    .option('--samples <n>', 'training samples, the data budget (default 20000)', intArg('--samples', 1, LIMITS.samples))
    .option('--batch-size <n>', 'samples per step (default 16)', intArg('--batch-size', 1, LIMITS.batchSize))
    .option('--lr <x>', 'peak learning rate (default 0.002)', positiveArg('--lr'))
    .option('--seed <n>', 'seed of the initialisation and of the run (default 0)', intArg('--seed', 0))
    .addOption(backendOption())
    .addOption(encoderWorkerOption())
    .option('--out <dir>', 'run folder (required)')
    .option('--config <file.json>', 'a JSON run spec: { preset, data, config, world, seed, trainer, eval, checkpointEvery }')
    .option('--resume', 'continue from <out>/checkpoint.safetensors with identical numbers')
    .option('--eval-every <steps>', 'evaluate every N steps and at the end (0 = never; default: a tenth of the run)', intArg('--eval-every', 0))
    .option('--eval-count <n>', 'multiple-choice questions (with --data: test images captioned) per evaluation (default 64)', intArg('--eval-count', 1, LIMITS.evalCount))
    .option('--ckpt-every <steps>', 'checkpoint every N steps (0 = at the end and on Ctrl-C only; default: a twentieth of the run)', intArg('--ckpt-every', 0))
    .option('--quiet', 'no progress output')
    .option('--verbose', 'print the stack trace of an error (also: UNIHETERO_VERBOSE=1)')
    .action((flags: TrainFlags) => {
      done(train(flags, io));
    });

  program
    .command('demo')
    .description(`the quick end-to-end demo (~10 min on 2 CPU cores): train exp2 on ${DEMO_RECIPE.samples} samples, report understanding, the generation ladder (decoder, semantics, end to end), a sheet of generated images and a round trip; --recipe standard is the ~30-minute run (${STANDARD_RECIPE.samples} samples)`)
    .option('--out <dir>', 'output folder (default runs/<recipe>)')
    .addOption(new Option('--recipe <name>', 'demo (~10 minutes) or standard (~30 minutes)').choices(['demo', 'standard']).default('demo'))
    .option('--data <dir>', 'train on a folder of NAME.png + NAME.txt (caption) pairs, 32x32 images, in train/ and test/ subfolders or split by name, instead of the shapes world')
    .option('--samples <n>', `training samples (default: the recipe's; demo ${DEMO_RECIPE.samples})`, intArg('--samples', 1, LIMITS.samples))
    .option('--seed <n>', 'seed (default 0)', intArg('--seed', 0))
    .addOption(backendOption())
    .addOption(encoderWorkerOption())
    .option('--resume', 'continue an interrupted demo from its checkpoint')
    .option('--quiet', 'no progress output')
    .option('--verbose', 'print the stack trace of an error (also: UNIHETERO_VERBOSE=1)')
    .addOption(new Option('--tiny', 'a seconds-long recipe (tests)').hideHelp())
    .configureOutput({ writeOut: (t) => void io.stdout.write(t), writeErr: (t) => void io.stderr.write(t) })
    .exitOverride()
    .action((o: { out?: string; recipe: 'demo' | 'standard'; samples?: number; seed?: number; backend?: string; resume?: boolean; quiet?: boolean; tiny?: boolean; encoderWorker?: boolean }) => {
      const recipe = o.tiny ? TINY_RECIPE : o.recipe === 'standard' ? STANDARD_RECIPE : DEMO_RECIPE;
      done(withBackend(o.backend, (backend) => runDemo({ out: o.out ?? `runs/${o.recipe}`, backend, samples: o.samples, seed: o.seed, resume: o.resume, quiet: o.quiet, recipe, encoderWorker: o.encoderWorker }, io)));
    });

  program.addHelpText(
    'after',
    `
Examples:
  ${NAME} --preset exp2 --samples 20000 --backend auto --out runs/exp2
  ${NAME} --config run.json --out runs/mine
  ${NAME} --data my-pairs --samples 2000 --out runs/mine   (a folder of NAME.png + NAME.txt)
  ${NAME} --resume --out runs/exp2          (after Ctrl-C or a crash)
  ${NAME} demo --out runs/demo
  ${NAME} demo --recipe standard --out runs/standard

Ctrl-C finishes the current step, saves the checkpoint and exits with code 130; SIGTERM does the
same and exits with code 143. Errors are one line; --verbose (or UNIHETERO_VERBOSE=1) adds the stack.`,
  );
  return program;
}

/** Parse `args` (without node and script) and run; resolves to the exit code. */
export async function runCli(args: string[], io: AppIO): Promise<number> {
  let pending: Promise<number> | null = null;
  const program = buildProgram(io, (p) => (pending = p));
  try {
    await program.parseAsync(args, { from: 'user' });
    return pending ? await pending : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    io.stderr.write(formatError(NAME, e, isVerbose(args)));
    return 1;
  }
}
