import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { readPng } from '@unihetero/data';
import { runCli } from '../src/program.js';
import { memoryIO, readJsonl, tinySpecFile, useTempDir } from './helpers.js';

const tmp = useTempDir();

describe('demo (tiny recipe)', () => {
  it('trains with progress, reports accuracy, writes the sheet, the round trip and the report', async () => {
    const out = join(tmp.dir, 'demo');
    const io = memoryIO();
    const code = await runCli(['demo', '--tiny', '--out', out, '--backend', 'cpu'], io);
    expect(code, io.err()).toBe(0);
    // Progress while training, on stderr.
    expect(io.err()).toContain('train [========================] 2/2 steps');
    expect(io.err()).toContain('questions (test)');
    const stdout = io.out();
    expect(stdout).toMatch(/^demo: trained exp2 on the shapes world for 2 steps \(8 samples\) in \d+s; evaluation took \d+s\n/);
    expect(stdout).toMatch(/understanding, multiple choice \(chance 25%\): test \d+\.\d% of 4 questions, held-out compositions \d+\.\d% of 4\n/);
    expect(stdout).toMatch(/generation ladder, objects judged correct on 2 test images: decoder \d+\.\d% \(real semantic tokens -> pixels\), semantics \d+\.\d% \(caption -> semantic tokens, read by a probe; ceiling \d+\.\d%\), end to end \d+\.\d% \(caption -> pixels\)\n/);
    expect(stdout).toMatch(/ {2}end to end: position \d+\.\d%, colour \d+\.\d%, shape \d+\.\d%, size \d+\.\d%, exact images \d+\.\d%\n/);
    expect(stdout).toContain('round trip (caption -> semantic tokens -> caption): object recall');
    expect(stdout).toContain(`outputs in ${out}/:`);
    expect(stdout).toContain('samples.png and samples.svg');

    const sheet = await readPng(join(out, 'samples.png'));
    expect(sheet.width).toBeGreaterThan(64);
    const svg = await readFile(join(out, 'samples.svg'), 'utf8');
    expect(svg.match(/<image /g)).toHaveLength(2);
    expect((await readPng(join(out, 'reconstructions.png'))).width).toBe(sheet.width);
    const rt = await readFile(join(out, 'roundtrip.txt'), 'utf8');
    expect(rt.match(/^caption: {4}/gm)).toHaveLength(2);
    expect(rt.match(/^round trip: /gm)).toHaveLength(2);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report).toMatchObject({ preset: 'exp2', steps: 2, samples: 8, understanding: { test: { questions: 4 }, heldout: { questions: 4 } }, ladder: { images: 2 }, roundTrip: { count: 2 } });
    for (const rung of ['decoder', 'semantics', 'endToEnd']) expect(report.ladder[rung].objects).toBeGreaterThanOrEqual(0);
    expect((await readJsonl(join(out, 'metrics.jsonl'))).map((r) => r.step)).toEqual([1, 2]);

    // Running the demo again replaces the previous one; --samples overrides the budget.
    const again = memoryIO();
    expect(await runCli(['demo', '--tiny', '--out', out, '--backend', 'cpu', '--samples', '4', '--quiet'], again)).toBe(0);
    expect(again.err()).toBe('');
    expect(again.out()).toContain('for 1 step (4 samples)');
    expect((await readJsonl(join(out, 'metrics.jsonl'))).map((r) => r.step)).toEqual([1]);
  });

  it('stops on Ctrl-C with the demo resume command, and --resume finishes it', async () => {
    const out = join(tmp.dir, 'demo-int');
    const controller = new AbortController();
    const io = memoryIO({ signal: controller.signal, hooks: { afterStep: () => controller.abort() } });
    expect(await runCli(['demo', '--tiny', '--out', out, '--backend', 'cpu', '--quiet'], io)).toBe(130);
    expect(io.err()).toBe(`unihetero-train demo: interrupted at step 1 of 2; checkpoint saved to ${join(out, 'checkpoint.safetensors')} (continue with: unihetero-train demo --resume --out ${out})\n`);
    const again = memoryIO();
    expect(await runCli(['demo', '--tiny', '--resume', '--out', out, '--backend', 'cpu', '--quiet'], again)).toBe(0);
    expect(again.out()).toContain('for 2 steps (8 samples)');
    expect((await readJsonl(join(out, 'metrics.jsonl'))).map((r) => r.step)).toEqual([1, 2]);
  });

  it('does not replace a training run that is not a demo', async () => {
    const out = join(tmp.dir, 'run');
    const spec = await tinySpecFile(tmp.dir, { trainer: { samples: 4, batchSize: 4 }, eval: { every: 0 } });
    expect(await runCli(['--config', spec, '--out', out, '--backend', 'cpu', '--quiet'], memoryIO())).toBe(0);
    const io = memoryIO();
    expect(await runCli(['demo', '--tiny', '--out', out, '--backend', 'cpu', '--quiet'], io)).toBe(1);
    expect(io.err()).toBe(`unihetero-train: '${out}' already holds a training run (checkpoint.safetensors); pass --resume to continue it, or choose another --out\n`);
  });
});
