/**
 * tfjs-core's gradient definitions. Its Node build (`tf-core.node.js`) leaves them out (the
 * `@tensorflow/tfjs` umbrella registers them), so this module pulls in the ESM
 * `register_all_gradients` and the build bundles it (tsup `noExternal`). The registry lives on
 * tfjs's global namespace, so gradients registered here serve the Node build's engine.
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
