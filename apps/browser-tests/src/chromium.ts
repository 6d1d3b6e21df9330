/**
 * Launching Debian's `chromium` (never a downloaded browser) through `playwright-core`, with both
 * software WebGPU adapters enabled: a core `requestAdapter()` gets SwiftShader (Vulkan on the CPU),
 * a `{ featureLevel: 'compatibility' }` request gets Mesa llvmpipe through ANGLE's OpenGL ES.
 * Used by this workspace's tests and by the playground's end-to-end test.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

/** The launch arguments: headless, no sandbox (root in CI), both WebGPU adapters, adapter names visible. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=opengles',
  '--use-angle=gl-egl',
  '--enable-webgpu-developer-features',
];

/** The one-line remedy shown when Chromium is missing. */
export const NO_CHROMIUM_MESSAGE = "browser tests: no 'chromium' on PATH; install Debian's: apt-get install -y --no-install-recommends chromium (never `playwright install`)";

/** Path of Debian's chromium (`command -v chromium`, or CHROMIUM_PATH), or null when there is none. */
export function findChromium(): string | null {
  const env = process.env.CHROMIUM_PATH;
  if (env && existsSync(env)) return env;
  try {
    const out = execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
    return out.length > 0 && existsSync(out) ? out : null;
  } catch {
    return null;
  }
}

/** Whether a missing browser or adapter must fail the suite (CI) rather than skip it (a laptop without Chromium). */
export const mustRun = process.env.CI === 'true' || process.env.CI === '1';

/** Launch Debian's chromium with `CHROMIUM_ARGS` (plus `extraArgs`); throws `NO_CHROMIUM_MESSAGE` when it is missing. */
export async function launchChromium(extraArgs: readonly string[] = [], options: LaunchOptions = {}): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error(NO_CHROMIUM_MESSAGE);
  // Mesa's EGL needs a platform without a display (the test configuration sets it for Node too).
  process.env.EGL_PLATFORM ||= 'surfaceless';
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, ...extraArgs], ...options });
}

/** The two software adapters and how a page asks for each. */
export const ADAPTERS = [
  { name: 'swiftshader', featureLevel: 'core' },
  { name: 'llvmpipe', featureLevel: 'compatibility' },
] as const;

/** One of `ADAPTERS`. */
export type AdapterChoice = (typeof ADAPTERS)[number];
