import { packageConfig } from '../../vitest.shared';

export default packageConfig({ testTimeout: 300_000 });
