import { describe, expect, it } from 'vitest';
import { buildReport, fitsTable, formatAccuracy, generationTable, markdownTable, table1 } from '../src/report.js';
import { fixedResults } from './fixtures.js';

describe('the report writer (fixed numbers)', () => {
  const r = fixedResults();

  it('writes the Table 1 columns with ours beside the paper', () => {
    // exp1 test 0.3, 0.35, 0.4 at 1000..3000 -> a = 5e-5 per sample = +50.0 per 1M, R^2 1.
    // exp2 test 0.3, 0.4, 0.5 -> +100 per 1M. SE at 3000: sqrt(0.4*0.6/100) = 0.04899, sqrt(0.25/100) = 0.05.
    // heldout SE: sqrt(0.3*0.7/100) = 0.04583, sqrt(0.35*0.65/100) = 0.04770.
    expect(table1(r.summaries)).toBe(
      [
        '| ID | method | diffuloss | ploss | our MC accuracy (test) | our MC accuracy (heldout) | our slope a per 1M samples (test) | R^2 | paper MMBench | paper MMBench slope a |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
        '| exp1 | baseline | 0 | 0 | 0.4000 ± 0.0490 | 0.3000 ± 0.0458 | +50.0 | 1.00 | 0.6357 | -4e-4 |',
        '| exp2 | +ploss | 10 (gradient stopped) | 10 | 0.5000 ± 0.0500 | 0.3500 ± 0.0477 | +100 | 1.00 | 0.6460 | 66e-4 |',
      ].join('\n'),
    );
  });

  it('writes the generation table with n/a for a preset without a generation loss', () => {
    expect(generationTable(r.summaries).split('\n').slice(2)).toEqual([
      '| exp1 | n/a (no generation loss) | n/a | n/a | n/a | n/a | n/a | n/a (no generation loss) | n/a | n/a | 0.1000 | 0.2000 |',
      '| exp2 | 0.3000 | 0.5000 | 0.4000 | 0.3000 | 0.6000 | 0.0000 | 0.1500 | 0.0000 | 0.5000 | 0.1000 | 0.2000 |',
    ]);
  });

  it('writes the fits per preset and metric', () => {
    // exp1 heldout 0.25, 0.3, 0.3: a = 2.5e-5 (+25.0 per 1M), b = 0.2333, R^2 = 0.75.
    expect(fitsTable(r.summaries).split('\n').slice(2)).toEqual([
      '| exp1 | MC accuracy (test) | +50.0 | 0.2500 | 1.00 | 3 |',
      '| exp1 | MC accuracy (heldout) | +25.0 | 0.2333 | 0.75 | 3 |',
      '| exp2 | MC accuracy (test) | +100 | 0.2000 | 1.00 | 3 |',
      '| exp2 | MC accuracy (heldout) | +50.0 | 0.2000 | 1.00 | 3 |',
      '| exp2 | judge object accuracy | +100 | 0.0000 | 1.00 | 3 |',
      '| exp2 | round-trip object recall | +50.0 | 0.0000 | 1.00 | 3 |',
    ]);
  });

  it('generates the exp2-vs-exp1 verdict from the numbers, with the noise', () => {
    const v = r.comparison!.verdict;
    // difference 0.1, SE sqrt(0.04899^2 + 0.05^2) = 0.0700 -> 1.4 SE: within noise.
    expect(v).toContain('Yes, numerically: at 3000 training samples exp2 (+ploss) beat exp1 (baseline) on test multiple-choice accuracy, 50.0% against 40.0% (+10.0 points).');
    expect(v).toContain('That difference is 1.4 standard errors of the difference (SE 7.0 points), from 100 and 100 questions; it is within two standard errors');
    expect(v).toContain('exp2 +100, exp1 +50.0');
    expect(v).toContain("here exp2's is higher, as in the paper, with R^2 1.00 and 1.00.");
  });

  it('assembles REPORT.md with the command, budgets, machine, times and plots', () => {
    const md = buildReport(r);
    expect(md.startsWith("# UniHetero ablation on the shapes world (the paper's Table 1)\n")).toBe(true);
    expect(md).toContain(table1(r.summaries));
    expect(md).toContain('```\nunihetero-eval ablation --presets exp1,exp2 --scales 1000,2000,3000\n```');
    expect(md).toContain('- Sample budgets (checkpoints along one run per preset and seed): 1000, 2000, 3000 samples = 100, 200, 300 steps of batch 10;');
    expect(md).toContain('- Machine: 2 x Test CPU, 8 GiB, linux test x64, Node v20.0.0, backend cpu.');
    expect(md).toContain('wall time of this invocation 1m00s (60 s)');
    expect(md).toContain('| exp2 | 10.0 | 5.0 | 15s |');
    expect(md).toContain('![understanding.svg](understanding.svg)');
    expect(md).toContain('| exp2 | 0 | 3000 | 300 | 0.5000 | 0.3500 | 0.3000 | 0.1500 | 3.250 | 30.0 | 2.0 |');
    expect(md).not.toContain('--quick` is sized');
    expect(buildReport(r)).toBe(md);
  });

  it('formats tables and accuracies', () => {
    expect(markdownTable(['a', 'b'], [['1', '2']])).toBe('| a | b |\n| --- | --- |\n| 1 | 2 |');
    expect(formatAccuracy({ accuracy: 0.25, count: 4, standardError: 0.2165 })).toBe('0.2500 ± 0.2165');
  });
});
