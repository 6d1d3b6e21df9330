import { packageConfig } from '../../tsup.shared';

// `import.meta.url` (pngjs is loaded lazily with createRequire) also works in the CJS build.
export default packageConfig({ shims: true });
