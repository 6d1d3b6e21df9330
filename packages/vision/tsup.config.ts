import { packageConfig } from '../../tsup.shared';

// `import.meta.url` (used to find weights/) also works in the CJS build.
export default packageConfig({ shims: true });
