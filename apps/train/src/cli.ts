/**
 * `unihetero-train` entry: process streams, and Ctrl-C / SIGTERM wired to an abort signal (the run
 * finishes its step, saves, exits 130 for Ctrl-C or 143 for SIGTERM; a second signal exits at once
 * without saving).
 */
import { onStopSignals } from '@unihetero/app-common';
import { interruptHandler } from './io.js';
import { runCli } from './program.js';

const controller = new AbortController();
onStopSignals(interruptHandler(controller, process.stderr, (code) => process.exit(code)));

const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: controller.signal });
process.exitCode = code;
// A backend (Dawn) or timer that still holds the event loop must not keep a finished run alive.
setTimeout(() => process.exit(code), 3000).unref();
