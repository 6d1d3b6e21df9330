import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AblationResults } from '../src/results.js';
import { ABLATION_RECIPE, withSize } from '../src/recipe.js';
import { cli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'unihetero-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tiny = ['--batch-size', '2', '--hidden-size', '32', '--layers', '1', '--heads', '2', '--flow-width', '32', '--flow-depth', '1', '--eval-count', '4', '--caption-count', '2', '--gen-count', '2', '--roundtrip-count', '2', '--gen-steps', '2', '--flow-steps', '2', '--eval-batch', '4', '--backend', 'cpu'];

describe('unihetero-eval ablation (tiny, end to end)', () => {
  const out = join(dir, 'ablation');
  const args = ['ablation', '--presets', 'exp1,exp2', '--variants', 'mlp-cos,ema-mlp-llm-cos', '--scales', '2,4', '--seeds', '0,1', '--flow-warmup-steps', '3', ...tiny, '--out', out];

  it('trains both designs and a variant over two seeds and writes REPORT.md, results.json, the SVGs and checkpoints', { timeout: 600_000 }, async () => {
    const r = await cli(args);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const files = [
      'REPORT.md',
      'results.json',
      'equal-understanding-understanding.svg',
      'equal-understanding-understanding-heldout.svg',
      'equal-understanding-generation.svg',
      'equal-samples-understanding.svg',
      'variants-understanding.svg',
      'variants-generation.svg',
      'shared/exp1/seed0-n2.safetensors',
      'shared/exp1/seed1-n4.safetensors',
      'shared/exp1/seed0.json',
      'equal-understanding/exp2/seed1-n4.safetensors',
      'equal-understanding/exp2/seed0-samples.png',
      'equal-samples/exp2/seed0-n4.safetensors',
      'equal-understanding/exp2-mlp-cos/seed1-n4.safetensors',
    ];
    for (const f of files) expect(existsSync(join(out, f)), f).toBe(true);
    expect(existsSync(join(out, 'shared/exp1/seed0-samples.png'))).toBe(false);
    // exp1 is one run per seed for both designs; ema-mlp-llm-cos is exp2's own run.
    expect(existsSync(join(out, 'equal-samples/exp1'))).toBe(false);
    expect(existsSync(join(out, 'equal-understanding/exp2-ema-mlp-llm-cos'))).toBe(false);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as AblationResults;
    expect(res.version).toBe(2);
    expect(res.settings.designs).toEqual(['equal-understanding', 'equal-samples']);
    expect(res.settings.scales).toEqual([2, 4]);
    expect(res.settings.stepsPerScale).toEqual([1, 2]);
    expect(res.settings.config).toEqual(withSize(ABLATION_RECIPE.config, { hiddenSize: 32, layers: 1, heads: 2, flowWidth: 32, flowDepth: 1 }));
    const ids = ['shared/exp1', 'equal-understanding/exp2', 'equal-samples/exp2', 'equal-understanding/exp2-mlp-cos'];
    expect(res.runs.map((x) => [x.id, x.seed, x.pairing, x.invertProjector, x.points.map((p) => [p.samples, p.step])])).toEqual(
      [0, 1].flatMap((seed) => ids.map((id) => [id, seed, id.startsWith('equal-samples') ? 'split' : 'both', id.endsWith('mlp-cos') && !id.endsWith('llm-cos') ? 'mlp-cos' : 'ema-mlp-llm-cos', [[2, 1], [4, 2]]])),
    );
    const e1 = res.runs[0]!.points[1]!.metrics;
    const e2 = res.runs[1]!.points[1]!.metrics;
    expect(e1.test.count).toBe(4);
    expect(e1.generation).toBeNull();
    expect(e2.generation!.count).toBe(2);
    expect(e2.roundTrip!.count).toBe(2);
    expect(e2.captions!.count).toBe(2);
    expect(Number.isInteger(e2.test.accuracy * 4)).toBe(true);
    expect(res.summaries.map((s) => [s.id, s.seeds])).toEqual(ids.map((id) => [id, [0, 1]]));
    // Two seeds: a t-interval with 1 df.
    expect(res.summaries[1]!.final.test.df).toBe(1);
    expect(res.summaries[1]!.fits.test!.count).toBe(4);
    expect(res.comparisons.map((c) => [c.design, c.seeds])).toEqual([
      ['equal-understanding', [0, 1]],
      ['equal-samples', [0, 1]],
    ]);
    expect(res.summaries[0]!.flowWidth).toBe(32);
    // --flow-warmup-steps only changes presets that warm up (exp4), not exp1 or exp2.
    expect(res.runs.map((x) => x.flowWarmupSteps)).toEqual(res.runs.map(() => 0));
    expect(r.progress).not.toContain('warm-up');
    const md = readFileSync(join(out, 'REPORT.md'), 'utf8');
    expect(md).toContain('| ID | method | diffuloss | ploss | seeds | our MC accuracy (test), mean [95% CI] |');
    expect(md).toContain('| mlp-cos | cosine | 1x MLP | vision encoder output | 2 |');
    expect(md).toContain(`unihetero-eval ${args.join(' ')}`);
    expect(md).toContain(res.comparisons[0]!.verdict);
    expect(md).toContain(res.comparisons[1]!.verdict);
    expect(readFileSync(join(out, 'equal-understanding-understanding.svg'), 'utf8')).toMatch(/^<svg[^]*stroke-dasharray[^]*<\/svg>\n$/);
    expect(r.out).toContain('Equal understanding data:');
    expect(r.out).toContain(`Wrote ${join(out, 'REPORT.md')}`);
    expect(r.progress).toContain('4 runs per seed (shared/exp1, equal-understanding/exp2, equal-samples/exp2, equal-understanding/exp2-mlp-cos) x seeds 0,1');
    expect(r.progress).toMatch(/\[equal-understanding\/exp2 seed 1\] scale 4: step 2\/2 samples 4\/4 loss \d+\.\d+ \d+\.\d samples\/s ETA/);
  });

  it('skips runs whose results exist, and refuses a resume with other settings', { timeout: 300_000 }, async () => {
    const again = await cli(args);
    expect(again.code).toBe(0);
    expect(again.progress).toContain('[shared/exp1 seed 0] all 2 scales already in');
    expect(again.progress).toContain('[equal-samples/exp2 seed 1] all 2 scales already in');
    const before = JSON.parse(readFileSync(join(out, 'equal-understanding/exp2/seed0.json'), 'utf8'));
    expect(before.run.points.length).toBe(2);
    const other = await cli(['ablation', '--presets', 'exp1', '--variants', 'none', '--scales', '2,4', '--seeds', '0', ...tiny, '--eval-count', '8', '--out', out]);
    expect(other.code).toBe(1);
    expect(other.err).toContain(`ablation: ${join(out, 'shared/exp1/seed0.json')} was written with different settings`);
    // The canonical understanding captions change the recipe (the default is 'same', as the runs were trained).
    const canonical = await cli(['ablation', '--presets', 'exp1', '--variants', 'none', '--scales', '2,4', '--seeds', '0', ...tiny, '--understanding-captions', 'canonical', '--out', out]);
    expect(canonical.code).toBe(1);
    expect(canonical.err).toContain(`ablation: ${join(out, 'shared/exp1/seed0.json')} was written with different settings`);
    const bad = await cli(['ablation', '--understanding-captions', 'sorted', '--out', out]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/--understanding-captions.*'sorted' is invalid.*same, canonical/s);
  });

  it('resumes a run from its last checkpoint', { timeout: 300_000 }, async () => {
    const resumed = join(dir, 'resumed');
    const one = ['ablation', '--designs', 'equal-samples', '--presets', 'exp2', '--scales', '2,4', '--seeds', '0', ...tiny, '--out', resumed];
    const first = await cli(one);
    expect(first.code).toBe(0);
    // Forget the last scale: the next run resumes from the checkpoint at 2 samples.
    const path = join(resumed, 'equal-samples/exp2/seed0.json');
    const rec = JSON.parse(readFileSync(path, 'utf8'));
    const full = rec.run.points[1];
    rec.run.points = rec.run.points.slice(0, 1);
    writeFileSync(path, JSON.stringify(rec));
    const second = await cli(one);
    expect(second.code).toBe(0);
    expect(second.progress).toContain('[equal-samples/exp2 seed 0] resumed from equal-samples/exp2/seed0-n2.safetensors (2 samples, step 1)');
    const again = JSON.parse(readFileSync(path, 'utf8')).run.points[1];
    expect(again.trainLoss).toBeCloseTo(full.trainLoss, 4);
    expect(again.metrics.test.accuracy).toBe(full.metrics.test.accuracy);
  });

  it('rewrites REPORT.md and the plots from results.json', { timeout: 300_000 }, async () => {
    const before = readFileSync(join(out, 'REPORT.md'), 'utf8');
    const svg = readFileSync(join(out, 'variants-understanding.svg'), 'utf8');
    rmSync(join(out, 'REPORT.md'));
    rmSync(join(out, 'variants-understanding.svg'));
    const r = await cli(['report', '--out', out]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(out, 'REPORT.md'), 'utf8')).toBe(before);
    expect(readFileSync(join(out, 'variants-understanding.svg'), 'utf8')).toBe(svg);
    const missing = await cli(['report', '--out', join(dir, 'nothing')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(`report: '${join(dir, 'nothing', 'results.json')}' does not exist`);
  });

  it('evaluates a checkpoint written by the ablation', { timeout: 300_000 }, async () => {
    const json = join(dir, 'eval.json');
    const r = await cli(['evaluate', '--checkpoint', join(out, 'equal-understanding/exp2/seed0-n4.safetensors'), '--eval-count', '4', '--caption-count', '2', '--gen-count', '2', '--roundtrip-count', '2', '--gen-steps', '2', '--flow-steps', '2', '--semantics-count', '2', '--probe-images', '8', '--backend', 'cpu', '--json', json]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('| MC accuracy (test) |');
    expect(r.out).toContain('| judge object accuracy |');
    const j = JSON.parse(readFileSync(json, 'utf8'));
    expect(j.preset).toBe('exp2');
    expect(j.step).toBe(2);
    expect(j.metrics.test.count).toBe(4);
    // The semantics rung: two captions, a probe fitted on 8 training images.
    expect(r.out).toContain('| semantics rung object accuracy (probe) |');
    expect([j.metrics.semantics.count, j.metrics.semantics.probeImages]).toEqual([2, 8]);
    expect(j.metrics.semantics.objectAccuracy).toBeGreaterThanOrEqual(0);
    expect(j.metrics.semantics.ceiling).toBeLessThanOrEqual(1);
    // The same model and items as the ablation's evaluation at 4 samples.
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as AblationResults;
    expect(j.metrics.test.accuracy).toBe(res.runs[1]!.points[1]!.metrics.test.accuracy);
    expect(existsSync(join(out, 'equal-understanding/exp2/seed0-n4-samples.png'))).toBe(true);
  });
});
