/** The process-wide default backend used by factories when no `backend` option is given. */
import type { Backend } from './backend.js';
import { CpuBackend } from './cpu/index.js';

let current: Backend | null = null;

/** The default backend (a `CpuBackend` until `setDefaultBackend` is called). */
export function getDefaultBackend(): Backend {
  if (!current) current = new CpuBackend();
  return current;
}

/** Make `backend` the default for factories; returns the previous default. */
export function setDefaultBackend(backend: Backend): Backend | null {
  const prev = current;
  current = backend;
  return prev;
}
