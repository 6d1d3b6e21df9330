import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // import.meta.url in the CJS build too: the duplicate-copy check (src/copies.ts) names files.
  shims: true,
  esbuildOptions(options, { format }) {
    options.define = { ...options.define, __UNIHETERO_TENSOR_VERSION__: JSON.stringify(version), __UNIHETERO_TENSOR_FORMAT__: JSON.stringify(format) };
  },
});
