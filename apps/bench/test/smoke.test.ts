import { describe, expect, it } from 'vitest';
import type { BenchIO } from '../src/io.js';
import { runMatmul } from '../src/suites/matmul.js';
import { runMlp } from '../src/suites/mlp.js';
import { parseTable } from '../src/table.js';

function capture(): { io: BenchIO; out: () => string; progress: () => string } {
  let out = '';
  let progress = '';
  return { io: { out: (t) => void (out += `${t}\n`), progress: (t) => void (progress += `${t}\n`) }, out: () => out, progress: () => progress };
}

describe('matmul suite (in process, tiny)', () => {
  it('times ours and tfjs-cpu at n=32 and prints the right columns', async () => {
    const c = capture();
    const report = await runMatmul({ backend: 'cpu', sizes: [32], repeats: 1, warmup: 0, minSampleMs: 0, peers: ['tfjs-cpu'] }, c.io);
    const { headers, rows } = parseTable(c.out());
    expect(headers).toEqual(['size', 'ours', 'tfjs-cpu', 'ours/tfjs-cpu']);
    expect(rows).toHaveLength(1);
    expect(rows[0]![0]).toBe('32');
    expect(rows[0]![1]).toMatch(/^\d+\.\d\d$/);
    expect(rows[0]![2]).toMatch(/^\d+\.\d\d$/);
    expect(rows[0]![3]).toMatch(/^\d+\.\d\dx$/);
    const cells = report.groups[0]!.rows[0]!.cells;
    expect(cells.ours!.check!.ok).toBe(true);
    expect(cells['tfjs-cpu']!.check!.ok).toBe(true);
    expect(cells['tfjs-cpu']!.maxAbsDiffVsOurs!).toBeLessThan(1e-4);
    expect(c.progress()).toContain('matmul [cpu] n=32');
  });
});

describe('mlp suite (in process, one step)', () => {
  it('starts from the same loss as jax-js on the same weights and data', async () => {
    const c = capture();
    const report = await runMlp({ backend: 'cpu', steps: 1, warmup: 1, rounds: 1, peers: ['jax-js-wasm-jit'] }, c.io);
    const [ours, compiled, jax] = report.entries;
    expect(compiled!.id).toBe('ours-cpu-compiled');
    expect(compiled!.losses).toEqual(ours!.losses);
    expect(ours!.error).toBeNull();
    expect(jax!.error).toBeNull();
    expect(ours!.losses).toHaveLength(2);
    // Random init on 10 classes: the first loss is near ln(10).
    expect(Math.abs(ours!.losses[0]! - Math.log(10))).toBeLessThan(0.5);
    expect(report.firstLossMaxRelDiff!).toBeLessThan(1e-4);
    // After one identical Adam step the second losses still agree closely.
    expect(Math.abs(ours!.losses[1]! - jax!.losses[1]!) / ours!.losses[1]!).toBeLessThan(1e-3);
    expect(parseTable(c.out()).headers).toEqual(['impl', 'steps/s', 'ms/step', 'rounds (steps/s)', 'loss@1', 'loss@2', 'Δloss@1 vs ours', 'ours-cpu-compiled/impl']);
  });
});

import { runTransformer, withoutOverrides } from '../src/suites/steps.js';

describe('transformer step suite', () => {
  it('times one CPU step and prints a table', async () => {
    let out = '';
    const rows = await runTransformer({ backend: 'cpu', steps: 1, warmup: 0 }, { out: (t) => void (out += `${t}\n`), progress: () => {} });
    expect(rows.length).toBe(1);
    expect(rows[0]!.error).toBeNull();
    expect(rows[0]!.firstLoss!).toBeGreaterThan(6.5); // ~ ln 1024 at init
    expect(out).toMatch(/\| backend \| ms\/step \| tokens\/s \| dispatches\/step \| first loss \| last loss \|/);
  }, 120_000);
});

describe('--compiled', () => {
  it('adds a row per backend with the step through compile(); it replays and gives the eager losses', async () => {
    let out = '';
    const rows = await runTransformer({ backend: 'cpu', steps: 2, warmup: 3, compiled: true }, { out: (t) => void (out += `${t}\n`), progress: () => {} });
    expect(rows.map((r) => [r.backend, r.error])).toEqual([
      ['cpu', null],
      ['cpu (compiled)', null],
    ]);
    // Same weights and batch, five steps each: the losses agree to float tolerance.
    expect(Math.abs(rows[0]!.firstLoss! - rows[1]!.firstLoss!)).toBeLessThan(1e-4);
    expect(Math.abs(rows[0]!.lastLoss! - rows[1]!.lastLoss!)).toBeLessThan(1e-3);
    expect(rows[1]!.compileNote).toMatch(/^compile\(\): replay, [1-9]\d* of 5 calls replayed/);
    expect(rows[0]!.dispatchesPerStep).toBeNull();
    expect(out).toContain('| cpu (compiled) |');
    expect(out).toMatch(/cpu \(compiled\): compile\(\): replay/);
  }, 240_000);
});

describe('--composed', () => {
  it('adds a row per backend with the fused overrides off, and the losses agree', async () => {
    let out = '';
    const rows = await runTransformer({ backend: 'cpu', steps: 1, warmup: 0, composed: true }, { out: (t) => void (out += `${t}\n`), progress: () => {} });
    expect(rows.map((r) => [r.backend, r.error])).toEqual([
      ['cpu', null],
      ['cpu (composed)', null],
    ]);
    expect(Math.abs(rows[0]!.firstLoss! - rows[1]!.firstLoss!)).toBeLessThan(1e-4);
    expect(out).toContain('| cpu (composed) |');
  }, 120_000);

  it('withoutOverrides hides the overrides and leaves the backend alone', async () => {
    const { CpuBackend } = await import('@unihetero/tensor');
    const b = new CpuBackend();
    const c = withoutOverrides(b);
    expect(Object.keys(c.overrides ?? {})).toEqual([]);
    expect(Object.keys(b.overrides ?? {}).length).toBeGreaterThan(0);
    expect(c.name).toBe('cpu');
    b.destroy();
  });
});
