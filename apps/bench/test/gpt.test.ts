import { describe, expect, it } from 'vitest';
import { cpuThreads } from '@unihetero/tensor';
import type { BenchIO } from '../src/io.js';
import { GPT_DIMS, gptDims, makeGptSetup, runGpt } from '../src/suites/gpt.js';
import { parseTable } from '../src/table.js';

function capture(): { io: BenchIO; out: () => string; progress: () => string } {
  let out = '';
  let progress = '';
  return { io: { out: (t) => void (out += `${t}\n`), progress: (t) => void (progress += `${t}\n`) }, out: () => out, progress: () => progress };
}

const tiny = { vocab: 16, d: 16, heads: 2, layers: 1, seq: 8, batch: 2 };

describe('gpt suite setup', () => {
  it('has the sizes of issue 15 and one parameter list for everyone', () => {
    expect(GPT_DIMS).toEqual({ vocab: 256, d: 128, heads: 4, layers: 2, seq: 64, batch: 8 });
    const s = makeGptSetup(0);
    expect(s.params.map((p) => p.name)).toEqual([
      'wte', 'wpe',
      ...[0, 1].flatMap((l) => ['ln1.w', 'ln1.b', 'attn.w', 'attn.b', 'proj.w', 'proj.b', 'ln2.w', 'ln2.b', 'fc.w', 'fc.b', 'fc2.w', 'fc2.b'].map((n) => `h${l}.${n}`)),
      'lnf.w', 'lnf.b', 'head.w',
    ]);
    // 2 * (12 d^2 + 13 d) + (V + T) d + 2 d + d V parameters.
    const count = s.params.reduce((n, p) => n + p.data.length, 0);
    expect(count).toBe(2 * (12 * 128 * 128 + 13 * 128) + (256 + 64) * 128 + 2 * 128 + 128 * 256);
    for (const p of s.params) expect(p.data.length).toBe(p.shape.reduce((a, b) => a * b, 1));
    // Targets are the next token of each arithmetic sequence.
    const b = s.batches[0]!;
    for (let i = 0; i + 1 < 64; i++) expect(b.targets[i]).toBe(b.ids[i + 1]);
    expect(Math.max(...b.ids)).toBeLessThan(256);
    // Same seed, same numbers.
    expect(makeGptSetup(0).params[0]!.data).toEqual(s.params[0]!.data);
  });

  it('rejects sizes that do not fit', () => {
    expect(() => gptDims({ d: 30, heads: 4 })).toThrow('gpt: heads 4 must divide the width d 30');
    expect(() => gptDims({ seq: 0 })).toThrow('gpt: seq must be a positive integer, got 0');
  });
});

describe('gpt suite (in process, tiny sizes)', () => {
  it('starts ours eager, ours compiled and jax-js jit from the same loss', async () => {
    const setting = cpuThreads().setting;
    const c = capture();
    const report = await runGpt({ steps: 1, warmup: 3, rounds: 1, peers: ['jax-js-wasm-jit'], dims: tiny }, c.io);
    // On a machine with more than one hardware thread, a one-thread compiled step runs too.
    const oneThread = cpuThreads().threads > 1 ? ['ours-cpu-compiled-1thread'] : [];
    const ids = ['ours-cpu', 'ours-cpu-compiled', ...oneThread, 'jax-js-wasm-jit', 'torch-openblas'];
    expect(report.entries.map((e) => e.id)).toEqual(ids);
    const [ours, compiled] = report.entries;
    const jax = report.entries.find((e) => e.id === 'jax-js-wasm-jit');
    const torch = report.entries.find((e) => e.id === 'torch-openblas');
    const single = report.entries.find((e) => e.id === 'ours-cpu-compiled-1thread');
    if (single) expect(single.losses).toEqual(compiled!.losses); // bitwise identical for every thread count
    for (const e of [ours, compiled, jax]) {
      expect(e!.error).toBeNull();
      expect(e!.losses).toHaveLength(4);
    }
    expect(report.tokensPerStep).toBe(16);
    // Random init on 16 tokens: the first loss is near ln(16).
    expect(Math.abs(ours!.losses[0]! - Math.log(16))).toBeLessThan(0.5);
    expect(report.firstLossMaxRelDiff!).toBeLessThan(1e-5);
    // The same Adam steps: later losses still agree.
    for (let i = 1; i < 4; i++) {
      expect(Math.abs(compiled!.losses[i]! - ours!.losses[i]!) / ours!.losses[i]!).toBeLessThan(1e-5);
      expect(Math.abs(jax!.losses[i]! - ours!.losses[i]!) / ours!.losses[i]!).toBeLessThan(1e-4);
    }
    // The compiled step replayed its plan (it did not fall back to eager).
    expect(compiled!.status).toMatch(/^compile\(\): replay, 1 of 4 calls replayed/);
    expect(torch!.error).toMatch(/^not measured: /);
    expect(report.compiledOverJaxJit).toBeGreaterThan(0);
    expect(compiled!.cpuMs).toHaveLength(1);
    expect(compiled!.cpuMsPerStep).toBeGreaterThan(0);
    const { headers, rows } = parseTable(c.out());
    expect(headers).toEqual(['impl', 'tokens/s', 'ms/step', 'cpu ms/step', 'rounds (tokens/s)', 'loss@1', 'loss@2', 'loss@3', 'loss@4', 'Δloss@1 vs ours', 'ours-cpu-compiled/impl']);
    expect(rows.map((r) => r[0])).toEqual(ids);
    expect(rows[ids.length - 1]![1]).toBe('n/a [1]');
    expect(c.out()).toMatch(/- ours-cpu-compiled = @unihetero\/tensor CpuBackend \(.*\), GEMM threads \d+ \(setting \w+.*\), compile\(\)/);
    expect(cpuThreads().setting).toBe(setting); // restored
    expect(c.out()).toContain('[1] torch-openblas: not measured: ');
    expect(c.out()).toContain('tiny GPT training, d 16, 2 heads, 1 layers, seq 8, batch 2, vocab 16');
    expect(c.out()).toMatch(/max relative difference of loss@1 from ours \d\.\d\de[-+]\d+ \(tolerance 0\.0001\)/);
  }, 120_000);
});
