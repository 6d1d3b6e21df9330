/** unihetero-train runs the semantic encoder on a worker thread on the CPU backend unless --no-encoder-worker, with the same losses. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { cpuThreads } from '@unihetero/tensor';
import { runCli } from '../src/program.js';
import { memoryIO, removeDir, tempDir } from './helpers.js';

describe('unihetero-train and the encoder worker', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => {
    await removeDir(dir);
  });

  it('trains with the worker on the CPU backend by default, and without it on --no-encoder-worker, with the same losses', async () => {
    const losses: string[] = [];
    const before = cpuThreads().setting;
    for (const flags of [[], ['--no-encoder-worker']]) {
      const io = memoryIO();
      const out = `${dir}/run${flags.length}`;
      expect(await runCli(['--samples', '8', '--batch-size', '4', '--eval-every', '0', '--backend', 'cpu', '--out', out, ...flags], io)).toBe(0);
      expect(io.err().includes('semantic encoder on a worker thread')).toBe(flags.length === 0);
      losses.push((await readFile(`${out}/metrics.jsonl`, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l).loss).join(','));
    }
    expect(losses[0]).toBe(losses[1]);
    expect(cpuThreads().setting).toBe(before); // the run gives its GEMM threads back
  });
});
