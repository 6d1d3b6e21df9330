import { packageConfig } from '../../vitest.shared';

export default packageConfig({ testTimeout: 240_000 });
