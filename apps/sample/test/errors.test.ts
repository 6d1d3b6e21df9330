/**
 * Hostile inputs: every one is refused with one line naming the input and the remedy, quickly and
 * without a stack trace (only --verbose adds one); damaged checkpoints are named with the tensor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CpuBackend } from '@unihetero/tensor';
import { parseSafetensors } from '@unihetero/safetensors';
import { cli, makeCheckpoint } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'unihetero-sample-errors-'));
const ckpt = join(dir, 'tiny.safetensors');
const backend = new CpuBackend();
const CAP = 'a small red circle at the top left.';
const base = ['--checkpoint', ckpt, '--backend', 'cpu'];

beforeAll(async () => {
  await makeCheckpoint(ckpt, backend);
});
afterAll(() => {
  backend.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** An error report: exit 1, one line, no stack trace. */
function oneLine(r: { code: number; err: string; stderr: string[] }): string {
  expect(r.code).toBe(1);
  const last = r.stderr.at(-1)!;
  expect(last).not.toContain('\n');
  expect(r.err).not.toMatch(/^\s+at /m);
  return last;
}

describe('limits', () => {
  it('a 12,004-word caption is refused against the context before any work', async () => {
    const long = Array.from({ length: 3001 }, () => 'a red circle.').join(' ');
    const t0 = performance.now();
    const r = await cli(['roundtrip', long, ...base]);
    expect(performance.now() - t0).toBeLessThan(20_000); // it took 29 s and 4 GB before
    expect(oneLine(r)).toBe(
      "unihetero-sample roundtrip: caption 1 has 12004 tokens; the model's context holds 512 positions, 64 of them for the image and 2 for special tokens, which leaves 446 (shorten it)",
    );
    const g = await cli(['generate', long, '--out', join(dir, 'g'), ...base]);
    expect(oneLine(g)).toContain('generate: caption 1 has 12004 tokens');
    const chars = 'x'.repeat(100_001);
    expect(oneLine(await cli(['roundtrip', chars, ...base]))).toMatch(/roundtrip: caption 1 \("x{60}\.\.\."\) is 100001 characters long; at most 100000$/);
  });

  it('--max-tokens, counts and image sizes are bounded', async () => {
    expect(oneLine(await cli(['roundtrip', CAP, '--max-tokens', '1000', ...base]))).toContain("--max-tokens: 1000 is more than the model's context leaves for a text: 512 positions, 64 for the image and 4 for special tokens leave 444");
    const c = await cli(['generate', CAP, '--count', '10001', '--out', join(dir, 'g'), ...base]);
    expect(c.code).toBe(1);
    expect(c.err).toContain("--count: expected an integer in [1, 10000], got '10001'");
    expect(c.err).not.toMatch(/^\s+at /m);
    const many = Array.from({ length: 5001 }, () => CAP);
    const m = await cli(['generate', ...many, '--count', '2', '--out', join(dir, 'g'), ...base]);
    expect(oneLine(m)).toContain('generate: 5001 captions x --count 2 = 10002 images; at most 10000 per command');
    // A PNG whose header claims 30000x30000 is refused from its header, before decoding.
    const png = Buffer.alloc(33);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(png);
    png.writeUInt32BE(13, 8);
    png.write('IHDR', 12, 'ascii');
    png.writeUInt32BE(30000, 16);
    png.writeUInt32BE(30000, 20);
    const huge = join(dir, 'huge.png');
    await writeFile(huge, png);
    expect(oneLine(await cli(['caption', huge, ...base]))).toBe(`unihetero-sample caption: image '${huge}' is 30000x30000; the model reads 32x32 RGB images`);
  });

  it('an emoji in a caption is named as itself', async () => {
    const r = await cli(['roundtrip', 'a red \u{1F534} circle.', ...base]);
    expect(oneLine(r)).toContain("unknown word '\u{1F534}' at character 6");
    expect(r.err).not.toContain('\uFFFD');
  });
});

describe('damaged checkpoints', () => {
  it('are named with the tensor and a remedy; a run folder falls back to its previous checkpoint', async () => {
    const bytes = await readFile(ckpt);
    const file = parseSafetensors(bytes);
    const name = file.names()[2]!;
    const at = 8 + file.header.headerLength + file.info(name).dataOffsets[0];
    bytes[at] = bytes[at]! ^ 0x08;
    const damaged = join(dir, 'damaged.safetensors');
    await writeFile(damaged, bytes);
    const r = await cli(['roundtrip', CAP, '--checkpoint', damaged, '--backend', 'cpu']);
    expect(oneLine(r)).toMatch(
      new RegExp(`^unihetero-sample roundtrip: checkpoint '.*damaged\\.safetensors' cannot be used: verifyCheckpoint: '.*damaged\\.safetensors' is damaged: tensor '${name.replace(/\./g, '\\.')}' fails its checksum \\(stored crc32 [0-9a-f]{8}, the data gives [0-9a-f]{8}\\); resume its training run \\(unihetero-train --resume\\) or train a new one$`),
    );
    const verbose = await cli(['roundtrip', CAP, '--checkpoint', damaged, '--backend', 'cpu', '--verbose']);
    expect(verbose.err).toMatch(/\n\s+at /);
    // A run folder: checkpoint.safetensors damaged, checkpoint.prev.safetensors intact.
    const run = join(dir, 'run');
    await mkdir(run);
    await writeFile(join(run, 'checkpoint.safetensors'), bytes);
    await copyFile(ckpt, join(run, 'checkpoint.prev.safetensors'));
    const ok = await cli(['roundtrip', CAP, '--checkpoint', run, '--backend', 'cpu', '--steps', '2']);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.stderr[0]).toMatch(/^checkpoint '.*checkpoint\.safetensors' cannot be used \(.*fails its checksum.*\); using the previous checkpoint '.*checkpoint\.prev\.safetensors' \(step 2\) of the run folder instead$/);
    // A damaged header names the file (no bare SyntaxError).
    const head = Buffer.from(await readFile(ckpt));
    head[9] = 0x21;
    const bad = join(dir, 'header.safetensors');
    await writeFile(bad, head);
    expect(oneLine(await cli(['caption', join(dir, 'huge.png'), '--checkpoint', bad, '--backend', 'cpu']))).toMatch(/^unihetero-sample caption: checkpoint '.*header\.safetensors' cannot be used: safetensors: header is not valid JSON \(.*\) \(in '.*header\.safetensors'\); /);
  });
});
