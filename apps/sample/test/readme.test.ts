/**
 * The README examples, run verbatim: the four commands of its "Example" block, in a scratch folder
 * holding `runs/exp2/checkpoint.safetensors` (a tiny model trained here for two steps); and the
 * `--data` block: unihetero-train (built, a child process) on apps/train's fixture, then caption
 * and generate on its checkpoint.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
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

/** The lines of the first ```sh block after `heading`. */
function shBlock(readme: string, heading: string): string {
  return /```sh\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf(heading)))![1]!;
}

/** The commands of the first ```sh block after `heading` (default "## Example"). */
function exampleCommands(heading = '## Example'): string[][] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const block = shBlock(readme, heading);
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

describe('README example: a checkpoint of unihetero-train --data', () => {
  it('trains on the fixture, then captions and generates with its checkpoint, as written', async () => {
    const commands = exampleCommands('## A checkpoint trained on your own folder');
    expect(commands.map((c) => c.slice(0, 2))).toEqual([
      ['unihetero-train', '--data'],
      ['unihetero-sample', 'caption'],
      ['unihetero-sample', 'generate'],
    ]);
    // The folder where the README says it is, relative to the scratch folder (the working directory).
    const train = dirname(createRequire(import.meta.url).resolve('@unihetero/train/package.json'));
    await mkdir(join(dir, 'apps', 'train', 'test', 'fixtures'), { recursive: true });
    await symlink(join(train, 'test', 'fixtures', 'pairs'), join(dir, 'apps', 'train', 'test', 'fixtures', 'pairs'));
    await promisify(execFile)(process.execPath, [join(train, 'dist', 'cli.js'), ...commands[0]!.slice(1), '--quiet'], { cwd: dir });
    const c = await cli(commands[1]!.slice(1));
    expect(c.code, c.err).toBe(0);
    expect(c.err).toContain("loaded 'runs/pairs/checkpoint.safetensors' (preset exp2, step 8, trained on --data 'apps/train/test/fixtures/pairs' with a 32-token vocabulary) on the cpu backend");
    expect(c.stdout.map((l) => l.split(': ')[0])).toEqual(['apps/train/test/fixtures/pairs/fern.png', 'apps/train/test/fixtures/pairs/boat.png']);
    const g = await cli(commands[2]!.slice(1));
    expect(g.code, g.err).toBe(0);
    expect(g.stdout[0]).toBe('pairs-samples/image-0.png  "a large red ring at the bottom left."  seed 0  not judged (--data checkpoint)');
    expect(decodePng(readFileSync(join(dir, 'pairs-samples', 'image-0.png'))).width).toBe(32);
    // The unknown-word error the README quotes.
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    const bad = await cli(['generate', 'a large red ring at the centre.', '--out', 'never', '--checkpoint', 'runs/pairs', '--backend', 'cpu']);
    expect(bad.code).toBe(1);
    expect(readme).toContain(bad.stderr.at(-1)!);
    // apps/train's README shows the same two commands after its --data run.
    const trainReadme = readFileSync(join(train, 'README.md'), 'utf8');
    for (const line of shBlock(readFileSync(new URL('../README.md', import.meta.url), 'utf8'), '## A checkpoint trained on your own folder').trim().split('\n')) expect(trainReadme).toContain(line);
  }, 300_000);
});
