#!/usr/bin/env node
// Run a TypeScript script of this package against the workspace sources, no build needed:
//   node scripts/run.mjs scripts/pretrain-encoder.ts [args...]
// esbuild (a dependency of tsup) bundles the script with `@unihetero/*` resolved to
// `packages/<name>/src/index.ts`; every other bare import stays external.
import { build } from 'esbuild';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const packages = resolve(pkg, '..');
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run.mjs <script.ts> [args...]');
  process.exit(2);
}

const workspace = {
  name: 'unihetero-workspace',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (a) => {
      const m = /^@unihetero\/([^/]+)$/.exec(a.path);
      if (m) {
        const src = join(packages, m[1], 'src', 'index.ts');
        if (existsSync(src)) return { path: src };
      }
      return { path: a.path, external: true };
    });
  },
};

const outDir = join(pkg, 'node_modules', '.cache', 'vision-scripts');
mkdirSync(outDir, { recursive: true });
const outfile = join(outDir, `${entry.replace(/[^A-Za-z0-9]+/g, '_')}.mjs`);
await build({
  entryPoints: [resolve(process.cwd(), entry)],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'inline',
  plugins: [workspace],
  logLevel: 'warning',
});
process.argv = [process.argv[0], resolve(process.cwd(), entry), ...args];
await import(pathToFileURL(outfile).href);
