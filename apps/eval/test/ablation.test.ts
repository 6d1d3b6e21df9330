import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AblationResults } from '../src/results.js';
import { cli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'unihetero-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tiny = ['--batch-size', '2', '--hidden-size', '32', '--layers', '1', '--heads', '2', '--flow-width', '32', '--flow-depth', '1', '--eval-count', '4', '--caption-count', '2', '--gen-count', '2', '--roundtrip-count', '2', '--gen-steps', '2', '--flow-steps', '2', '--eval-batch', '4', '--backend', 'cpu'];

describe('unihetero-eval ablation (tiny, end to end)', () => {
  const out = join(dir, 'ablation');
  const args = ['ablation', '--presets', 'exp1,exp2', '--scales', '2,4', '--seeds', '0', '--flow-warmup-steps', '3', ...tiny, '--out', out];

  it('trains two presets at two scales and writes REPORT.md, results.json, the SVGs and checkpoints', async () => {
    const r = await cli(args);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    for (const f of ['REPORT.md', 'results.json', 'understanding.svg', 'understanding-heldout.svg', 'generation.svg', 'exp1/seed0-n2.safetensors', 'exp1/seed0-n4.safetensors', 'exp2/seed0-n4.safetensors', 'exp2/seed0-samples.png', 'exp1/seed0.json']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(existsSync(join(out, 'exp1/seed0-samples.png'))).toBe(false);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as AblationResults;
    expect(res.settings.scales).toEqual([2, 4]);
    expect(res.settings.stepsPerScale).toEqual([1, 2]);
    expect(res.runs.map((x) => [x.preset, x.points.map((p) => [p.samples, p.step])])).toEqual([
      ['exp1', [[2, 1], [4, 2]]],
      ['exp2', [[2, 1], [4, 2]]],
    ]);
    const e1 = res.runs[0]!.points[1]!.metrics;
    const e2 = res.runs[1]!.points[1]!.metrics;
    expect(e1.test.count).toBe(4);
    expect(e1.heldout.count).toBe(4);
    expect(e1.generation).toBeNull();
    expect(e2.generation!.count).toBe(2);
    expect(e2.roundTrip!.count).toBe(2);
    expect(e2.captions!.count).toBe(2);
    expect(Number.isInteger(e2.test.accuracy * 4)).toBe(true);
    expect(res.summaries.map((s) => s.preset)).toEqual(['exp1', 'exp2']);
    expect(res.summaries[1]!.fits.test!.count).toBe(2);
    expect(res.comparison!.verdict.length).toBeGreaterThan(0);
    expect(res.summaries[0]!.flowWidth).toBe(32);
    // --flow-warmup-steps only changes presets that warm up (exp4), not exp1 or exp2.
    expect(res.runs.map((x) => x.flowWarmupSteps)).toEqual([0, 0]);
    expect(r.progress).not.toContain('warm-up');
    const md = readFileSync(join(out, 'REPORT.md'), 'utf8');
    expect(md).toContain('| ID | method | diffuloss | ploss | our MC accuracy (test) |');
    expect(md).toContain(`unihetero-eval ${args.join(' ')}`);
    expect(md).toContain(res.comparison!.verdict);
    expect(readFileSync(join(out, 'understanding.svg'), 'utf8')).toMatch(/^<svg[^]*stroke-dasharray[^]*<\/svg>\n$/);
    expect(r.out).toContain(`Wrote ${join(out, 'REPORT.md')}`);
    expect(r.progress).toMatch(/\[exp2 seed 0\] scale 4: step 2\/2 samples 4\/4 loss \d+\.\d+ \d+\.\d samples\/s ETA/);
  });

  it('skips presets whose results exist, and refuses a resume with other settings', async () => {
    const again = await cli(args);
    expect(again.code).toBe(0);
    expect(again.progress).toContain('[exp1 seed 0] all 2 scales already in');
    expect(again.progress).toContain('[exp2 seed 0] all 2 scales already in');
    const before = JSON.parse(readFileSync(join(out, 'exp2/seed0.json'), 'utf8'));
    expect(before.run.points.length).toBe(2);
    const other = await cli(['ablation', '--presets', 'exp1', '--scales', '2,4', ...tiny, '--eval-count', '8', '--out', out]);
    expect(other.code).toBe(1);
    expect(other.err).toContain('was written with different settings');
  });

  it('resumes a run from its last checkpoint', async () => {
    const resumed = join(dir, 'resumed');
    const first = await cli(['ablation', '--presets', 'exp2', '--scales', '2,4', ...tiny, '--out', resumed]);
    expect(first.code).toBe(0);
    // Forget the last scale: the next run resumes from the checkpoint at 2 samples.
    const path = join(resumed, 'exp2/seed0.json');
    const rec = JSON.parse(readFileSync(path, 'utf8'));
    const full = rec.run.points[1];
    rec.run.points = rec.run.points.slice(0, 1);
    writeFileSync(path, JSON.stringify(rec));
    const second = await cli(['ablation', '--presets', 'exp2', '--scales', '2,4', ...tiny, '--out', resumed]);
    expect(second.code).toBe(0);
    expect(second.progress).toContain('[exp2 seed 0] resumed from exp2/seed0-n2.safetensors (2 samples, step 1)');
    const again = JSON.parse(readFileSync(path, 'utf8')).run.points[1];
    expect(again.trainLoss).toBeCloseTo(full.trainLoss, 4);
    expect(again.metrics.test.accuracy).toBe(full.metrics.test.accuracy);
  });

  it('rewrites REPORT.md and the plots from results.json', async () => {
    const before = readFileSync(join(out, 'REPORT.md'), 'utf8');
    const svg = readFileSync(join(out, 'understanding.svg'), 'utf8');
    rmSync(join(out, 'REPORT.md'));
    rmSync(join(out, 'understanding.svg'));
    const r = await cli(['report', '--out', out]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(out, 'REPORT.md'), 'utf8')).toBe(before);
    expect(readFileSync(join(out, 'understanding.svg'), 'utf8')).toBe(svg);
    const missing = await cli(['report', '--out', join(dir, 'nothing')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(`report: '${join(dir, 'nothing', 'results.json')}' does not exist`);
  });

  it('evaluates a checkpoint written by the ablation', async () => {
    const json = join(dir, 'eval.json');
    const r = await cli(['evaluate', '--checkpoint', join(out, 'exp2/seed0-n4.safetensors'), '--eval-count', '4', '--caption-count', '2', '--gen-count', '2', '--roundtrip-count', '2', '--gen-steps', '2', '--flow-steps', '2', '--backend', 'cpu', '--json', json]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('| MC accuracy (test) |');
    expect(r.out).toContain('| judge object accuracy |');
    const j = JSON.parse(readFileSync(json, 'utf8'));
    expect(j.preset).toBe('exp2');
    expect(j.step).toBe(2);
    expect(j.metrics.test.count).toBe(4);
    // The same model and items as the ablation's evaluation at 4 samples.
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as AblationResults;
    expect(j.metrics.test.accuracy).toBe(res.runs[1]!.points[1]!.metrics.test.accuracy);
    expect(existsSync(join(out, 'exp2/seed0-n4-samples.png'))).toBe(true);
  });
});
