/** Run the CLI in-process with captured streams. */
import { runCli, defaultDeps } from '../src/program.js';

/** Captured output of one `runCli` call. */
export interface Captured {
  code: number;
  out: string;
  err: string;
  progress: string;
}

/** `runCli(args)` with stdout, stderr and progress captured (the real backends). */
export async function cli(args: string[]): Promise<Captured> {
  const c = { out: '', err: '', progress: '' };
  const code = await runCli(args, {
    ...defaultDeps,
    io: { out: (t) => void (c.out += `${t}\n`), progress: (t) => void (c.progress += `${t}\n`) },
    writeOut: (t) => void (c.out += t),
    writeErr: (t) => void (c.err += t),
  });
  return { code, ...c };
}
