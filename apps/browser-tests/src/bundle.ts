/**
 * Bundling for the browser with esbuild: test pages from sources (workspace packages aliased to
 * their `src/`, so a page and the op cases share one copy of the tensor runtime).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * `@unihetero/<name>` -> `packages/<name>/src/index.ts` for every package, and each subpath export
 * `@unihetero/<name>/<sub>` (package.json `exports`) -> `packages/<name>/src/<sub>.ts`.
 */
export function sourceAliases(): Record<string, string> {
  const out: Record<string, string> = {};
  const base = join(REPO_ROOT, 'packages');
  for (const name of readdirSync(base)) {
    const src = join(base, name, 'src', 'index.ts');
    if (!existsSync(src)) continue;
    out[`@unihetero/${name}`] = src;
    const pkg = JSON.parse(readFileSync(join(base, name, 'package.json'), 'utf8')) as { exports?: Record<string, unknown> };
    for (const key of Object.keys(pkg.exports ?? {})) {
      const sub = /^\.\/([A-Za-z0-9_-]+)$/.exec(key)?.[1];
      const file = sub ? join(base, name, 'src', `${sub}.ts`) : '';
      if (sub && existsSync(file)) out[`@unihetero/${name}/${sub}`] = file;
    }
  }
  return out;
}

/** Bundle `entry` (an ES module) for the browser from sources; returns the JavaScript text. */
export async function bundlePage(entry: string): Promise<string> {
  const r = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    alias: sourceAliases(),
    logLevel: 'silent',
    sourcemap: 'inline',
  });
  return r.outputFiles[0]!.text;
}
