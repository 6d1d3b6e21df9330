/**
 * Shared vitest configuration for every workspace package.
 *
 * EGL_PLATFORM must be in the real process environment before Dawn initialises EGL; setting
 * it here (at config load, in the main process) reaches both the forks and threads pools.
 * `||=` rather than `??=` so that an empty value is replaced too.
 */
import { fileURLToPath } from 'node:url';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

process.env.EGL_PLATFORM ||= 'surfaceless';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Where each workspace package's sources are: `@unihetero/x` -> `packages/x/src/index.ts` and each
 * subpath export `@unihetero/x/y` (package.json `exports`) -> `packages/x/src/y.ts`, subpaths first.
 * The test aliases below and the browser test pages' bundler (apps/browser-tests) both use it.
 */
export function workspaceSources(): { specifier: string; file: string }[] {
  const subpaths: { specifier: string; file: string }[] = [];
  const roots: { specifier: string; file: string }[] = [];
  const base = join(root, 'packages');
  if (!existsSync(base)) return [];
  for (const name of readdirSync(base)) {
    const src = join(base, name, 'src', 'index.ts');
    if (!existsSync(src)) continue;
    roots.push({ specifier: `@unihetero/${name}`, file: src });
    const pkg = JSON.parse(readFileSync(join(base, name, 'package.json'), 'utf8')) as { exports?: Record<string, unknown> };
    for (const key of Object.keys(pkg.exports ?? {})) {
      const sub = /^\.\/([A-Za-z0-9_-]+)$/.exec(key)?.[1];
      const file = sub ? join(base, name, 'src', `${sub}.ts`) : '';
      if (sub && existsSync(file)) subpaths.push({ specifier: `@unihetero/${name}/${sub}`, file });
    }
  }
  return [...subpaths, ...roots];
}

/** Aliases so tests import sibling packages (and the apps' shared code) from source, no build needed; exact matches. */
function workspaceAliases(): { find: RegExp; replacement: string }[] {
  const aliases = workspaceSources().map((s) => ({ find: new RegExp(`^${s.specifier.replace(/\//g, '\\/')}$`), replacement: s.file }));
  // The apps' shared code (a private workspace package).
  const common = join(root, 'apps', 'common', 'src', 'index.ts');
  if (existsSync(common)) aliases.push({ find: /^@unihetero\/app-common$/, replacement: common });
  return aliases;
}

/** The config every package's vitest.config.ts re-exports (optionally extended). */
export function packageConfig(overrides: { testTimeout?: number } = {}) {
  return defineConfig({
    resolve: { alias: workspaceAliases() },
    test: {
      include: ['test/**/*.test.ts'],
      testTimeout: overrides.testTimeout ?? 60_000,
      hookTimeout: 60_000,
      pool: 'forks',
      reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    },
  });
}
