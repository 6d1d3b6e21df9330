/**
 * @unihetero/app-common: what the apps (train, sample, eval, bench) share. One-line error reports
 * (stack traces only with --verbose), strict option parsing, commander glue (checked parsers, exit
 * codes, the end of a CLI process), run folders that survive kills (lock, stale temporary files,
 * atomic writes, JSONL repair), SIGINT/SIGTERM handling, machine facts, and the semantic encoder
 * on a worker thread for training. Private to the monorepo.
 */
export { UsageError, isVerbose, systemError, describeError, formatError } from './errors.js';
export { parseInteger, parseNumber } from './parse.js';
export { formatDuration } from './duration.js';
export { checked, runProgram, exitWhenDone, processReportIO, type ReportIO } from './cli.js';
export {
  LOCK_FILE,
  ATOMIC_TEMP_PATTERN,
  writeFileAtomic,
  isStaleTempName,
  exists,
  makeFolder,
  acquireRunLock,
  removeStaleTempFiles,
  repairJsonl,
  emptyFile,
  type RunLock,
  type JsonlRepair,
} from './runfolder.js';
export { SIGNAL_EXIT_CODES, stopExitCode, interruptHandler, onStopSignals, type StopSignal } from './signals.js';
export { machineInfo, machineLine, type MachineInfo } from './machine.js';
export { EncoderWorker, attachEncoderWorker, type FeatureEncoderHost } from './encoder-worker.js';
