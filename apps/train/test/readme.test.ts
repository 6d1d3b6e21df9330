/** Runs the README's example exactly: its tiny.json, its command line, and its printed summary. */
import { expect, it } from 'vitest';
import { join } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { runCli } from '../src/program.js';
import { readCheckpointMeta } from '../src/files.js';
import { memoryIO, readJsonl, useTempDir } from './helpers.js';

const tmp = useTempDir();

/** The fenced blocks of the README's "## Example" section, in order. */
async function exampleBlocks(): Promise<{ lang: string; body: string }[]> {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.split('\n## Example\n')[1]!.split('\n## ')[0]!;
  return [...section.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, body: m[2]! }));
}

/** Split a shell line into words (the example has no quoting). */
const words = (line: string) => line.trim().split(/\s+/);

it('runs the README example and prints what it shows', async () => {
  const [json, sh, output] = await exampleBlocks();
  expect(json!.lang).toBe('json');
  expect(sh!.lang).toBe('sh');
  const configPath = join(tmp.dir, 'tiny.json');
  await writeFile(configPath, json!.body);
  const argv = words(sh!.body);
  expect(argv[0]).toBe('unihetero-train');
  const out = join(tmp.dir, 'runs', 'tiny');
  const args = argv.slice(1).map((a) => (a === 'tiny.json' ? configPath : a === 'runs/tiny' ? out : a));
  const io = memoryIO();
  expect(await runCli(args, io)).toBe(0);
  expect(io.out()).toBe(output!.body.replaceAll('runs/tiny', out));
  expect((await readJsonl(join(out, 'metrics.jsonl'))).map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6]);
  expect((await readJsonl(join(out, 'eval.jsonl'))).map((r) => [r.step, r.kind])).toEqual([
    [3, 'understanding'],
    [6, 'understanding'],
    [6, 'generation'],
  ]);
  expect((await readCheckpointMeta(join(out, 'checkpoint.safetensors'))).step).toBe(6);
});
