/**
 * Bundling for the browser with esbuild: test pages from sources (workspace packages aliased to
 * their `src/`, so a page and the op cases share one copy of the tensor runtime).
 */
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { workspaceSources } from '../../../vitest.shared';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** `@unihetero/<name>` (and each subpath export) -> its source file, for every package (`workspaceSources`). */
export function sourceAliases(): Record<string, string> {
  return Object.fromEntries(workspaceSources().map((s) => [s.specifier, s.file]));
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
