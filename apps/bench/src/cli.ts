/**
 * `unihetero-bench <suite>` (the root script `npm run bench -- <suite>` runs this).
 * Exits explicitly once the suite is done: the suites destroy our WebGPU device and dispose the
 * peers, and a short unref'd timer covers anything that still holds the event loop.
 */
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
setTimeout(() => {
  process.stderr.write('unihetero-bench: something kept the process alive after the suite finished; exiting\n');
  process.exit(code);
}, 3000).unref();
