/**
 * `unihetero-sample <caption|answer|generate|roundtrip>`. Every command releases its backend when
 * done; a short unref'd timer covers anything that would still hold the event loop.
 */
import { exitWhenDone } from '@unihetero/app-common';
import { runCli } from './program.js';

exitWhenDone('unihetero-sample', await runCli(process.argv.slice(2)));
