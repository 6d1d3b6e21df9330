import { packageConfig } from '../../tsup.shared';

export default packageConfig({
  entry: ['src/index.ts', 'src/testing.ts'],
  // The public types use GPUDevice & co.: consumers get them from @webgpu/types (a dependency).
  dts: { banner: '/// <reference types="@webgpu/types" />' },
});
