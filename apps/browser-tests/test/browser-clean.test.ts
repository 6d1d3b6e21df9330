/**
 * Browser-clean packages: every package's built entry points bundle for the browser (esbuild,
 * platform 'browser') without a Node import a bundler can see; Node-only helpers load their
 * builtins with `process.getBuiltinModule` or live in a `./node` subpath. Prints the bundle sizes.
 */
import { describe, expect, it, afterAll } from 'vitest';
import { fileURLToPath } from 'node:url';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { browserEntries, checkEntry, formatReports, type BundleReport } from '../src/browser-clean.js';
import { REPO_ROOT } from '../src/bundle.js';

const packagesDir = join(REPO_ROOT, 'packages');
const packages = readdirSync(packagesDir).sort().filter((d) => existsSync(join(packagesDir, d, 'package.json')));
const reports: BundleReport[] = [];

describe('the check itself', () => {
  it('flags a static Node import and the global Buffer', async () => {
    const r = await checkEntry('fixture', '.', fileURLToPath(new URL('fixtures/static-node.js', import.meta.url)));
    expect(r.violations).toEqual(['global Buffer (1 unguarded reference)', expect.stringMatching(/^node:fs \(import-statement from .*test\/fixtures\/static-node\.js\)$/)]);
  });
  it('flags a dynamic import() of a Node builtin (bundlers resolve it too)', async () => {
    const r = await checkEntry('fixture', '.', fileURLToPath(new URL('fixtures/lazy-node.js', import.meta.url)));
    expect(r.violations).toEqual([expect.stringMatching(/^node:fs\/promises \(dynamic-import from .*lazy-node\.js\)$/)]);
  });
  it('allows process.getBuiltinModule and a typeof-guarded Buffer', async () => {
    const r = await checkEntry('fixture', '.', fileURLToPath(new URL('fixtures/builtin-node.js', import.meta.url)));
    expect(r.violations).toEqual([]);
    expect(r.errors).toEqual([]);
  });
});

describe('every package bundles for the browser without a Node import', () => {
  afterAll(() => {
    if (reports.length > 0) console.log(formatReports(reports));
  });
  for (const dir of packages) {
    const { name, entries } = browserEntries(join(packagesDir, dir));
    for (const e of entries) {
      it(`${name}${e.subpath === '.' ? '' : e.subpath.slice(1)}`, async () => {
        expect(existsSync(e.file), `${e.file} missing: run npm run build first`).toBe(true);
        const r = await checkEntry(name, e.subpath, e.file);
        reports.push(r);
        expect(r.errors).toEqual([]);
        expect(r.violations).toEqual([]);
        expect(r.bytes).toBeGreaterThan(0);
      });
    }
  }
});
