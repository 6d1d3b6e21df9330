/**
 * The README example, run verbatim: the four commands of its "Example" block, in a scratch folder
 * holding `runs/exp2/checkpoint.safetensors` (a tiny model trained here for two steps).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '@unihetero/tensor';
import { decodePng } from '@unihetero/data';
import { cli, makeCheckpoint } from './helpers.js';

/** Split a shell line into words (double-quoted words may hold spaces; no escapes needed here). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (const m of line.matchAll(re)) words.push(m[1] ?? m[2]!);
  return words;
}

/** The commands of the first ```sh block after "## Example". */
function exampleCommands(): string[][] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Example'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  return block
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'))
    .map(shellWords);
}

const home = process.cwd();
const dir = mkdtempSync(join(tmpdir(), 'unihetero-sample-readme-'));

beforeAll(async () => {
  await mkdir(join(dir, 'runs', 'exp2'), { recursive: true });
  await makeCheckpoint(join(dir, 'runs', 'exp2', 'checkpoint.safetensors'), new CpuBackend());
  process.chdir(dir);
});
afterAll(() => {
  process.chdir(home);
  rmSync(dir, { recursive: true, force: true });
});

describe('README example', () => {
  it('runs the four commands as written', async () => {
    const commands = exampleCommands();
    expect(commands.map((c) => c.slice(0, 2))).toEqual([
      ['unihetero-sample', 'generate'],
      ['unihetero-sample', 'caption'],
      ['unihetero-sample', 'answer'],
      ['unihetero-sample', 'roundtrip'],
    ]);
    const results = [];
    for (const words of commands) {
      const r = await cli(words.slice(1));
      expect(r.code, `${words.join(' ')}\n${r.err}`).toBe(0);
      results.push(r);
    }
    const [g, c, a, t] = results;
    // generate: 2 captions x 2 samples, the sheet and the details.
    for (const f of ['image-0-0.png', 'image-0-1.png', 'image-1-0.png', 'image-1-1.png']) {
      const png = decodePng(readFileSync(join(dir, 'samples', f)));
      expect([png.width, png.height]).toEqual([32, 32]);
      expect(g!.out).toContain(`samples/${f}  "`);
    }
    expect(decodePng(readFileSync(join(dir, 'samples', 'sheet.png'))).width).toBeGreaterThan(2 * 128);
    expect(existsSync(join(dir, 'samples', 'sheet.svg'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'samples', 'results.json'), 'utf8')).images).toHaveLength(4);
    expect(g!.stdout.at(-2)).toContain('generated 4 images from 2 captions into');
    expect(g!.stdout.at(-1)).toMatch(/^judge: mean object accuracy \d\.\d{3} over 4 images, \d exact$/);
    // caption: a line per file.
    expect(c!.stdout).toHaveLength(2);
    expect(c!.stdout[0]).toMatch(/^samples\/image-0-0\.png: /);
    expect(c!.stdout[1]).toMatch(/^samples\/image-1-0\.png: /);
    // answer: question, answer, four options.
    expect(a!.stdout).toHaveLength(6);
    expect(a!.stdout[1]).toMatch(/^answer: (red|green|blue|white)$/);
    expect(a!.stdout.slice(2).filter((l) => l.startsWith('>'))).toHaveLength(1);
    // roundtrip: two blocks and the summary.
    expect(t!.out.split('\n\n')).toHaveLength(3);
    expect(t!.stdout.at(-1)).toMatch(/^round trip: \d\/2 captions came back with exactly their objects$/);
  });
});
