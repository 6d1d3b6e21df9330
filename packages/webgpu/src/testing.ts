/**
 * `@unihetero/webgpu/testing`: the one WebGPU setup every package's test suite shares (no test
 * framework is imported, so it works under any runner). A suite asks for a backend once per file:
 *
 * ```ts
 * const gpu = await webgpuForTests('flow');
 * afterAll(() => gpu?.destroy());
 * describe.skipIf(!gpu)('flow head on WebGPU', () => { ... });
 * ```
 *
 * Without an adapter the suite skips on a developer machine (with a one-line note saying why),
 * but FAILS in CI, so a broken WebGPU stack cannot turn the run green.
 */
import type { WebGPUBackend } from './backend.js';
import { initWebGPU, type InitWebGPUOptions } from './device.js';

/** The environment variables `webgpuForTests` reads. */
export interface TestEnvironment {
  /** Set (to anything but '', '0' or 'false') by CI systems: a missing adapter is then an error. */
  CI?: string;
  /** '1' requires an adapter (as in CI); '0' skips every WebGPU suite on purpose, even in CI. */
  UNIHETERO_TEST_WEBGPU?: string;
}

/** Options of `webgpuForTests`. */
export interface WebGPUForTestsOptions extends InitWebGPUOptions {
  /** Environment to read (default `process.env`, or nothing in a browser). */
  env?: TestEnvironment;
  /** Where the skip note goes (default `console.warn`). */
  log?: (line: string) => void;
  /** How to get the backend (default `initWebGPU(options)`); tests of this helper replace it. */
  init?: () => Promise<WebGPUBackend>;
}

function processEnv(): TestEnvironment {
  const p = (globalThis as { process?: { env?: TestEnvironment } }).process;
  return p?.env ?? {};
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** What the environment asks of WebGPU suites: run them and fail without an adapter, run them if an adapter comes up, or skip them. */
export function webgpuTestMode(env: TestEnvironment = processEnv()): 'required' | 'optional' | 'skip' {
  const flag = env.UNIHETERO_TEST_WEBGPU;
  if (flag === '0') return 'skip';
  if (flag === '1') return 'required';
  if (flag !== undefined && flag !== '') throw new Error(`webgpuForTests: UNIHETERO_TEST_WEBGPU must be '0' (skip) or '1' (require an adapter), got '${flag}'`);
  return truthy(env.CI) ? 'required' : 'optional';
}

/**
 * One WebGPU backend for the test file `suite` (await it at the top level and `destroy()` it in
 * `afterAll`), or null when its suites should skip: no adapter outside CI (a note names the reason)
 * or `UNIHETERO_TEST_WEBGPU=0`. In CI (`CI` set) or with `UNIHETERO_TEST_WEBGPU=1`, a failure to
 * get an adapter throws, naming the suite and the cause, so the file fails instead of skipping.
 */
export async function webgpuForTests(suite: string, options: WebGPUForTestsOptions = {}): Promise<WebGPUBackend | null> {
  const { env, log, init, ...initOptions } = options;
  const say = log ?? ((line: string) => console.warn(line));
  const mode = webgpuTestMode(env ?? processEnv());
  if (mode === 'skip') {
    say(`${suite}: WebGPU tests skipped (UNIHETERO_TEST_WEBGPU=0)`);
    return null;
  }
  try {
    return await (init ? init() : initWebGPU(initOptions));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (mode === 'required') {
      throw new Error(`${suite}: WebGPU tests need an adapter here (CI is set or UNIHETERO_TEST_WEBGPU=1) but none came up: ${why}`, { cause: err });
    }
    say(`${suite}: WebGPU tests skipped, no adapter: ${why}`);
    return null;
  }
}
