import { mergeConfig } from 'vitest/config';
import { packageConfig } from '../../vitest.shared';

// One pack + one install + one type-check, in the global setup, shared by every test file.
export default mergeConfig(packageConfig({ testTimeout: 180_000 }), { test: { globalSetup: ['./test/setup.ts'] } });
