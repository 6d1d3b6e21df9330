/**
 * Global setup: pack every published package, install the tarballs into a fresh project, and
 * type-check + emit the consumer programs and the README examples there, once for all tests.
 * `UNIHETERO_KEEP_CONSUMER=1` keeps the project folder (its path is printed).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { createConsumerProject } from '../src/project.js';
import { allExamples } from '../src/readme.js';
import { checkProject } from '../src/typecheck.js';
import type { ConsumerSetup } from './context.js';

export default function setup(project: TestProject): () => void {
  let dir = '';
  let result: ConsumerSetup;
  try {
    const examples = allExamples();
    const p = createConsumerProject(examples);
    dir = p.dir;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const cache = new Map();
    const { diagnostics, files, options } = checkProject(join(dir, 'tsconfig.json'), cache);
    const noDom = checkProject(join(dir, 'tsconfig.no-dom.json'), cache);
    const typecheckSeconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    console.log(`consumer-check: ${dir}: pack ${p.packSeconds.toFixed(1)} s, npm ci (${p.install}) ${p.installSeconds.toFixed(1)} s, type-check ${typecheckSeconds.toFixed(1)} s (${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU; wall times)`);
    result = { dir, tarballs: p.tarballs, install: p.install, packSeconds: p.packSeconds, installSeconds: p.installSeconds, typecheckSeconds, diagnostics, checkedFiles: files, noDomDiagnostics: noDom.diagnostics, noDomFiles: noDom.files, options: JSON.parse(JSON.stringify(options)) as Record<string, unknown>, examples };
  } catch (e) {
    result = { error: (e as Error).stack ?? String(e), dir, tarballs: [], install: 'offline', packSeconds: 0, installSeconds: 0, typecheckSeconds: 0, diagnostics: {}, checkedFiles: [], noDomDiagnostics: {}, noDomFiles: [], options: {}, examples: [] };
  }
  project.provide('consumer', result);
  return () => {
    if (dir && !process.env.UNIHETERO_KEEP_CONSUMER) rmSync(dir, { recursive: true, force: true });
  };
}
