/**
 * Bundling for the browser with esbuild: test pages from sources (workspace packages aliased to
 * their `src/`, so a page and the op cases share one copy of the tensor runtime).
 */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** `@unihetero/<name>` -> `packages/<name>/src/index.ts` for every package. */
export function sourceAliases(): Record<string, string> {
  const out: Record<string, string> = {};
  const base = join(REPO_ROOT, 'packages');
  for (const name of readdirSync(base)) {
    const src = join(base, name, 'src', 'index.ts');
    if (existsSync(src)) out[`@unihetero/${name}`] = src;
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
