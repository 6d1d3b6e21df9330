/**
 * `--backend webgpu` end to end (`@unihetero/webgpu/testing`: skipped without an adapter locally,
 * a failure in CI): the same commands as on the CPU backend give the same numbers. Tiny settings,
 * because llvmpipe is slow.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '@unihetero/tensor';
import { webgpuForTests } from '@unihetero/webgpu/testing';
import { ShapesWorld, decodePng, writePng } from '@unihetero/data';
import { cli, makeCheckpoint } from './helpers.js';

const probe = await webgpuForTests('sample');
probe?.destroy(); // the CLI makes its own backend
const available = probe !== null;

const dir = mkdtempSync(join(tmpdir(), 'unihetero-sample-gpu-'));
const ckpt = join(dir, 'tiny.safetensors');
const png = join(dir, 'q.png');
beforeAll(async () => {
  if (!available) return;
  await makeCheckpoint(ckpt, new CpuBackend());
  await writePng(png, new ShapesWorld({}).sample('test', 7).image);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The log-likelihoods printed by `answer`. */
const lls = (lines: string[]) => lines.slice(2).map((l) => Number(/log-likelihood (-?\d+\.\d+)/.exec(l)![1]));

describe.skipIf(!available)('--backend webgpu', () => {
  it('answer gives the CPU log-likelihoods; generate gives the CPU image', async () => {
    const q = ['answer', png, '--question', 'what colour is the circle?', '--options', 'red|blue|green', '--checkpoint', ckpt];
    const cpu = await cli([...q, '--backend', 'cpu']);
    const gpu = await cli([...q, '--backend', 'webgpu']);
    expect(gpu.code, gpu.err).toBe(0);
    expect(gpu.err).toContain('on the webgpu backend');
    const a = lls(cpu.stdout);
    const b = lls(gpu.stdout);
    expect(b).toHaveLength(3);
    b.forEach((v, i) => expect(Math.abs(v - a[i]!)).toBeLessThan(2e-3));

    const g = ['generate', 'a small red circle at the top left.', '--steps', '2', '--flow-steps', '2', '--checkpoint', ckpt];
    const gc = await cli([...g, '--out', join(dir, 'cpu'), '--backend', 'cpu']);
    const gg = await cli([...g, '--out', join(dir, 'gpu'), '--backend', 'webgpu']);
    expect(gc.code).toBe(0);
    expect(gg.code, gg.err).toBe(0);
    const x = decodePng(readFileSync(join(dir, 'cpu', 'image-0.png')));
    const y = decodePng(readFileSync(join(dir, 'gpu', 'image-0.png')));
    let worst = 0;
    for (let i = 0; i < x.data.length; i++) worst = Math.max(worst, Math.abs(x.data[i]! - y.data[i]!));
    expect(worst).toBeLessThanOrEqual(2);
  });
});
