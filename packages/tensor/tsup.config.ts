import { readFileSync } from 'node:fs';
import type { Plugin } from 'esbuild';
import { packageConfig } from '../../tsup.shared';

const { version, name } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; name: string };

/**
 * `src/testing.ts` imports the runtime as `./index.js`; in the built `testing` entry that import
 * becomes `@unihetero/tensor` itself (the package's self-reference), so the entry never carries a
 * second copy of the runtime (a second Tensor class and default backend).
 */
const testingUsesPublishedRuntime: Plugin = {
  name: 'testing-uses-published-runtime',
  setup(build) {
    build.onResolve({ filter: /^\.\/index\.js$/ }, (args) => (/[\\/]src[\\/]testing\.ts$/.test(args.importer) ? { path: name, external: true } : undefined));
  },
};

export default packageConfig({
  entry: ['src/index.ts', 'src/testing.ts'],
  // import.meta.url in the CJS build too: the duplicate-copy check (src/copies.ts) names files.
  shims: true,
  esbuildPlugins: [testingUsesPublishedRuntime],
  esbuildOptions(options, { format }) {
    options.define = { ...options.define, __UNIHETERO_TENSOR_VERSION__: JSON.stringify(version), __UNIHETERO_TENSOR_FORMAT__: JSON.stringify(format) };
  },
});
