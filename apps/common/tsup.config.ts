import { appConfig } from '../../tsup.shared';

// The encoder worker's script is its own entry: `EncoderWorker` starts dist/encoder-worker-main.js.
export default appConfig({ entry: ['src/index.ts', 'src/encoder-worker-main.ts'] }, { cli: false });
