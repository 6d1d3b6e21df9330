// The consumer project: installed offline from the tarballs; strict nodenext types with no
// skipLibCheck; an ESM and a CJS program that train, save and reload; two copies detected.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lineCount } from '../src/typecheck.js';
import { consumer, lastJson, runNode } from './context.js';

describe('a fresh consumer project', () => {
  it('installs from the tarballs and the npm cache alone (npm ci --offline)', () => {
    const c = consumer();
    expect(c.install).toBe('offline');
    expect(c.tarballs.length).toBeGreaterThanOrEqual(11);
    for (const t of c.tarballs) expect(existsSync(join(c.dir, 'node_modules', t.name, 'package.json'))).toBe(true);
  });

  it('type-checks with strict, module/moduleResolution nodenext and no skipLibCheck', () => {
    const { options } = consumer();
    // ts.ModuleKind.NodeNext = 199, ts.ModuleResolutionKind.NodeNext = 99
    expect([options.strict, options.module, options.moduleResolution, options.skipLibCheck ?? false]).toEqual([true, 199, 99, false]);
  });

  it('has 0 type errors in every installed declaration file, ESM (.d.ts) and CJS (.d.cts) alike', () => {
    const c = consumer();
    for (const t of c.tarballs) {
      for (const entry of ['index.d.ts', 'index.d.cts']) expect(c.checkedFiles).toContain(join('node_modules', t.name, 'dist', entry));
    }
    // The subpath entries (op cases, WebGPU test setup) are checked too, through the consumer programs that import them.
    expect(c.checkedFiles.filter((f) => f.startsWith(join('node_modules', '@unihetero', 'tensor', 'dist', 'testing.d')))).not.toEqual([]);
    const libErrors = Object.entries(c.diagnostics).filter(([f]) => f.startsWith('node_modules') || f === '(global)');
    expect(libErrors.flatMap(([, e]) => e)).toEqual([]);
  });

  it('without the DOM lib (lib es2023), every package but webgpu has 0 type errors too', () => {
    const c = consumer();
    for (const t of c.tarballs.filter((t) => t.name !== '@unihetero/webgpu')) expect(c.noDomFiles).toContain(join('node_modules', t.name, 'dist', 'index.d.ts'));
    expect(c.noDomFiles.some((f) => f.endsWith('lib.dom.d.ts'))).toBe(false);
    expect(Object.values(c.noDomDiagnostics).flat()).toEqual([]);
  });

  it('type-checks the ESM and CJS programs', () => {
    const c = consumer();
    expect(c.diagnostics['program.mts'] ?? []).toEqual([]);
    expect(c.diagnostics['program.cts'] ?? []).toEqual([]);
    expect(c.diagnostics['op-cases.mts'] ?? []).toEqual([]);
    expect(c.diagnostics['op-cases.cts'] ?? []).toEqual([]);
    console.log(`consumer-check: program.mts ${lineCount(join(c.dir, 'program.mts'))} lines, program.cts ${lineCount(join(c.dir, 'program.cts'))} lines`);
  });

  it('ESM: builds a unified model from nine packages, trains, saves and reloads it exactly', async () => {
    const c = consumer();
    const r = await runNode(join(c.dir, 'dist', 'program.mjs'), c.dir);
    expect(r.code, r.stderr).toBe(0);
    const out = lastJson<{ tensor: string; step: number; losses: number[]; tensorsInFile: number; parameters: number }>(r.stdout);
    expect(out.tensor).toBe('esm');
    expect(out.step).toBe(3);
    expect(out.losses).toHaveLength(3);
    expect(out.tensorsInFile).toBeGreaterThan(20);
    // The one warning of createBackend('auto') without Dawn names the remedy.
    expect(r.stderr).toContain('npm install webgpu@^0.6.2');
  });

  it('CJS: every package loads through require(), trains and round-trips its weights', async () => {
    const c = consumer();
    const r = await runNode(join(c.dir, 'dist', 'program.cjs'), c.dir);
    expect(r.code, r.stderr).toBe(0);
    const out = lastJson<{ tensor: string; losses: number[] }>(r.stdout);
    expect(out.tensor).toBe('cjs');
    expect(out.losses).toHaveLength(2);
  });

  it('@unihetero/tensor/testing: every op case runs on a second CPU backend (ESM), beside one copy of the runtime', async () => {
    const c = consumer();
    const r = await runNode(join(c.dir, 'dist', 'op-cases.mjs'), c.dir);
    expect(r.code, r.stderr).toBe(0);
    const out = lastJson<{ cases: number; ran: number; maxDiff: number; oneRuntime: boolean }>(r.stdout);
    expect(out.cases).toBeGreaterThanOrEqual(70);
    expect(out.ran).toBe(out.cases);
    expect(out.maxDiff).toBe(0);
    expect(out.oneRuntime).toBe(true);
  });

  it('@unihetero/tensor/testing loads through require() with the CJS runtime, one copy', async () => {
    const c = consumer();
    const r = await runNode(join(c.dir, 'dist', 'op-cases.cjs'), c.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(lastJson<{ format: string; cases: number; first: string; out: number }>(r.stdout)).toEqual({ format: 'cjs', cases: expect.any(Number), first: 'neg', out: 6, oneRuntime: true });
  });

  it('a second copy of @unihetero/tensor (ESM imported, then CJS required) fails at load, naming both files', async () => {
    const c = consumer();
    const r = await runNode(join(c.dir, 'two-copies.mjs'), c.dir);
    expect(r.code, r.stderr).toBe(0);
    const out = lastJson<{ first: { format: string; location: string }; message: string | null }>(r.stdout);
    const base = `file://${join(c.dir, 'node_modules', '@unihetero', 'tensor', 'dist')}`;
    expect(out.first.format).toBe('esm');
    expect(out.message).toMatch(/^@unihetero\/tensor: a second copy is being loaded: /);
    expect(out.message).toContain(`(cjs) from ${base}/index.cjs, while`);
    expect(out.message).toContain(`(esm) from ${base}/index.js is loaded already`);
  });
});
