import { it } from 'vitest';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { runCli } from '../src/program.js';
import { memoryIO, tempDir, tinySpecFile } from '../test/helpers.js';

it('e2e', async () => {
  const dir = await tempDir();
  const spec = await tinySpecFile(dir);
  const io = memoryIO();
  const t = performance.now();
  const code = await runCli(['--config', spec, '--out', join(dir, 'run'), '--backend', 'cpu'], io);
  console.log('code', code, performance.now() - t);
  console.log(io.err());
  console.log(io.out());
  console.log(await readFile(join(dir, 'run', 'metrics.jsonl'), 'utf8'));
  console.log(await readFile(join(dir, 'run', 'eval.jsonl'), 'utf8'));
  console.log(await readFile(join(dir, 'run', 'config.json'), 'utf8'));
  for (const lr of ['1e30', '1e10']) {
    const io2 = memoryIO();
    const c2 = await runCli(['--config', spec, '--out', join(dir, 'nan' + lr), '--backend', 'cpu', '--lr', lr, '--eval-every', '0', '--quiet'], io2);
    console.log('nan', lr, c2, io2.err());
  }
}, 300000);
