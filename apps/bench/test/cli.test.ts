import { describe, expect, it } from 'vitest';
import { runCli, type CliDeps } from '../src/program.js';
import type { MatmulOptions } from '../src/suites/matmul.js';
import type { MlpOptions } from '../src/suites/mlp.js';
import type { GptOptions } from '../src/suites/gpt.js';
import type { StepOptions } from '../src/suites/steps.js';
import type { SoakOptions } from '../src/suites/soak.js';

function harness() {
  const calls: { suite: string; opts: MatmulOptions | MlpOptions | GptOptions | StepOptions | SoakOptions }[] = [];
  let out = '';
  let err = '';
  const deps: CliDeps = {
    io: { out: (t) => void (out += `${t}\n`), progress: (t) => void (err += `${t}\n`) },
    writeOut: (t) => void (out += t),
    writeErr: (t) => void (err += t),
    runMatmul: async (opts) => void calls.push({ suite: 'matmul', opts }),
    runMlp: async (opts) => void calls.push({ suite: 'mlp', opts }),
    runGpt: async (opts) => void calls.push({ suite: 'gpt', opts }),
    runTransformer: async (opts) => void calls.push({ suite: 'transformer', opts }),
    runTrainStep: async (opts) => void calls.push({ suite: 'train', opts }),
    runSoak: async (opts) => void calls.push({ suite: 'soak', opts }),
  };
  return { deps, calls, out: () => out, err: () => err };
}

describe('CLI parsing', () => {
  it('parses the transformer and train step suites', async () => {
    const h = harness();
    expect(await runCli(['transformer', '--backend', 'all', '--steps', '3'], h.deps)).toBe(0);
    expect(await runCli(['transformer', '--compiled'], h.deps)).toBe(0);
    expect(await runCli(['train', '--batch-size', '8', '--preset', 'exp3', '--composed'], h.deps)).toBe(0);
    expect(h.calls).toEqual([
      { suite: 'transformer', opts: { backend: 'all', steps: 3, warmup: 1, composed: false, compiled: false } },
      { suite: 'transformer', opts: { backend: 'cpu', steps: 5, warmup: 1, composed: false, compiled: true } },
      { suite: 'train', opts: { backend: 'cpu', steps: 5, warmup: 1, batchSize: 8, preset: 'exp3', composed: true } },
    ]);
    expect(await runCli(['transformer', '--backend', 'tpu'], h.deps)).not.toBe(0);
  });

  it('parses matmul options', async () => {
    const h = harness();
    const code = await runCli(['matmul', '--backend', 'webgpu', '--sizes', '256,512', '--repeats', '3', '--warmup', '1', '--json', 'out.json', '--peers', 'tfjs-webgpu'], h.deps);
    expect(code).toBe(0);
    expect(h.calls).toEqual([
      { suite: 'matmul', opts: { backend: 'webgpu', sizes: [256, 512], repeats: 3, warmup: 1, minSampleMs: 20, peers: ['tfjs-webgpu'], seed: 0, json: 'out.json' } },
    ]);
  });

  it('uses the documented matmul defaults', async () => {
    const h = harness();
    expect(await runCli(['matmul'], h.deps)).toBe(0);
    expect(h.calls[0]!.opts).toEqual({ backend: 'cpu', sizes: undefined, repeats: 5, warmup: 2, minSampleMs: 20, peers: undefined, seed: 0, json: undefined });
  });

  it('parses mlp options and defaults', async () => {
    const h = harness();
    expect(await runCli(['mlp', '--steps', '30'], h.deps)).toBe(0);
    expect(await runCli(['mlp', '--backend', 'all', '--steps', '5', '--warmup', '0', '--peers', 'none', '--lr', '0.01'], h.deps)).toBe(0);
    expect(h.calls.map((c) => c.opts)).toEqual([
      { backend: 'cpu', steps: 30, warmup: 5, rounds: 3, peers: undefined, lr: 1e-3, seed: 0, json: undefined },
      { backend: 'all', steps: 5, warmup: 0, rounds: 3, peers: [], lr: 0.01, seed: 0, json: undefined },
    ]);
  });

  it('parses gpt options and defaults', async () => {
    const h = harness();
    expect(await runCli(['gpt'], h.deps)).toBe(0);
    expect(await runCli(['gpt', '--steps', '5', '--warmup', '4', '--rounds', '2', '--peers', 'jax-js-wasm,jax-js-wasm-jit', '--lr', '0.01', '--seed', '7', '--json', 'g.json'], h.deps)).toBe(0);
    expect(await runCli(['gpt', '--peers', 'none'], h.deps)).toBe(0);
    expect(h.calls).toEqual([
      { suite: 'gpt', opts: { steps: 20, warmup: 3, rounds: 3, peers: undefined, lr: 1e-3, seed: 0, json: undefined } },
      { suite: 'gpt', opts: { steps: 5, warmup: 4, rounds: 2, peers: ['jax-js-wasm', 'jax-js-wasm-jit'], lr: 0.01, seed: 7, json: 'g.json' } },
      { suite: 'gpt', opts: { steps: 20, warmup: 3, rounds: 3, peers: [], lr: 1e-3, seed: 0, json: undefined } },
    ]);
    const bad = harness();
    expect(await runCli(['gpt', '--peers', 'tfjs-wasm'], bad.deps)).toBe(1);
    expect(bad.err()).toContain("--peers: unknown peer 'tfjs-wasm'; expected a comma-separated subset of jax-js-wasm-jit, jax-js-wasm (or 'none')");
    expect(await runCli(['gpt', '--backend', 'webgpu'], bad.deps)).toBe(1);
    expect(bad.err()).toContain("unknown option '--backend'");
    expect(bad.calls).toEqual([]);
  });

  it('rejects an unknown suite, listing the suites', async () => {
    const h = harness();
    expect(await runCli(['transformerz'], h.deps)).toBe(1);
    expect(h.err()).toContain("unknown suite 'transformerz'; available suites: matmul, mlp");
    expect(h.calls).toEqual([]);
  });

  it('rejects an unknown backend, listing the choices', async () => {
    const h = harness();
    expect(await runCli(['matmul', '--backend', 'tpu'], h.deps)).toBe(1);
    expect(h.err()).toContain("argument 'tpu' is invalid. Allowed choices are cpu, webgpu, all.");
    const h2 = harness();
    expect(await runCli(['mlp', '--backend', 'cuda'], h2.deps)).toBe(1);
    expect(h2.err()).toContain('Allowed choices are cpu, webgpu, all.');
    expect([...h.calls, ...h2.calls]).toEqual([]);
  });

  it('rejects bad sizes, counts, peers and unknown options with the offending value', async () => {
    const cases: [string[], string][] = [
      [['matmul', '--sizes', '128,abc'], "--sizes: 'abc' is not a positive integer"],
      [['matmul', '--repeats', '0'], "--repeats: expected an integer >= 1, got '0'"],
      [['matmul', '--peers', 'onnx'], "--peers: unknown peer 'onnx'"],
      [['mlp', '--steps', '-1'], "--steps: expected an integer >= 1, got '-1'"],
      [['mlp', '--peers', 'tfjs-cpu'], "--peers: unknown peer 'tfjs-cpu'"],
      [['matmul', '--gpu'], "unknown option '--gpu'"],
    ];
    for (const [args, message] of cases) {
      const h = harness();
      expect(await runCli(args, h.deps), args.join(' ')).toBe(1);
      expect(h.err()).toContain(message);
      expect(h.calls).toEqual([]);
    }
  });

  it('documents the suites in --help', async () => {
    const h = harness();
    expect(await runCli(['--help'], h.deps)).toBe(0);
    expect(h.out()).toContain('matmul');
    expect(h.out()).toContain('mlp');
    expect(h.out()).toContain('gpt');
    const h2 = harness();
    expect(await runCli(['matmul', '--help'], h2.deps)).toBe(0);
    for (const flag of ['--backend', '--sizes', '--repeats', '--warmup', '--json', '--peers']) expect(h2.out()).toContain(flag);
  });
});

describe('soak', () => {
  it('is registered with its defaults, and judges flatness after the first sample', async () => {
    const { checkFlat } = await import('../src/suites/soak.js');
    const s = (step: number, tensors: number, bytesInUse: number, buffersCreated: number | null) => ({ step, tensors, storages: tensors, bytesInUse, bytesPooled: 0, buffersCreated, msPerStep: 1, loss: 1 });
    expect(checkFlat([s(100, 50, 1000, 20), s(200, 50, 1000, 20), s(300, 50, 900, 20)])).toEqual([]);
    expect(checkFlat([s(100, 50, 1000, 20), s(200, 51, 1100, 21)])).toEqual([
      'step 200: 51 live tensors, 50 at step 100',
      'step 200: 51 live storages, 50 at step 100',
      'step 200: 1100 bytes in use, 1000 at step 100',
      'step 200: 21 GPU buffers created, 20 at step 100 (the pool did not serve every allocation)',
    ]);
    expect(checkFlat([s(1, 1, 1, null)])).toHaveLength(1);
  });
});
