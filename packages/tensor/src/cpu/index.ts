/** The CPU reference backend. */
export { CpuBackend } from './cpu-backend.js';
export { CpuStorage } from './storage.js';
