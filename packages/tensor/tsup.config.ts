import { readFileSync } from 'node:fs';
import { packageConfig } from '../../tsup.shared';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

export default packageConfig({
  // import.meta.url in the CJS build too: the duplicate-copy check (src/copies.ts) names files.
  shims: true,
  esbuildOptions(options, { format }) {
    options.define = { ...options.define, __UNIHETERO_TENSOR_VERSION__: JSON.stringify(version), __UNIHETERO_TENSOR_FORMAT__: JSON.stringify(format) };
  },
});
