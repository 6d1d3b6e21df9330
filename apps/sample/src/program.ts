/**
 * The `unihetero-sample` command line: `caption`, `answer`, `generate` and `roundtrip` on a
 * checkpoint written by unihetero-train. Option values are checked as they are parsed (the error
 * names the option and the text); `runCli` is the in-process entry point used by the tests.
 */
import { readFile, stat } from 'node:fs/promises';
import { Command, Option } from 'commander';
import type { BackendKind } from '@unihetero/webgpu';
import { checked, formatError, isVerbose, runProgram } from '@unihetero/app-common';
import { processIO, messageOf, UsageError, type SampleIO } from './io.js';
import { parseCaptionLines, parseChoices, parseInteger, parseNumber } from './parse.js';
import { BACKENDS } from './session.js';
import { LIMITS, collectCaptions, type SemanticFlags } from './commands/common.js';
import { runCaption } from './commands/caption.js';
import { runAnswer } from './commands/answer.js';
import { runGenerate } from './commands/generate.js';
import { runRoundTrip } from './commands/roundtrip.js';

/** The program's name (in messages and help). */
export const PROGRAM = 'unihetero-sample';

const int = (name: string, min: number, max?: number) => checked((t) => parseInteger(name, t, min, max));
const num = (name: string, range: Parameters<typeof parseNumber>[2]) => checked((t) => parseNumber(name, t, range));

interface CommonFlags {
  checkpoint: string;
  backend?: BackendKind;
  seed: number;
}

/** `--checkpoint`, `--backend`, `--seed` on `cmd`. */
function addCommon(cmd: Command): Command {
  return cmd
    .requiredOption('--checkpoint <path>', 'checkpoint written by unihetero-train (records how its model was built)')
    .addOption(new Option('--backend <kind>', 'tensor backend (default: $UNIHETERO_BACKEND, else auto = WebGPU when an adapter exists, else CPU)').choices(BACKENDS))
    .option('--seed <n>', 'seed of the random streams', int('--seed', 0), 0)
    .option('--verbose', 'print the stack trace of an error (also: UNIHETERO_VERBOSE=1)');
}

/** The semantic options of the MAR loop (shared by generate and roundtrip). */
function addSemantic(cmd: Command): Command {
  return cmd
    .option('--steps <n>', 'MAR steps K (1 .. number of visual tokens)', int('--steps', 1), 16)
    .option('--regeneration-rounds <n>', 'rounds of re-masking and regenerating after the full pass (inference-time scaling)', int('--regeneration-rounds', 0, LIMITS.regenerationRounds), 0)
    .option('--regeneration-fraction <x>', 'fraction of the tokens re-masked per round, in (0, 1]', num('--regeneration-fraction', { min: 0, exclusiveMin: true, max: 1 }), 0.25)
    .addOption(new Option('--regeneration-policy <policy>', 'which tokens to re-mask').choices(['random', 'original-order', 'lowest-agreement']).default('random'))
    .option('--semantic-guidance <w>', 'classifier-free guidance on the semantic predictions (1 = off)', num('--semantic-guidance', { min: 0 }), 1)
    .addOption(new Option('--order <order>', 'generation order of the visual tokens').choices(['random', 'raster']).default('random'));
}

/** Read `--captions-file` (one caption per line). */
async function readCaptionsFile(path: string | undefined): Promise<string[] | undefined> {
  if (path === undefined) return undefined;
  let text: string;
  try {
    const size = (await stat(path)).size;
    if (size > LIMITS.captionsFileBytes) throw new UsageError(`captions file '${path}' is ${size} bytes; at most ${LIMITS.captionsFileBytes} bytes are read (split it into several runs)`);
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `captions file '${path}' does not exist` : code === 'EISDIR' ? `captions file '${path}' is a folder` : `captions file '${path}' cannot be read: ${messageOf(e)}`);
  }
  const lines = parseCaptionLines(text);
  if (lines.length === 0) throw new UsageError(`captions file '${path}' holds no captions (one per line; '#' starts a comment line)`);
  return lines;
}

/** Build the program writing through `io`; `runCli` parses with it. */
export function buildProgram(io: SampleIO = processIO): Command {
  const output = { writeOut: (t: string) => io.out(t.replace(/\n$/, '')), writeErr: (t: string) => io.err(t.replace(/\n$/, '')) };
  const program = new Command(PROGRAM)
    .description('Caption, question, generate and round-trip with a UniHetero checkpoint trained by unihetero-train.')
    .configureOutput(output)
    .exitOverride()
    .showHelpAfterError('(run with --help for the subcommands and their options)');

  addCommon(program.command('caption').description('caption PNG images (32x32 RGB; greyscale and alpha are converted to RGB), one line per file'))
    .argument('<png...>', 'PNG files')
    .option('--max-tokens <n>', "most tokens per caption (at most what the model's context leaves after the image)", int('--max-tokens', 1), 48)
    .option('--temperature <t>', 'sampling temperature; 0 decodes greedily', num('--temperature', { min: 0 }), 0)
    .option('--top-k <k>', 'sample among the k most likely tokens', int('--top-k', 1))
    .option('--top-p <p>', 'nucleus sampling mass, in (0, 1]', num('--top-p', { min: 0, exclusiveMin: true, max: 1 }))
    .option('--batch-size <n>', 'images per forward when decoding greedily', int('--batch-size', 1, LIMITS.batchSize), 16)
    .action(async (files: string[], f: CommonFlags & { maxTokens: number; temperature: number; topK?: number; topP?: number; batchSize: number }) => {
      await runCaption({ ...f, files }, io);
    });

  addCommon(program.command('answer').description("answer a multiple-choice question about a PNG: prints the chosen option and each option's log-likelihood"))
    .argument('<png>', 'PNG file')
    .requiredOption('--question <text>', 'the question, in the words of the world (e.g. "what colour is the circle?")')
    .requiredOption('--options <a|b|c>', "the options separated by '|' (at least two)", checked((t) => parseChoices('--options', t)))
    .action(async (file: string, f: CommonFlags & { question: string; options: string[] }) => {
      if (f.question.trim().length === 0) throw new UsageError('--question is empty');
      await runAnswer({ ...f, file }, io);
    });

  addSemantic(
    addCommon(program.command('generate').description('generate PNGs from captions; writes each image, sheet.png/.svg and results.json into --out, and prints the judge score of each image against its caption'))
      .argument('[captions...]', 'captions (or --captions-file)')
      .option('--captions-file <file>', 'captions, one per line (after any given as arguments)')
      .requiredOption('--out <dir>', 'output folder (created if missing)')
      .option('--count <n>', `samples per caption; sample k uses seed + k (captions x count <= ${LIMITS.images})`, int('--count', 1, LIMITS.images), 1),
  )
    .option('--temperature <t>', "scale of the flow sampler's initial noise (default: the checkpoint config's flow.sampleTemperature)", num('--temperature', { min: 0 }))
    .option('--guidance <g>', 'classifier-free guidance scale on the flow velocity (1 = off)', num('--guidance', { min: 0 }), 1)
    .addOption(new Option('--guidance-schedule <schedule>', 'guidance over the MAR steps').choices(['linear', 'constant']).default('linear'))
    .option('--flow-steps <n>', "flow sampler steps (default: the checkpoint config's flow.sampleSteps)", int('--flow-steps', 1, LIMITS.flowSteps))
    .addOption(new Option('--flow-sampler <method>', "flow ODE method (default: the checkpoint config's flow.sampler)").choices(['euler', 'heun']))
    .action(async (args: string[], f: CommonFlags & SemanticFlags & { captionsFile?: string; out: string; count: number; temperature?: number; guidance: number; guidanceSchedule: 'linear' | 'constant'; flowSteps?: number; flowSampler?: 'euler' | 'heun' }) => {
      const { captionsFile, ...rest } = f;
      const captions = collectCaptions(args, await readCaptionsFile(captionsFile), 'generate');
      await runGenerate({ ...rest, captions }, io);
    });

  addSemantic(
    addCommon(program.command('roundtrip').description("text -> generated semantic tokens -> text (the paper's Figure 7): prints both texts and whether their objects match"))
      .argument('[captions...]', 'captions (or --captions-file)')
      .option('--captions-file <file>', 'captions, one per line (after any given as arguments)')
      .option('--max-tokens <n>', "most tokens of the returned text (at most what the model's context leaves after the image)", int('--max-tokens', 1), 48),
  ).action(async (args: string[], f: CommonFlags & SemanticFlags & { captionsFile?: string; maxTokens: number }) => {
    const { captionsFile, ...rest } = f;
    const captions = collectCaptions(args, await readCaptionsFile(captionsFile), 'roundtrip');
    await runRoundTrip({ ...rest, captions }, io);
  });

  for (const c of program.commands) c.configureOutput(output).exitOverride().showHelpAfterError(`(run '${PROGRAM} ${c.name()} --help' for its options)`);
  program.addHelpText(
    'after',
    [
      '',
      'Examples:',
      `  ${PROGRAM} caption a.png b.png --checkpoint runs/exp2/checkpoint.safetensors`,
      `  ${PROGRAM} answer a.png --question "what colour is the circle?" --options "red|green|blue|white" --checkpoint ckpt.safetensors`,
      `  ${PROGRAM} generate "a large red circle at the centre." --count 4 --out samples --checkpoint ckpt.safetensors`,
      `  ${PROGRAM} roundtrip "a small blue square at the top left." --checkpoint ckpt.safetensors`,
      '',
      'Results go to stdout, progress and diagnostics to stderr. Errors are one line; --verbose (or',
      'UNIHETERO_VERBOSE=1) adds the stack trace.',
    ].join('\n'),
  );
  return program;
}

/** Parse `args` (without node and script) and run; resolves to the exit code (0 ok, 1 error). */
export async function runCli(args: string[], io: SampleIO = processIO): Promise<number> {
  const program = buildProgram(io);
  return runProgram(program, args, (e) => {
    const sub = args.find((a) => program.commands.some((c) => c.name() === a));
    io.err(formatError(`${PROGRAM}${sub ? ` ${sub}` : ''}`, e, isVerbose(args)).replace(/\n$/, ''));
  });
}
