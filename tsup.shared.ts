/**
 * Shared tsup configuration: every package's and app's `tsup.config.ts` calls one of these and
 * adds only what is its own (extra entries, shims, defines, externals).
 */
import { defineConfig, type Options } from 'tsup';

const common: Options = { sourcemap: true, clean: true, target: 'node20' };

/** A published package: ESM + CJS + `.d.ts` of `src/index.ts`; `extra` adds or replaces options. */
export function packageConfig(extra: Options = {}) {
  return defineConfig({ entry: ['src/index.ts'], format: ['esm', 'cjs'], dts: true, ...common, ...extra });
}

/** An app: one ESM bundle of `src/cli.ts` with a node shebang (`cli: false` for a library without one); `extra` adds or replaces options. */
export function appConfig(extra: Options = {}, { cli = true }: { cli?: boolean } = {}) {
  const entry = cli ? { entry: ['src/cli.ts'], banner: { js: '#!/usr/bin/env node' } } : { entry: ['src/index.ts'], dts: true };
  return defineConfig({ format: ['esm'], ...common, ...entry, ...extra });
}
