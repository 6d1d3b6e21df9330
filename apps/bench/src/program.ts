/**
 * The `unihetero-bench` command line: one commander program with a subcommand per suite
 * (`matmul`, `mlp`, `gpt`, ...). Unknown suites, backends and peers are rejected with a message that lists
 * the valid ones. `runCli` is the testable entry point (streams and suite runners injectable).
 */
import { Command, Option } from 'commander';
import { checked, runProgram } from '@unihetero/app-common';
import { processIO, type BenchIO } from './io.js';
import { parseCount, parseSizes } from './stats.js';
import { ALL_PEERS, DEFAULT_SIZES, runMatmul, type MatmulOptions } from './suites/matmul.js';
import { MLP_ALL_PEERS, runMlp, type MlpOptions } from './suites/mlp.js';
import { GPT_ALL_PEERS, GPT_DEFAULT_PEERS, runGpt, type GptOptions } from './suites/gpt.js';
import { runTrainStep, runTransformer, type StepOptions } from './suites/steps.js';
import { runSoak, type SoakOptions } from './suites/soak.js';

/** Names of the registered suites. */
export const SUITES = ['matmul', 'mlp', 'gpt', 'transformer', 'train', 'soak'] as const;

/** What the CLI needs from the outside (replaced in tests). */
export interface CliDeps {
  io: BenchIO;
  /** Where commander writes help (stdout) and errors (stderr). */
  writeOut: (text: string) => void;
  writeErr: (text: string) => void;
  runMatmul: (opts: MatmulOptions, io: BenchIO) => Promise<unknown>;
  runMlp: (opts: MlpOptions, io: BenchIO) => Promise<unknown>;
  runGpt: (opts: GptOptions, io: BenchIO) => Promise<unknown>;
  runTransformer: (opts: StepOptions, io: BenchIO) => Promise<unknown>;
  runTrainStep: (opts: StepOptions & { batchSize?: number; preset?: string }, io: BenchIO) => Promise<unknown>;
  runSoak: (opts: SoakOptions, io: BenchIO) => Promise<unknown>;
}

/** The real streams and suites. */
export const defaultDeps: CliDeps = {
  io: processIO,
  writeOut: (t) => void process.stdout.write(t),
  writeErr: (t) => void process.stderr.write(t),
  runMatmul,
  runMlp,
  runGpt,
  runTransformer,
  runTrainStep,
  runSoak,
};

function parsePeers(allowed: readonly string[]) {
  return (text: string): string[] => {
    const names = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (names.length === 1 && names[0] === 'none') return [];
    for (const n of names) {
      if (!allowed.includes(n)) throw new Error(`--peers: unknown peer '${n}'; expected a comma-separated subset of ${allowed.join(', ')} (or 'none')`);
    }
    return names;
  };
}

/** A positive learning rate. */
function parseLr(t: string): number {
  const x = Number(t);
  if (!(x > 0) || !Number.isFinite(x)) throw new Error(`--lr: expected a positive number, got '${t}'`);
  return x;
}

/** An integer option `>= min` whose error commander reports. */
function intOption(name: string, min: number): (text: string) => number {
  return checked((text) => parseCount(name, text, min));
}

/** A command of a step suite: `--backend cpu|webgpu|all`, `--steps` (timed, median reported) and `--warmup`. */
function stepCommand(program: Command, name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .addOption(new Option('--backend <backend>', 'which of our backends').choices(['cpu', 'webgpu', 'all']).default('cpu'))
    .option('--steps <n>', 'timed steps (median reported)', intOption('--steps', 1), 5)
    .option('--warmup <n>', 'untimed steps first', intOption('--warmup', 0), 1)
    .option('--composed', "also time each backend with its fused overrides off (rows '<backend> (composed)'): what the fused attention, cross-entropy and norms gain");
}

/** Build the program; `runCli` parses with it. */
export function buildProgram(deps: CliDeps = defaultDeps): Command {
  const program = new Command('unihetero-bench')
    .description('Benchmarks of the unihetero runtime against tfjs and jax-js, run side by side in one process.')
    .usage('<suite> [options]')
    .argument('[suite]', `suite to run: ${SUITES.join(' | ')}`)
    .configureOutput({ writeOut: deps.writeOut, writeErr: deps.writeErr })
    .exitOverride()
    .showHelpAfterError('(run with --help for the suites and their options)')
    .action((suite: string | undefined) => {
      if (suite === undefined) {
        program.outputHelp();
        return;
      }
      program.error(`error: unknown suite '${suite}'; available suites: ${SUITES.join(', ')}`, { code: 'bench.unknownSuite' });
    });

  program
    .command('matmul')
    .description(
      'float32 square matmul GFLOP/s (2n^3 / s, median, result read back) of our backend next to the peers ' +
        '(cpu: tfjs-cpu, tfjs-wasm, jax-js-wasm; webgpu: tfjs-webgpu, jax-js-webgpu on the same Dawn adapter)',
    )
    .addOption(new Option('--backend <backend>', 'which of our backends to measure').choices(['cpu', 'webgpu', 'all']).default('cpu'))
    .option('--sizes <list>', `comma-separated square sizes (default cpu ${DEFAULT_SIZES.cpu.join(',')}; webgpu ${DEFAULT_SIZES.webgpu.join(',')})`, checked(parseSizes))
    .option('--repeats <n>', 'timed samples per contender and size (median reported)', intOption('--repeats', 1), 5)
    .option('--warmup <n>', 'untimed runs after the validation run', intOption('--warmup', 0), 2)
    .option('--min-sample-ms <ms>', 'a timed sample repeats the matmul until it lasts this long', intOption('--min-sample-ms', 0), 20)
    .option('--peers <list>', `restrict the peers: subset of ${ALL_PEERS.join(',')} or 'none'`, checked(parsePeers(ALL_PEERS)))
    .option('--seed <n>', 'seed of the input matrices', intOption('--seed', 0), 0)
    .option('--json <file>', 'also write the raw numbers (samples, checks, variants) as JSON')
    .action(async (o: { backend: MatmulOptions['backend']; sizes?: number[]; repeats: number; warmup: number; minSampleMs: number; peers?: string[]; seed: number; json?: string }) => {
      await deps.runMatmul(
        { backend: o.backend, sizes: o.sizes, repeats: o.repeats, warmup: o.warmup, minSampleMs: o.minSampleMs, peers: o.peers, seed: o.seed, json: o.json },
        deps.io,
      );
    });

  program
    .command('mlp')
    .description(
      'training steps/s of the MLP 256 -> 512 -> 512 -> 10 (batch 64, ReLU, softmax cross-entropy, Adam) on our backend ' +
        'next to tfjs (wasm) and jax-js (wasm, eager and jit), same initial weights and data; prints the first losses',
    )
    .addOption(new Option('--backend <backend>', 'which of our backends to train on (webgpu adds tfjs-webgpu and jax-js-webgpu-jit)').choices(['cpu', 'webgpu', 'all']).default('cpu'))
    .option('--steps <n>', 'timed training steps per framework and round', intOption('--steps', 1), 30)
    .option('--warmup <n>', 'untimed steps first (jit compiles and compile() traces here; their losses are kept)', intOption('--warmup', 0), 5)
    .option('--rounds <n>', 'interleaved timing rounds (median reported)', intOption('--rounds', 1), 3)
    .option('--peers <list>', `restrict the peers: subset of ${MLP_ALL_PEERS.join(',')} or 'none'`, checked(parsePeers(MLP_ALL_PEERS)))
    .option('--lr <x>', 'Adam learning rate', checked(parseLr), 1e-3)
    .option('--seed <n>', 'seed of weights and data', intOption('--seed', 0), 0)
    .option('--json <file>', 'also write the raw numbers (all losses, variants) as JSON')
    .action(async (o: { backend: MlpOptions['backend']; steps: number; warmup: number; rounds: number; peers?: string[]; lr: number; seed: number; json?: string }) => {
      await deps.runMlp({ backend: o.backend, steps: o.steps, warmup: o.warmup, rounds: o.rounds, peers: o.peers, lr: o.lr, seed: o.seed, json: o.json }, deps.io);
    });

  program
    .command('gpt')
    .description(
      'training tokens/s of a tiny GPT (d 128, 4 heads, 2 layers, seq 64, batch 8, vocab 256, pre-LN, learned positions, GELU-tanh MLP 4x, ' +
        'untied head, softmax cross-entropy, Adam) on our CPU backend, eager and compile(), next to jax-js (wasm, jit), same initial weights and batches; prints the first losses',
    )
    .option('--steps <n>', 'timed training steps per contender and round', intOption('--steps', 1), 20)
    .option('--warmup <n>', 'untimed steps first (jit compiles and compile() traces here; their losses are kept)', intOption('--warmup', 0), 3)
    .option('--rounds <n>', 'interleaved timing rounds (median reported)', intOption('--rounds', 1), 3)
    .option('--peers <list>', `restrict the peers: subset of ${GPT_ALL_PEERS.join(',')} or 'none' (default ${GPT_DEFAULT_PEERS.join(',')})`, checked(parsePeers(GPT_ALL_PEERS)))
    .option('--lr <x>', 'Adam learning rate', checked(parseLr), 1e-3)
    .option('--seed <n>', 'seed of weights and data', intOption('--seed', 0), 0)
    .option('--json <file>', 'also write the raw numbers (all losses, variants) as JSON')
    .action(async (o: { steps: number; warmup: number; rounds: number; peers?: string[]; lr: number; seed: number; json?: string }) => {
      await deps.runGpt({ steps: o.steps, warmup: o.warmup, rounds: o.rounds, peers: o.peers, lr: o.lr, seed: o.seed, json: o.json }, deps.io);
    });

  stepCommand(program, 'transformer', 'tokens/s of a forward+backward+AdamW step of the transformer bench config (d=256, 4 layers, seq 128, batch 8)')
    .option('--compiled', "also time each backend with the whole step through compile() (rows '<backend> (compiled)')")
    .action(async (o: { backend: StepOptions['backend']; steps: number; warmup: number; composed?: boolean; compiled?: boolean }) => {
      await deps.runTransformer({ backend: o.backend, steps: o.steps, warmup: o.warmup, composed: o.composed === true, compiled: o.compiled === true }, deps.io);
    });

  stepCommand(program, 'train', 'samples/s of one UniHetero training step of the embedded default (d=128, 4 layers, exp2, batch 16)')
    .option('--batch-size <n>', 'samples per step', intOption('--batch-size', 1), 16)
    .option('--preset <name>', 'training preset (exp1..exp4)', 'exp2')
    .action(async (o: { backend: StepOptions['backend']; steps: number; warmup: number; batchSize: number; preset: string; composed?: boolean }) => {
      await deps.runTrainStep({ backend: o.backend, steps: o.steps, warmup: o.warmup, batchSize: o.batchSize, preset: o.preset, composed: o.composed === true }, deps.io);
    });

  program
    .command('soak')
    .description('memory over a long training run (not a test): a small UniHetero model trained for --steps steps; live tensors, storages, bytes and GPU buffers created must stay flat after the first sample')
    .addOption(new Option('--backend <backend>', 'which of our backends').choices(['cpu', 'webgpu']).default('webgpu'))
    .option('--steps <n>', 'training steps', intOption('--steps', 2), 10_000)
    .option('--every <n>', 'steps between samples of the counters (default steps / 20)', intOption('--every', 1))
    .option('--batch-size <n>', 'samples per step', intOption('--batch-size', 1), 4)
    .option('--json <file>', 'also write the samples and the verdict as JSON')
    .action(async (o: { backend: SoakOptions['backend']; steps: number; every?: number; batchSize: number; json?: string }) => {
      await deps.runSoak({ backend: o.backend, steps: o.steps, every: o.every, batchSize: o.batchSize, json: o.json }, deps.io);
    });

  for (const c of program.commands) c.configureOutput({ writeOut: deps.writeOut, writeErr: deps.writeErr }).exitOverride().showHelpAfterError('(run with --help for the options)');
  program.addHelpText(
    'after',
    '\nExamples:\n  unihetero-bench matmul\n  unihetero-bench matmul --backend webgpu --sizes 256,512,1024,2048\n  unihetero-bench mlp --steps 30\n  unihetero-bench gpt\n  unihetero-bench transformer --backend all\n  unihetero-bench train\n  unihetero-bench soak --backend webgpu --steps 10000\n\nTables go to stdout, progress to stderr.',
  );
  return program;
}

/** Parse `args` (without node and script) and run; resolves to the process exit code. */
export async function runCli(args: string[], deps: CliDeps = defaultDeps): Promise<number> {
  return runProgram(buildProgram(deps), args, (e) => deps.writeErr(`unihetero-bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`));
}
