import { describe, expect, it } from 'vitest';
import { parseInteger, parseIntegerList, parseNameList, parsePositive } from '../src/options.js';
import { ablationSettings, presetSpec } from '../src/ablation.js';
import { FULL, QUICK } from '../src/program.js';
import { cli } from './helpers.js';

describe('option errors', () => {
  it('rejects bad presets, scales, seeds and numbers with the offending text', async () => {
    let r = await cli(['ablation', '--presets', 'exp1,exp9']);
    expect(r.code).toBe(1);
    expect(r.err).toContain("--presets: unknown preset 'exp9'; expected a comma-separated subset of exp1, exp2, exp3, exp4");
    r = await cli(['ablation', '--scales', '100,abc']);
    expect(r.code).toBe(1);
    expect(r.err).toContain("--scales: expected an integer >= 1, got 'abc'");
    r = await cli(['ablation', '--seeds', '-1']);
    expect(r.err).toContain("--seeds: expected an integer >= 0, got '-1'");
    r = await cli(['ablation', '--lr', '0']);
    expect(r.err).toContain("--lr: expected a positive number, got '0'");
    r = await cli(['ablation', '--backend', 'tpu']);
    expect(r.err).toContain("option '--backend <kind>' argument 'tpu' is invalid. Allowed choices are auto, cpu, webgpu.");
    r = await cli(['ablation', '--frobnicate']);
    expect(r.err).toContain("error: unknown option '--frobnicate'");
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

  it('checks the ablation settings and builds the preset specs', () => {
    const base = { out: 'x', presets: ['exp1', 'exp4'], scales: [64, 32], seeds: [0], batchSize: 16, lr: 2e-3, model: QUICK.model, flowWarmupSteps: null, eval: QUICK.eval, quick: true, command: 'c' };
    const s = ablationSettings(base);
    expect(s.scales).toEqual([32, 64]);
    expect(s.stepsPerScale).toEqual([2, 4]);
    expect(() => ablationSettings({ ...base, eval: { ...FULL.eval, count: 0 } })).toThrow('evaluation settings: count must be an integer >= 1, got 0');
    expect(() => ablationSettings({ ...base, presets: ['exp1', 'exp1'] })).toThrow('ablation: presets repeat in [exp1, exp1]');
    // exp4 keeps its flow head twice as wide as 'small' (256 / 128).
    expect(presetSpec('exp4', 3, QUICK.model).config).toEqual({ backbone: { hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 2 }, flow: { size: 'small', width: 128, depth: 2 } });
    expect(presetSpec('exp1', 3, QUICK.model).config!.flow).toEqual({ size: 'small', width: 64, depth: 2 });
    expect(presetSpec('exp2', 1, null)).toEqual({ preset: 'exp2', config: {}, world: {}, seed: 1 });
  });
});
