import { describe, expect, it } from 'vitest';
import { parseInteger, parseIntegerList, parseNameList, parsePositive } from '../src/options.js';
import { ablationSettings, runSpec } from '../src/ablation.js';
import { ABLATION_RECIPE, QUICK_RECIPE, planRuns, runConfig, withSize } from '../src/recipe.js';
import { getRecipe } from '@unihetero/model';
import { cli } from './helpers.js';

describe('option errors', () => {
  // [arguments after `ablation` (split at spaces), what the one-line error says]
  const BAD: [string, string][] = [
    ['--presets exp1,exp9', "--presets: unknown preset 'exp9'; expected a comma-separated subset of exp1, exp2, exp3, exp4"],
    ['--scales 100,abc', "--scales: expected an integer >= 1, got 'abc'"],
    ['--seeds -1', "--seeds: expected an integer >= 0, got '-1'"],
    ['--lr 0', "--lr: expected a positive number, got '0'"],
    ['--backend tpu', "option '--backend <kind>' argument 'tpu' is invalid. Allowed choices are auto, cpu, webgpu."],
    ['--frobnicate', "error: unknown option '--frobnicate'"],
    ['--designs equal-everything', "--designs: unknown design 'equal-everything'; expected a comma-separated subset of equal-understanding, equal-samples"],
    ['--variants mlp-cos,mlp-cos', "--variants: 'mlp-cos,mlp-cos' names a variant twice"],
    ['--variants diffu-mse', "--variants: unknown variant 'diffu-mse'; expected a comma-separated subset of mlp-cos, norm-3-mlp-cos, ema-mlp-llm-cos, mlp-mse"],
  ];
  it('rejects bad presets, scales, seeds, numbers, designs and variants with the offending text (exit code 1)', async () => {
    for (const [args, message] of BAD) {
      const r = await cli(['ablation', ...args.split(' ')]);
      expect(r.code, args).toBe(1);
      expect(r.err).toContain(message);
    }
  });

  it('refuses variants without the equal-understanding design, before any training', async () => {
    const r = await cli(['ablation', '--designs', 'equal-samples', '--variants', 'mlp-cos', '--backend', 'cpu', '--out', '/nonexistent/never']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('ablation: the invert-projector variants (mlp-cos) are trained under the equal-understanding design, which is not among the designs (equal-samples); add it or pass --variants none');
  });

  it('rejects a scale off the step grid and a width the heads do not divide, before any training', async () => {
    let r = await cli(['ablation', '--scales', '100,250', '--batch-size', '16', '--backend', 'cpu', '--out', '/nonexistent/never']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('ablation: scale 100 is not a multiple of the batch size 16 (each checkpoint must fall on a step boundary)');
    r = await cli(['ablation', '--hidden-size', '30', '--heads', '4', '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('--hidden-size 30 is not divisible by --heads 4');
  });

  it('evaluate needs an existing checkpoint', async () => {
    let r = await cli(['evaluate']);
    expect(r.code).toBe(1);
    expect(r.err).toContain("error: required option '--checkpoint <file>' not specified");
    r = await cli(['evaluate', '--checkpoint', '/nonexistent/ckpt.safetensors', '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.err).toContain("evaluate: checkpoint '/nonexistent/ckpt.safetensors' does not exist");
  });

  it('prints help with exit code 0', async () => {
    const r = await cli(['ablation', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('--quick');
    expect(r.out).toContain('--scales <list>');
  });

  it('parses options', () => {
    expect(parseIntegerList('--scales', '2000, 4000,8000', 1)).toEqual([2000, 4000, 8000]);
    expect(() => parseIntegerList('--scales', '1,,2', 1)).toThrow("--scales: expected a comma-separated list of integers, got '1,,2'");
    expect(parseInteger('--n', '7', 1)).toBe(7);
    expect(() => parseInteger('--n', '1.5', 1)).toThrow("--n: expected an integer >= 1, got '1.5'");
    expect(parsePositive('--lr', '3e-3')).toBe(0.003);
    expect(() => parseNameList('--presets', 'exp1,exp1', ['exp1'])).toThrow("'exp1,exp1' names a preset twice");
  });

  it('checks the ablation settings and plans the runs over one base recipe', () => {
    const base = { out: 'x', designs: ['equal-understanding' as const, 'equal-samples' as const], presets: ['exp1', 'exp4'], variants: [], recipe: { ...QUICK_RECIPE, scales: [64, 32] }, quick: true, command: 'c' };
    const s = ablationSettings(base);
    expect(s.scales).toEqual([32, 64]);
    expect(s.stepsPerScale).toEqual([2, 4]);
    expect(s.seeds).toEqual([0]);
    expect(s.plan.map((p) => [p.id, p.designs])).toEqual([
      ['shared/exp1', ['equal-understanding', 'equal-samples']],
      ['equal-understanding/exp4', ['equal-understanding']],
      ['equal-samples/exp4', ['equal-samples']],
    ]);
    expect(() => ablationSettings({ ...base, recipe: { ...base.recipe, eval: { ...ABLATION_RECIPE.eval, count: 0 } } })).toThrow('evaluation settings: count must be an integer >= 1, got 0');
    expect(() => ablationSettings({ ...base, recipe: { ...base.recipe, eval: { ...ABLATION_RECIPE.eval, semanticsCount: -1 } } })).toThrow('evaluation settings: semanticsCount must be an integer >= 0, got -1');
    expect(() => ablationSettings({ ...base, presets: ['exp1', 'exp1'] })).toThrow('ablation: presets repeat in [exp1, exp1]');
    expect(() => ablationSettings({ ...base, designs: [] })).toThrow('ablation: no designs given');
    expect(() => ablationSettings({ ...base, presets: [], variants: [] })).toThrow('ablation: no presets and no variants given');
    // Every run's config is validated before training: a recipe the model rejects names the run.
    expect(() => ablationSettings({ ...base, recipe: { ...base.recipe, config: withSize({}, { hiddenSize: 30, heads: 4 }) } })).toThrow(
      /^ablation: the config of shared\/exp1 is invalid: UniHetero config: invalid configuration:\n {2}backbone.hiddenSize: 30 is not divisible by numAttentionHeads 4/,
    );
  });

  it('applies each preset, variant and design over the base config', () => {
    // The quick recipe is the full one (the model package's standard recipe) at the quick size.
    expect(QUICK_RECIPE.config).toEqual(withSize(ABLATION_RECIPE.config, { hiddenSize: 64, layers: 2, heads: 2, flowWidth: 64, flowDepth: 2 }));
    // The ablation keeps the standard recipe as REPORT.md measured it: without the canonical understanding captions.
    const { mix, ...standardRest } = getRecipe('standard').config;
    expect(mix).toEqual({ understandingCaptions: 'canonical' });
    expect(ABLATION_RECIPE.config).toEqual(standardRest);
    const cfg = { backbone: { hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 2 }, flow: { width: 64, depth: 2 } };
    // exp4 keeps its flow head twice as wide as 'small' (256 / 128); the others keep the recipe's.
    expect(runConfig(cfg, 'exp4', 'both')).toEqual({
      backbone: { hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 2 },
      flow: { size: 'small', width: 128, depth: 2 },
      loss: { alpha: 10, beta: 10, detachFlowCondition: false },
      invertProjector: { name: 'ema-mlp-llm-cos' },
      mix: { pairing: 'both', understandingFraction: 0.5 },
    });
    expect(runConfig(cfg, 'exp1', 'split').flow).toEqual({ size: 'small', width: 64, depth: 2 });
    expect(runConfig({}, 'exp4', 'split').flow).toEqual({ size: 'small', width: 256 });
    // The recipe's other settings pass through; the preset's loss weights and the design's pairing win.
    const rich = { maskRate: { kind: 'uniform', a: 0.8, b: 1 }, loss: { alpha: 1, textLossOnPrompt: true }, mix: { captionDropout: 0.2, pairing: 'split' as const }, invertProjector: { momentum: 0.9 } };
    const c = runConfig(rich, 'exp2', 'both', 'mlp-cos');
    expect(c.maskRate).toEqual({ kind: 'uniform', a: 0.8, b: 1 });
    expect(c.loss).toEqual({ alpha: 10, beta: 10, detachFlowCondition: true, textLossOnPrompt: true });
    expect(c.mix).toEqual({ captionDropout: 0.2, pairing: 'both', understandingFraction: 0.5 });
    expect(c.invertProjector).toEqual({ momentum: 0.9, name: 'mlp-cos' });
    // Variants are exp2 with another projector under equal understanding data; ema-mlp-llm-cos is exp2's own run.
    const plan = planRuns({}, ['equal-understanding'], ['exp2'], ['mlp-cos', 'ema-mlp-llm-cos']);
    expect(plan.map((p) => [p.id, p.invertProjector, p.designs, p.variants])).toEqual([
      ['equal-understanding/exp2', 'ema-mlp-llm-cos', ['equal-understanding'], ['ema-mlp-llm-cos']],
      ['equal-understanding/exp2-mlp-cos', 'mlp-cos', [], ['mlp-cos']],
    ]);
    expect(runSpec(plan[1]!, 2)).toEqual({ preset: 'exp2', config: plan[1]!.config, world: {}, seed: 2 });
  });
});

describe('count limits', () => {
  it('refuses counts past their upper bounds with the range', async () => {
    let r = await cli(['ablation', '--eval-count', '100001']);
    expect(r.code).toBe(1);
    expect(r.err).toContain("--eval-count: expected an integer in [1, 100000], got '100001'");
    r = await cli(['ablation', '--gen-count', '1e9']);
    expect(r.err).toContain("--gen-count: expected an integer in [0, 10000], got '1e9'");
    r = await cli(['diagnose', '--checkpoint', 'x.safetensors', '--count', '20000']);
    expect(r.err).toContain("--count: expected an integer in [1, 10000], got '20000'");
    r = await cli(['diagnose', '--checkpoint', 'x.safetensors', '--semantic-guidance', 'strong']);
    expect(r.err).toContain("--semantic-guidance: expected a finite number >= 0, got 'strong'");
    r = await cli(['ablation', '--gen-steps', '5000']);
    expect(r.err).toContain("--gen-steps: expected an integer in [1, 1024], got '5000'");
  });
});
