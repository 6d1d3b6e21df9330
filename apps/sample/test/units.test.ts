/** The option parsers, the progress reporter and the object comparison, in isolation. */
import { describe, expect, it } from 'vitest';
import { parseCaptionLines, parseChoices, parseInteger, parseNumber } from '../src/parse.js';
import { formatSeconds, startProgress } from '../src/progress.js';
import { objectsRecovered, sameObjects } from '../src/inputs.js';
import { collectCaptions } from '../src/commands/common.js';
import { capture } from './helpers.js';

describe('parsers', () => {
  it('parseInteger accepts integers in range and names the option otherwise', () => {
    expect(parseInteger('--n', '12', 1)).toBe(12);
    expect(parseInteger('--n', ' +3 ', 0)).toBe(3);
    expect(parseInteger('--n', '0', 0)).toBe(0);
    expect(() => parseInteger('--n', '0', 1)).toThrow("--n: expected an integer >= 1, got '0'");
    expect(() => parseInteger('--n', '1e3', 1)).toThrow("--n: expected an integer >= 1, got '1e3'");
    expect(() => parseInteger('--n', '', 1)).toThrow("--n: expected an integer >= 1, got ''");
    expect(() => parseInteger('--n', '5', 1, 4)).toThrow("--n: expected an integer in [1, 4], got '5'");
    expect(() => parseInteger('--n', '99999999999999999999', 1)).toThrow('--n: expected an integer >= 1');
  });

  it('parseNumber checks finiteness and bounds', () => {
    expect(parseNumber('--x', '0.25', { min: 0, exclusiveMin: true, max: 1 })).toBe(0.25);
    expect(parseNumber('--x', '1', { min: 0, exclusiveMin: true, max: 1 })).toBe(1);
    expect(parseNumber('--x', '-2.5', {})).toBe(-2.5);
    expect(() => parseNumber('--x', '0', { min: 0, exclusiveMin: true, max: 1 })).toThrow("--x: expected a finite number > 0 and <= 1, got '0'");
    expect(() => parseNumber('--x', 'Infinity', {})).toThrow("--x: expected a finite number, got 'Infinity'");
    expect(() => parseNumber('--x', 'NaN', { min: 0 })).toThrow("--x: expected a finite number >= 0, got 'NaN'");
    expect(() => parseNumber('--x', '  ', { min: 0 })).toThrow("--x: expected a finite number >= 0, got '  '");
  });

  it('parseChoices splits on | and trims', () => {
    expect(parseChoices('--options', 'red | green|blue ')).toEqual(['red', 'green', 'blue']);
    expect(() => parseChoices('--options', 'red')).toThrow("--options: expected at least two options separated by '|', got 'red'");
    expect(() => parseChoices('--options', 'a| |b')).toThrow("--options: option 2 of 'a| |b' is empty");
    expect(() => parseChoices('--options', 'a|b|a')).toThrow("--options: option 'a' appears twice in 'a|b|a'");
  });

  it('parseCaptionLines skips blank and comment lines, handles CRLF', () => {
    expect(parseCaptionLines('# header\r\n a red circle. \r\n\r\nb\n#x\n')).toEqual(['a red circle.', 'b']);
    expect(parseCaptionLines('\n\n')).toEqual([]);
  });

  it('collectCaptions puts arguments first and requires one', () => {
    expect(collectCaptions(['a', ' b '], ['c'], 'generate')).toEqual(['a', 'b', 'c']);
    expect(() => collectCaptions([], undefined, 'generate')).toThrow('generate: no captions; pass them as arguments or with --captions-file <file>');
    expect(() => collectCaptions(['a', '  '], undefined, 'roundtrip')).toThrow('roundtrip: caption 2 is empty');
  });
});

describe('progress', () => {
  it('formats seconds', () => {
    expect(formatSeconds(4.4)).toBe('4s');
    expect(formatSeconds(65)).toBe('1m05s');
    expect(formatSeconds(NaN)).toBe('?');
  });

  it('prints throttled plain lines with rate and ETA off a TTY, and a final line', () => {
    const io = capture();
    let t = 0;
    const p = startProgress(io, 'generate', 'images', 4, { intervalMs: 1000, now: () => t });
    t = 500;
    p.tick(); // first line: 1 image in 0.5 s
    t = 800;
    p.tick(); // throttled
    t = 2000;
    p.tick(); // 3 in 2 s
    t = 4000;
    p.tick(); // the last tick waits for stop()
    p.stop();
    p.stop();
    expect(io.stderr).toEqual(['generate: 1/4 images (2.00 images/s, ETA 2s)', 'generate: 3/4 images (1.50 images/s, ETA 1s)', 'generate: 4/4 images (1.00 images/s, took 4s)']);
  });

  it('draws a live bar on a TTY stream', () => {
    const chunks: string[] = [];
    const io = { ...capture(), progressStream: { isTTY: true, write: (c: string) => (chunks.push(c), true), columns: 100, cursorTo: () => true, clearLine: () => true, moveCursor: () => true } };
    const p = startProgress(io, 'caption', 'images', 2);
    p.tick();
    p.tick();
    p.stop();
    const text = chunks.join('');
    expect(text).toContain('caption |');
    expect(text).toContain('2/2 images');
    expect(io.stderr).toEqual([]);
  });
});

describe('object comparison', () => {
  const o = (row: number, col: number, shape: 'circle' | 'square', colour: string, size: 'small' | 'large') => ({ cell: { row, col }, shape, colour, size });
  it('matches sets regardless of order, on every attribute', () => {
    const a = [o(0, 0, 'circle', 'red', 'small'), o(1, 1, 'square', 'blue', 'large')];
    expect(sameObjects(a, [a[1]!, a[0]!])).toBe(true);
    expect(sameObjects(a, [a[0]!, { ...a[1]!, size: 'small' }])).toBe(false);
    expect(sameObjects(a, [...a, o(2, 2, 'circle', 'red', 'small')])).toBe(false);
    expect(objectsRecovered(a, [a[1]!, o(2, 2, 'circle', 'red', 'small')])).toBe(1);
  });
});
