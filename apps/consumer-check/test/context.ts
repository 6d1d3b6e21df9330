/** What the global setup hands to the tests (see setup.ts). */
import { inject } from 'vitest';
import type { Tarball } from '../src/pack.js';
import type { ReadmeExample } from '../src/readme.js';
import type { DiagnosticsByFile } from '../src/typecheck.js';

/** The packed, installed and compiled consumer project. */
export interface ConsumerSetup {
  /** Set when the setup failed (every test then fails with it). */
  error?: string;
  dir: string;
  tarballs: Tarball[];
  install: 'offline' | 'prefer-offline';
  packSeconds: number;
  installSeconds: number;
  typecheckSeconds: number;
  /** Type errors by file (relative to the project), and every file the program checked. */
  diagnostics: DiagnosticsByFile;
  checkedFiles: string[];
  /** The same for `tsconfig.no-dom.json` (no DOM lib; every package but webgpu). */
  noDomDiagnostics: DiagnosticsByFile;
  noDomFiles: string[];
  /** The compiler options used. */
  options: Record<string, unknown>;
  examples: ReadmeExample[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    consumer: ConsumerSetup;
  }
}

/** The setup's result; throws the setup's error. */
export function consumer(): ConsumerSetup {
  const c = inject('consumer');
  if (c.error) throw new Error(`consumer setup failed: ${c.error}`);
  return c;
}

/** Run `node <file>` in `cwd`; resolves with the exit code and output (never rejects on a non-zero exit). */
export async function runNode(file: string, cwd: string, timeoutMs = 150_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { cwd, env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The last line of a program's output, parsed as JSON. */
export function lastJson<T = Record<string, unknown>>(stdout: string): T {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as T;
}
