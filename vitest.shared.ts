/**
 * Shared vitest configuration for every workspace package.
 *
 * EGL_PLATFORM must be in the real process environment before Dawn initialises EGL; setting
 * it here (at config load, in the main process) reaches both the forks and threads pools.
 * `||=` rather than `??=` so that an empty value is replaced too.
 */
import { fileURLToPath } from 'node:url';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

process.env.EGL_PLATFORM ||= 'surfaceless';

const root = fileURLToPath(new URL('.', import.meta.url));

/** Aliases so tests import sibling packages from source, no build needed. */
function workspaceAliases(): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const dir of ['packages']) {
    const base = join(root, dir);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base)) {
      const src = join(base, name, 'src', 'index.ts');
      if (existsSync(src)) aliases[`@unihetero/${name}`] = src;
    }
  }
  // The apps' shared code (a private workspace package).
  const common = join(root, 'apps', 'common', 'src', 'index.ts');
  if (existsSync(common)) aliases['@unihetero/app-common'] = common;
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
