/**
 * The `unihetero-eval` command line: `evaluate` (one checkpoint), `ablation` (the paper's Tables
 * 1 and 2 on the shapes world), `diagnose` (the generation ladder) and `report`. `runCli` is the testable entry point: streams injectable, the
 * backend destroyed at the end of every command, the exit code returned.
 */
import { Command, Option } from 'commander';
import type { Backend } from '@unihetero/tensor';
import { CAPTIONER_RECIPE, PRESET_NAMES, mergeConfig, presetNames } from '@unihetero/model';
import { rewriteReport, runAblation } from './ablation.js';
import { selectBackend } from './backend.js';
import { runEvaluate } from './evaluate.js';
import { runDiagnose } from './diagnose.js';
import { processIO, type EvalIO } from './io.js';
import type { EvalSettings } from './metrics.js';
import { COUNT_LIMITS, parseInteger, parseIntegerList, parseNameList, parsePositive } from './options.js';
import { checked, formatError, isVerbose, parseNumber, runProgram } from '@unihetero/app-common';
import type { AblationModelSize } from './recipe.js';
import { ABLATION_RECIPE, DESIGN_NAMES, QUICK_RECIPE, VARIANT_DESIGN, VARIANT_NAMES, withSize, type DesignName } from './recipe.js';

/** What the CLI needs from the outside (replaced in tests). */
export interface CliDeps {
  io: EvalIO;
  /** Where commander writes help (stdout) and errors (stderr). */
  writeOut: (text: string) => void;
  writeErr: (text: string) => void;
  /** Backend selection (`--backend`). */
  selectBackend: (kind: string | undefined, warn: (line: string) => void) => Promise<Backend>;
}

/** The real streams and backends. */
export const defaultDeps: CliDeps = {
  io: processIO,
  writeOut: (t) => void process.stdout.write(t),
  writeErr: (t) => void process.stderr.write(t),
  selectBackend,
};

const int = (name: string, min: number, max?: number) => checked((t) => parseInteger(name, t, min, max));

interface EvalFlags {
  evalCount?: number;
  captionCount?: number;
  genCount?: number;
  roundtripCount?: number;
  evalBatch?: number;
  genSteps?: number;
  flowSteps?: number;
  evalSeed?: number;
  semanticsCount?: number;
  probeImages?: number;
}

function addEvalOptions(c: Command, base: string): Command {
  return c
    .option('--eval-count <n>', `multiple-choice questions per split, test and heldout (${base})`, int('--eval-count', 1, COUNT_LIMITS.questions))
    .option('--caption-count <n>', 'test images captioned for caption accuracy (0 skips)', int('--caption-count', 0, COUNT_LIMITS.images))
    .option('--gen-count <n>', 'test captions generated into images and judged (0 skips)', int('--gen-count', 0, COUNT_LIMITS.images))
    .option('--roundtrip-count <n>', 'test captions sent text -> semantics -> text (0 skips)', int('--roundtrip-count', 0, COUNT_LIMITS.images))
    .option('--eval-batch <n>', 'rows per evaluation forward pass', int('--eval-batch', 1, 4096))
    .option('--gen-steps <n>', 'MAR steps of generation', int('--gen-steps', 1, COUNT_LIMITS.steps))
    .option('--flow-steps <n>', 'flow sampler steps', int('--flow-steps', 1, COUNT_LIMITS.steps))
    .option('--eval-seed <n>', 'seed of the generation noise and orders', int('--eval-seed', 0))
    .option('--semantics-count <n>', "test captions for the generation ladder's semantics rung (generated semantic tokens read by a probe; 0 skips)", int('--semantics-count', 0, COUNT_LIMITS.images))
    .option('--probe-images <n>', "training images the semantics rung's probe is fitted on", int('--probe-images', 1, COUNT_LIMITS.images));
}

function evalSettings(base: EvalSettings, f: EvalFlags): EvalSettings {
  return {
    ...base,
    semanticsCount: f.semanticsCount ?? base.semanticsCount,
    probeImages: f.probeImages ?? base.probeImages,
    count: f.evalCount ?? base.count,
    captionCount: f.captionCount ?? base.captionCount,
    generationCount: f.genCount ?? base.generationCount,
    roundTripCount: f.roundtripCount ?? base.roundTripCount,
    batchSize: f.evalBatch ?? base.batchSize,
    generationSteps: f.genSteps ?? base.generationSteps,
    flowSteps: f.flowSteps ?? base.flowSteps,
    seed: f.evalSeed ?? base.seed,
  };
}

interface AblationFlags extends EvalFlags {
  quick?: boolean;
  designs?: string[];
  presets?: string[];
  variants?: string[];
  scales?: number[];
  seeds?: number[];
  out: string;
  batchSize?: number;
  lr?: number;
  hiddenSize?: number;
  layers?: number;
  heads?: number;
  flowWidth?: number;
  flowDepth?: number;
  understandingCaptions?: 'same' | 'canonical';
  flowWarmupSteps?: number;
  backend?: string;
  encoderWorker?: boolean;
}

/** Build the program; `runCli` parses with it. */
export function buildProgram(deps: CliDeps, argv: readonly string[]): Command {
  const program = new Command('unihetero-eval')
    .description("Evaluation of UniHetero models on the shapes world, and the paper's ablation (Table 1: exp1..exp4 in two data designs; Table 2: the invert-projector variants).")
    .configureOutput({ writeOut: deps.writeOut, writeErr: deps.writeErr })
    .exitOverride()
    .showHelpAfterError('(run with --help for the commands and their options)');

  const withBackend = async <T>(kind: string | undefined, fn: (b: Backend) => Promise<T>): Promise<T> => {
    const backend = await deps.selectBackend(kind, (line) => deps.io.progress(line));
    try {
      return await fn(backend);
    } finally {
      backend.destroy();
    }
  };
  const backendOption = () => new Option('--backend <kind>', 'tensor backend (default: UNIHETERO_BACKEND or auto; auto skips software WebGPU adapters)').choices(['auto', 'cpu', 'webgpu']);

  const evaluate = program
    .command('evaluate')
    .description('evaluate one checkpoint (written by unihetero-train or the ablation): understanding, generation, round trip; a checkpoint of unihetero-train --data: captions and generation on its folder')
    .requiredOption('--checkpoint <file>', 'a .safetensors checkpoint that records how its model was built')
    .option('--json <file>', 'also write the numbers as JSON')
    .option('--sheet <file.png>', 'sample sheet of the generated images (default <checkpoint>-samples.png)')
    .option('--no-sheet', 'do not write a sample sheet')
    .option('--data <dir>', 'for a checkpoint of unihetero-train --data: the folder of PNG + caption pairs to measure on (default: the one it was trained on)')
    .addOption(backendOption());
  addEvalOptions(evaluate, `default ${ABLATION_RECIPE.eval.count}`).action(async (o: EvalFlags & { checkpoint: string; json?: string; sheet?: string | false; data?: string; backend?: string }) => {
    const settings = evalSettings(ABLATION_RECIPE.eval, o);
    await withBackend(o.backend, (b) => runEvaluate({ checkpoint: o.checkpoint, eval: settings, json: o.json, sheet: o.sheet === false ? null : o.sheet, data: o.data, semanticsAsked: (o.semanticsCount ?? 0) > 0 }, b, deps.io));
  });

  const ablation = program
    .command('ablation')
    .description(
      "train the presets in two data designs (equal understanding data, the primary table; equal samples) and the paper's Table 2 invert-projector variants from one recipe, with the same seeds and budgets; evaluate checkpoints along the way; summarise over seeds (mean, 95% t-interval), fit y = a*n + b (Equation 6); write REPORT.md, results.json and SVG plots",
    )
    .option('--quick', 'the recipe at a small size with one seed, to check the pipeline end to end (see the README)')
    .option('--designs <list>', `data designs, comma-separated, primary first (default ${DESIGN_NAMES.join(',')})`, checked((t) => parseNameList('--designs', t, DESIGN_NAMES, 'design')))
    .option('--presets <list>', `presets to train, comma-separated (default ${PRESET_NAMES.join(',')})`, checked((t) => parseNameList('--presets', t, presetNames())))
    .option(
      '--variants <list>',
      `Table 2 invert-projector variants trained as exp2 under ${VARIANT_DESIGN}, comma-separated, or none (default ${VARIANT_NAMES.join(',')} when ${VARIANT_DESIGN} is among the designs)`,
      checked((t) => (t.trim() === 'none' ? [] : parseNameList('--variants', t, VARIANT_NAMES, 'variant'))),
    )
    .option('--scales <list>', `sample budgets with a checkpoint each (default ${ABLATION_RECIPE.scales.join(',')}; --quick ${QUICK_RECIPE.scales.join(',')})`, checked((t) => parseIntegerList('--scales', t, 1)))
    .option('--seeds <list>', `seeds (model initialisation and training stream), the same for every run (default ${ABLATION_RECIPE.seeds.join(',')}; --quick ${QUICK_RECIPE.seeds.join(',')})`, checked((t) => parseIntegerList('--seeds', t, 0)))
    .option('--out <dir>', 'output folder', 'runs/ablation')
    .option('--batch-size <n>', `samples per step (default ${ABLATION_RECIPE.batchSize}); every scale must be a multiple`, int('--batch-size', 1, 4096))
    .option('--lr <x>', `peak learning rate (default ${ABLATION_RECIPE.lr})`, checked((t) => parsePositive('--lr', t)))
    .option('--hidden-size <n>', "backbone width d (default: the recipe's)", int('--hidden-size', 2, 8192))
    .option('--layers <n>', 'backbone layers', int('--layers', 1, 256))
    .option('--heads <n>', 'attention heads', int('--heads', 1, 256))
    .option('--flow-width <n>', "flow head width (a preset with its own width keeps its ratio to 'small' 128)", int('--flow-width', 1, 8192))
    .option('--flow-depth <n>', 'flow head depth', int('--flow-depth', 1, 256))
    .addOption(
      new Option('--understanding-captions <style>', "captions the understanding examples learn: 'same' as the generation prompts (paraphrases; the recipe docs/ablation/REPORT.md was measured with) or 'canonical' (row-major order, as the standard recipe since)")
        .choices(['same', 'canonical'])
        .default('same'),
    )
    .option('--flow-warmup-steps <n>', `flow warm-up steps of presets that warm up (default: each preset's own; --quick ${QUICK_RECIPE.flowWarmupSteps})`, int('--flow-warmup-steps', 0))
    .addOption(backendOption())
    .option('--no-encoder-worker', 'on the CPU backend, run the frozen semantic encoder on the training thread instead of a worker thread one batch ahead (same numbers)');
  addEvalOptions(ablation, `default ${ABLATION_RECIPE.eval.count}; --quick ${QUICK_RECIPE.eval.count}`).action(async (o: AblationFlags) => {
    const base = o.quick ? QUICK_RECIPE : ABLATION_RECIPE;
    const sized = withSize(base.config, { hiddenSize: o.hiddenSize, layers: o.layers, heads: o.heads, flowWidth: o.flowWidth, flowDepth: o.flowDepth });
    const config = o.understandingCaptions === 'canonical' ? mergeConfig(sized, CAPTIONER_RECIPE) : sized;
    if (o.hiddenSize !== undefined || o.heads !== undefined) {
      const hidden = config.backbone?.hiddenSize ?? 128;
      const heads = config.backbone?.numAttentionHeads ?? 4;
      if (hidden % heads !== 0) throw new Error(`--hidden-size ${hidden} is not divisible by --heads ${heads}`);
    }
    const designs = (o.designs ?? [...DESIGN_NAMES]) as DesignName[];
    await withBackend(o.backend, (b) =>
      runAblation(
        {
          out: o.out,
          designs,
          presets: o.presets ?? [...PRESET_NAMES],
          variants: o.variants ?? (designs.includes(VARIANT_DESIGN) ? [...VARIANT_NAMES] : []),
          recipe: {
            ...base,
            config,
            scales: o.scales ?? base.scales,
            seeds: o.seeds ?? base.seeds,
            batchSize: o.batchSize ?? base.batchSize,
            lr: o.lr ?? base.lr,
            flowWarmupSteps: o.flowWarmupSteps ?? base.flowWarmupSteps,
            eval: evalSettings(base.eval, o),
          },
          quick: o.quick === true,
          command: ['unihetero-eval', ...argv].join(' '),
          encoderWorker: o.encoderWorker,
        },
        b,
        deps.io,
      ),
    );
  });

  program
    .command('diagnose')
    .description('the generation ladder on held-out data: decoder (real semantics -> pixels), semantics (caption -> tokens, read by a probe), end to end (caption -> pixels), round trip')
    .requiredOption('--checkpoint <file>', 'a .safetensors checkpoint that records how its model was built')
    .option('--count <n>', 'images per rung (default 32)', int('--count', 1, COUNT_LIMITS.images))
    .option('--probe-images <n>', 'training images the semantic probe is fitted on (default 512)', int('--probe-images', 16, COUNT_LIMITS.images))
    .option('--roundtrip-count <n>', 'captions sent text -> semantics -> text (default 16)', int('--roundtrip-count', 1, COUNT_LIMITS.images))
    .option('--gen-steps <n>', 'MAR steps of generation (default 16)', int('--gen-steps', 1, COUNT_LIMITS.steps))
    .option('--guidance <g>', 'classifier-free guidance on the flow velocity (default 1 = off)', checked((t) => parseNumber('--guidance', t, { min: 0 })))
    .option('--semantic-guidance <g>', 'classifier-free guidance on the semantic predictions (default 1 = off)', checked((t) => parseNumber('--semantic-guidance', t, { min: 0 })))
    .option('--temperature <t>', "scale of the flow sampler's initial noise, decoder rung included (default: the checkpoint config's flow.sampleTemperature)", checked((t) => parseNumber('--temperature', t, { min: 0 })))
    .addOption(new Option('--split <name>', 'evaluation split').choices(['test', 'heldout']).default('test'))
    .option('--json <file>', 'also write the numbers as JSON')
    .option('--sheets <prefix>', 'write <prefix>-decoder.png and <prefix>-generated.png')
    .addOption(backendOption())
    .action(async (o: { checkpoint: string; count?: number; probeImages?: number; roundtripCount?: number; genSteps?: number; guidance?: number; semanticGuidance?: number; temperature?: number; split: 'test' | 'heldout'; json?: string; sheets?: string; backend?: string }) => {
      await withBackend(o.backend, (b) =>
        runDiagnose({ checkpoint: o.checkpoint, count: o.count ?? 32, probeImages: o.probeImages ?? 512, roundTrips: o.roundtripCount ?? 16, steps: o.genSteps ?? 16, guidance: o.guidance, semanticGuidance: o.semanticGuidance, temperature: o.temperature, split: o.split, json: o.json, sheets: o.sheets ?? null }, b, deps.io),
      );
    });

  program
    .command('report')
    .description('rewrite REPORT.md and the SVG plots of an ablation folder from its results.json (no training)')
    .option('--out <dir>', 'the ablation output folder', 'runs/ablation')
    .action(async (o: { out: string }) => {
      await rewriteReport(o.out, deps.io);
    });

  for (const c of program.commands) {
    c.configureOutput({ writeOut: deps.writeOut, writeErr: deps.writeErr }).exitOverride().showHelpAfterError('(run with --help for the options)');
    c.option('--verbose', 'print the stack trace of an error (also: UNIHETERO_VERBOSE=1)');
  }
  program.addHelpText(
    'after',
    '\nExamples:\n  unihetero-eval ablation --quick --out runs/ablation\n  unihetero-eval ablation --presets exp1,exp2 --variants none --scales 16000,32000 --seeds 0,1,2\n  unihetero-eval evaluate --checkpoint runs/exp2/checkpoint.safetensors --json eval.json\n  unihetero-eval diagnose --checkpoint runs/demo/checkpoint.safetensors --sheets runs/demo/ladder\n\nResults go to stdout, progress to stderr.',
  );
  return program;
}

/** Parse `args` (without node and script) and run; resolves to the process exit code. */
export async function runCli(args: string[], deps: CliDeps = defaultDeps): Promise<number> {
  return runProgram(buildProgram(deps, args), args, (e) => deps.writeErr(formatError('unihetero-eval', e, isVerbose(args))));
}
