import { describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { linearTicks, lineChartSvg, logTicks, lossCurveSvg } from '../src/svg.js';
import { readCheckpointMeta, writeFileAtomic } from '../src/files.js';
import { RateMeter, createProgress } from '../src/progress.js';
import { interruptHandler } from '../src/io.js';
import { memoryIO, useTempDir } from './helpers.js';

const tmp = useTempDir();

describe('svg', () => {
  it('chooses nice ticks', () => {
    expect(linearTicks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(linearTicks(1, 4)).toEqual([1, 1.5, 2, 2.5, 3, 3.5, 4]);
    expect(logTicks(0.3, 40)).toEqual([0.5, 1, 2, 5, 10, 20]);
    expect(logTicks(0.002, 30)).toEqual([0.01, 0.1, 1, 10]);
    expect(logTicks(1.5, 4.5)).toEqual([2, 3, 4]);
  });

  it('draws one polyline per series, skipping values a log axis cannot show, escaping text', () => {
    const svg = lineChartSvg(
      [
        { name: 'a<b', color: 'red', points: [[0, 1], [1, 10], [2, NaN], [3, 0]] },
        { name: 'empty', color: 'blue', points: [[0, -1]] },
      ],
      { title: 'T & U' },
    );
    expect(svg.match(/<polyline/g)).toHaveLength(1);
    expect(svg).toContain('<title>a&lt;b</title>');
    expect(svg).toContain('T &amp; U');
    // Two points only: x spans the plot width (left 64 .. 64 + 760 - 64 - 150), y the height.
    expect(svg).toContain('points="64.0,372.0 610.0,36.0"');
    expect(lineChartSvg([])).toContain('no data');
  });

  it('plots total and loss parts from metrics records', () => {
    const svg = lossCurveSvg([{ step: 1, loss: 30, text: 4, ploss: 1, diffuloss: 1.5 }, { step: 2, loss: 20, text: 3, ploss: 0.5, diffuloss: 1 }]);
    expect(svg.match(/<polyline/g)).toHaveLength(4);
    for (const n of ['total', 'text', 'ploss', 'diffuloss']) expect(svg).toContain(`>${n}</text>`);
  });
});

describe('run files', () => {
  it('reads checkpoint metadata and rejects other files', async () => {
    const p = join(tmp.dir, 'x.safetensors');
    const header = JSON.stringify({ __metadata__: { 'unihetero.checkpoint': JSON.stringify({ version: 1, step: 7, extra: { a: 1 } }) } });
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    await writeFileAtomic(p, Buffer.concat([len, Buffer.from(header)]));
    expect(await readCheckpointMeta(p)).toEqual({ step: 7, extra: { a: 1 } });
    const q = join(tmp.dir, 'plain.safetensors');
    const h2 = JSON.stringify({ __metadata__: {} });
    len.writeBigUInt64LE(BigInt(h2.length));
    await writeFile(q, Buffer.concat([len, Buffer.from(h2)]));
    await expect(readCheckpointMeta(q)).rejects.toThrow(`readCheckpointInfo: '${q}' has no 'unihetero.checkpoint' metadata; it is not a unihetero checkpoint`);
    const r = join(tmp.dir, 'text.txt');
    await writeFile(r, 'hello world, not safetensors');
    await expect(readCheckpointMeta(r)).rejects.toThrow(new RegExp(`^safetensors: header length \\d+ exceeds the 100000000-byte limit \\(in '${r}'\\)$`));
  });
});

describe('progress', () => {
  it('prints bar lines to a non-terminal stream, and nothing when quiet', () => {
    const io = memoryIO();
    const p = createProgress(io.stderr);
    p.start('train', 4, 0, 'steps');
    p.update(4, { rate: '8 samples/s', loss: '1.5' });
    p.log('a line');
    p.stop();
    expect(io.err()).toContain('train [------------------------] 0/4 steps | - | ETA');
    expect(io.err()).toContain('a line\n');
    expect(io.err()).toContain('train [========================] 4/4 steps | 8 samples/s | ETA 0s | loss 1.5\n');
    const quiet = memoryIO();
    const q = createProgress(quiet.stderr, { quiet: true });
    q.start('train', 4, 0, 'steps');
    q.log('x');
    q.stop();
    expect(quiet.err()).toBe('');
  });

  it('measures throughput over a sliding window', () => {
    const m = new RateMeter(2);
    expect(m.perSecond()).toBeNaN();
    m.add(0, 0);
    m.add(16, 1000);
    expect(m.perSecond()).toBe(16);
    m.add(16, 1500);
    m.add(16, 2000);
    // Window of 2 steps: 32 samples in the last second.
    expect(m.perSecond()).toBe(32);
  });
});

describe('the Ctrl-C handler', () => {
  it('aborts on the first interrupt and quits on the second', () => {
    const io = memoryIO();
    const c = new AbortController();
    const exit = vi.fn();
    const h = interruptHandler(c, io.stderr, exit);
    h();
    expect(c.signal.aborted).toBe(true);
    expect(exit).not.toHaveBeenCalled();
    expect(io.err()).toContain('finishing the current step, then saving the checkpoint');
    h();
    expect(exit).toHaveBeenCalledWith(130);
  });
});

describe('non-finite stops', () => {
  it('name a loss part, or the gradient norm (not a "loss part")', async () => {
    const { NonFiniteLossError } = await import('@unihetero/model');
    const { nonFiniteMessage } = await import('../src/train.js');
    expect(nonFiniteMessage(new NonFiniteLossError(3, 'ploss', NaN))).toBe("loss part 'ploss' is NaN");
    expect(nonFiniteMessage(new NonFiniteLossError(3, 'gradNorm', NaN))).toBe('the gradient norm is NaN');
  });
});
