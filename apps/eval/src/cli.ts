/**
 * `unihetero-eval <command>`. Exits explicitly once the command is done: the commands destroy
 * their backend, and a short unref'd timer covers anything that still holds the event loop.
 */
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
setTimeout(() => {
  process.stderr.write('unihetero-eval: something kept the process alive after the command finished; exiting\n');
  process.exit(code);
}, 3000).unref();
