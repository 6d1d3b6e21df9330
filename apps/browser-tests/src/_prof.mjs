// src/bundle.ts
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import * as esbuild from "esbuild";
var REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
function sourceAliases() {
  const out = {};
  const base = join(REPO_ROOT, "packages");
  for (const name of readdirSync(base)) {
    const src = join(base, name, "src", "index.ts");
    if (existsSync(src)) out[`@unihetero/${name}`] = src;
  }
  return out;
}
async function bundlePage(entry) {
  const r = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    write: false,
    alias: sourceAliases(),
    logLevel: "silent",
    sourcemap: "inline"
  });
  return r.outputFiles[0].text;
}

// src/chromium.ts
import { execFileSync } from "node:child_process";
import { existsSync as existsSync2 } from "node:fs";
import { chromium } from "playwright-core";
var CHROMIUM_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--enable-unsafe-webgpu",
  "--use-webgpu-adapter=opengles",
  "--use-angle=gl-egl",
  "--enable-webgpu-developer-features"
];
var NO_CHROMIUM_MESSAGE = "browser tests: no 'chromium' on PATH; install Debian's: apt-get install -y --no-install-recommends chromium (never `playwright install`)";
function findChromium() {
  const env = process.env.CHROMIUM_PATH;
  if (env && existsSync2(env)) return env;
  try {
    const out = execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim();
    return out.length > 0 && existsSync2(out) ? out : null;
  } catch {
    return null;
  }
}
var mustRun = process.env.CI === "true" || process.env.CI === "1";
async function launchChromium(extraArgs = [], options = {}) {
  const executablePath = findChromium();
  if (!executablePath) throw new Error(NO_CHROMIUM_MESSAGE);
  process.env.EGL_PLATFORM ||= "surfaceless";
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, ...extraArgs], ...options });
}

// src/page-server.ts
async function openPage(page2, files, errors = []) {
  page2.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page2.on("console", (m) => {
    if (m.type() === "error") errors.push(`console.error: ${m.text()}`);
  });
  await page2.route("http://localhost/**", (route) => {
    const path = new URL(route.request().url()).pathname;
    const f = files[path === "/" ? "/index.html" : path];
    if (!f) return route.fulfill({ status: 404, body: `not found: ${path}` });
    return route.fulfill({ status: 200, contentType: f.contentType, body: typeof f.body === "string" ? f.body : Buffer.from(f.body) });
  });
  await page2.goto("http://localhost/index.html");
}

// _prof.mts
var js = await bundlePage(new URL("./parity-page.ts", import.meta.url).pathname);
var browser = await launchChromium();
var page = await browser.newPage();
await openPage(page, { "/index.html": { contentType: "text/html", body: '<!doctype html><script type="module" src="/page.js"></script>' }, "/page.js": { contentType: "text/javascript", body: js } });
await page.waitForFunction(() => globalThis.unihetero !== void 0);
for (const fl of (process.argv[2] ?? "core").split(",")) {
  const t0 = Date.now();
  const r = await page.evaluate((f) => globalThis.unihetero.runParity(f), fl);
  const tot = r.results.reduce((a, b) => a + b.ms, 0);
  console.log(fl, "wall", Date.now() - t0, "sum cases", tot.toFixed(0));
  console.log(r.results.map((x) => `${x.name}:${x.ms.toFixed(0)}`).join(" | "));
}
await browser.close();
