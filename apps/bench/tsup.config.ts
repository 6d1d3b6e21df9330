import { appConfig } from '../../tsup.shared';

export default appConfig({
  // The peers stay real packages at runtime: tfjs-backend-wasm finds its .wasm files next to
  // itself, Dawn is a native addon, and bundling them would change what is measured.
  external: [/^@tensorflow\/[^/]+$/, '@jax-js/jax', 'webgpu', /^@unihetero\//],
  // ...except tfjs-core's gradient definitions, which only exist as extensionless ESM (see
  // src/peers/tfjs-gradients.ts).
  noExternal: ['@tensorflow/tfjs-core/dist/register_all_gradients'],
});
