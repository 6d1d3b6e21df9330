/**
 * `unihetero-bench <suite>` (the root script `npm run bench -- <suite>` runs this).
 * Exits explicitly once the suite is done: the suites destroy our WebGPU device and dispose the
 * peers, and a short unref'd timer covers anything that still holds the event loop.
 */
import { exitWhenDone } from '@unihetero/app-common';
import { runCli } from './program.js';

exitWhenDone('unihetero-bench', await runCli(process.argv.slice(2)), 'suite');
