import { packageConfig } from '../../../vitest.shared';
const c = packageConfig({ testTimeout: 600000 });
(c as any).test.include = ['scratch/**/*.test.ts'];
(c as any).test.reporters = ['default'];
export default c;
