/**
 * `unihetero-sample <caption|answer|generate|roundtrip>`. Every command releases its backend when
 * done; a short unref'd timer covers anything that would still hold the event loop.
 */
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
setTimeout(() => {
  process.stderr.write('unihetero-sample: something kept the process alive after the command finished; exiting\n');
  process.exit(code);
}, 3000).unref();
