/**
 * `unihetero-eval <command>`. Exits explicitly once the command is done: the commands destroy
 * their backend, and a short unref'd timer covers anything that still holds the event loop.
 */
import { exitWhenDone } from '@unihetero/app-common';
import { runCli } from './program.js';

exitWhenDone('unihetero-eval', await runCli(process.argv.slice(2)));
