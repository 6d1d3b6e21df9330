import { it } from 'vitest';
import { runCli } from '../src/program.js';

it('demo full', async () => {
  const t = performance.now();
  const args = ['demo', '--out', '/tmp/uh-demo', '--backend', 'cpu', ...(process.env.DEMO_ARGS ? process.env.DEMO_ARGS.split(' ') : [])];
  const code = await runCli(args, { stdout: process.stdout, stderr: process.stderr });
  console.log('code', code, 'total s', (performance.now() - t) / 1000);
}, 3600_000);
