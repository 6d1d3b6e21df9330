import { describe, expect, it } from 'vitest';
import { buildReport, designRows, fitsTable, formatInterval, generationTable, heldoutTable, markdownTable, pointsTable, resultsTables, table1, table2, variantRows } from '../src/report.js';
import { tInterval } from '../src/summary.js';
import { fixedResults } from './fixtures.js';

describe('the report writer (fixed numbers)', () => {
  const r = fixedResults();
  const eu = designRows(r.settings, r.summaries, 'equal-understanding');
  const es = designRows(r.settings, r.summaries, 'equal-samples');

  it('reads exp1 from its one shared run in both designs', () => {
    expect(eu.map((s) => s.id)).toEqual(['shared/exp1', 'equal-understanding/exp2']);
    expect(es.map((s) => s.id)).toEqual(['shared/exp1', 'equal-samples/exp2']);
    expect(variantRows(r.settings, r.summaries).map((v) => [v.variant, v.summary.id])).toEqual([
      ['mlp-cos', 'equal-understanding/exp2-mlp-cos'],
      ['ema-mlp-llm-cos', 'equal-understanding/exp2'],
    ]);
  });

  it('writes the Table 1 columns: means over seeds with 95% t-intervals, beside the paper', () => {
    // exp1 finals 0.40, 0.45, 0.50: 0.45 ± 4.3027 * 0.05 / sqrt(3) = 0.45 ± 0.1242. exp2: 0.55 ± 0.1242.
    // Fits over 9 points: exp1 +50 per 1M, R^2 0.5; exp2 rises 0.075 per 1000: +75, R^2 0.03375 / 0.04875 = 0.69.
    expect(table1(eu)).toBe(
      [
        '| ID | method | diffuloss | ploss | seeds | our MC accuracy (test), mean [95% CI] | our slope a per 1M samples (test) | R^2 | paper MMBench | paper MMBench slope a |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
        '| exp1 | baseline | 0 | 0 | 3 | 0.4500 [0.3258, 0.5742] | +50.0 | 0.50 | 0.6357 | -4e-4 |',
        '| exp2 | +ploss | 10 (gradient stopped) | 10 | 3 | 0.5500 [0.4258, 0.6742] | +75.0 | 0.69 | 0.6460 | 66e-4 |',
      ].join('\n'),
    );
  });

  it('reports the held-out compositions on their own, with their fits', () => {
    expect(heldoutTable(eu).split('\n')).toEqual([
      '| ID | MC accuracy (held-out), mean [95% CI] | slope a per 1M samples (held-out) | R^2 | per-seed slope a per 1M, mean [95% CI] | test minus held-out (points) |',
      '| --- | --- | --- | --- | --- | --- |',
      '| exp1 | 0.3500 [0.2258, 0.4742] | +50.0 | 0.50 | +50.0 [+50.0, +50.0] | 10.0 |',
      '| exp2 | 0.4000 [0.2758, 0.5242] | +50.0 | 0.50 | +50.0 [+50.0, +50.0] | 15.0 |',
    ]);
  });

  it('writes the generation table with n/a for a preset without a generation loss', () => {
    // Judge finals 0.3, 0.4, 0.5 -> 0.4 ± 0.2484; round trip half of it -> 0.2 ± 0.1242.
    expect(generationTable(eu.map((s) => ({ label: s.preset, s }))).split('\n').slice(2)).toEqual([
      '| exp1 | n/a (no generation loss) | n/a | n/a | n/a | n/a | n/a | n/a (no generation loss) | n/a | n/a | 0.1000 | 0.2000 |',
      '| exp2 | 0.4000 [0.1516, 0.6484] | 0.5000 | 0.4000 | 0.3000 | 0.6000 | 0.0000 | 0.2000 [0.0758, 0.3242] | 0.0000 | n/a | 0.1000 | 0.2000 |',
    ]);
  });

  it("writes the paper's Table 2 per invert-projector variant", () => {
    expect(table2(variantRows(r.settings, r.summaries)).split('\n').slice(2)).toEqual([
      '| mlp-cos | cosine | 1x MLP | vision encoder output | 3 | 0.4700 [0.3458, 0.5942] | 0.3000 [0.3000, 0.3000] | 0.2000 [0.2000, 0.2000] | 0.1000 [0.1000, 0.1000] | 0.5833 | 0.6189 |',
      '| ema-mlp-llm-cos | cosine | 1x MLP + momentum | LLM input embedding | 3 | 0.5500 [0.4258, 0.6742] | 0.4000 [0.2758, 0.5242] | 0.4000 [0.1516, 0.6484] | 0.2000 [0.0758, 0.3242] | 0.6168 | 0.6456 |',
    ]);
  });

  it('writes the fits per run and metric, pooled and per seed', () => {
    const lines = fitsTable(r.summaries).split('\n');
    expect(lines[0]).toBe('| run | metric | a per 1M samples | b | R^2 | points | per-seed a per 1M, mean [95% CI] |');
    expect(lines[2]).toBe('| shared/exp1 | MC accuracy (test) | +50.0 | 0.3000 | 0.50 | 9 | +50.0 [+50.0, +50.0] |');
    expect(lines).toContain('| equal-understanding/exp2 | judge object accuracy | +100 | 0.1000 | 0.50 | 9 | - |');
    expect(lines.filter((l) => l.startsWith('| shared/exp1 |')).length).toBe(2);
    expect(pointsTable(r.runs).split('\n')).toContain('| equal-understanding/exp2 | 1 | 3000 | 300 | 0.6000 | 0.4000 | 0.4000 | 0.2000 | n/a | 3.250 | 30.0 | 2.0 |');
  });

  it('assembles REPORT.md: both designs (primary first), verdicts, Table 2, the recipe, machine and times', () => {
    const md = buildReport(r);
    expect(md.startsWith("# UniHetero ablation on the shapes world (the paper's Tables 1 and 2)\n")).toBe(true);
    expect(md).toContain('a t-interval, mean ± t(0.975, n-1) · s / sqrt(n), with s the standard deviation over the n seeds (n-1 degrees of freedom)');
    const i1 = md.indexOf('## Equal understanding data (the primary table)');
    const i2 = md.indexOf('## Equal samples\n');
    const i3 = md.indexOf('## Table 2: invert-projector variants');
    expect(0 < i1 && i1 < i2 && i2 < i3).toBe(true);
    expect(md.slice(i1, i2)).toContain(table1(eu));
    expect(md.slice(i1, i2)).toContain(r.comparisons[0]!.verdict);
    expect(md.slice(i1, i2)).toContain('### Held-out compositions');
    expect(md.slice(i2, i3)).toContain(table1(es));
    expect(md.slice(i2, i3)).toContain(r.comparisons[1]!.verdict);
    expect(md).toContain(table2(variantRows(r.settings, r.summaries)));
    expect(md).toContain('```\nunihetero-eval ablation --presets exp1,exp2 --variants mlp-cos,ema-mlp-llm-cos --scales 1000,2000,3000\n```');
    expect(md).toContain("- Designs: equal-understanding (`mix.pairing: 'both'`), equal-samples (`mix.pairing: 'split'`). Presets: exp1, exp2. Table 2 variants: mlp-cos, ema-mlp-llm-cos.");
    expect(md).toContain('`shared/exp1` (exp1, ema-mlp-llm-cos, both), `equal-understanding/exp2` (exp2, ema-mlp-llm-cos, both), `equal-samples/exp2` (exp2, ema-mlp-llm-cos, split), `equal-understanding/exp2-mlp-cos` (exp2, mlp-cos, both)');
    expect(md).toContain('- Sample budgets (checkpoints along one run per preset and seed): 1000, 2000, 3000 samples (image-text pairs) = 100, 200, 300 steps of batch 10;');
    expect(md).toContain('- Base model config (every preset and variant is applied over it; from the recipe and the size options): `{"backbone":{"hiddenSize":64,"numHiddenLayers":2,"numAttentionHeads":2}}`.');
    expect(md).toContain('- Machine: 2 x Test CPU, 8 GiB, linux test x64, Node v20.0.0, backend cpu.');
    expect(md).toContain('wall time of this invocation 1m00s (60 s)');
    expect(md).toContain('| shared/exp1 | 3 | 30.0 | 15.0 | 45s |');
    expect(md).toContain('![equal-understanding-understanding.svg](equal-understanding-understanding.svg)');
    expect(md).not.toContain('--quick` is');
    expect(md).not.toContain('no intervals over seeds');
    expect(buildReport(r)).toBe(md);
    const printed = resultsTables(r);
    expect(printed.startsWith(`Equal understanding data:\n\n${table1(eu)}\n\n${r.comparisons[0]!.verdict}\n\nEqual samples:`)).toBe(true);
    expect(printed).toContain('Invert-projector variants (Table 2):');
  });

  it('formats tables and intervals', () => {
    expect(markdownTable(['a', 'b'], [['1', '2']])).toBe('| a | b |\n| --- | --- |\n| 1 | 2 |');
    expect(formatInterval(tInterval([0.25]))).toBe('0.2500 (1 seed)');
    expect(formatInterval(tInterval([0.5, 0.6, 0.7]), 3)).toBe('0.600 [0.352, 0.848]');
  });
});
