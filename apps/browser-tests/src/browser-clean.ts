/**
 * The browser-clean check: bundle a package's built entry points for the browser with esbuild
 * (platform 'browser') and report every Node module a bundler would have to resolve. Any import of
 * a Node builtin (or of Dawn's `webgpu`) that a bundler can see is a violation: a static `import`,
 * a `require()`, and a dynamic `import('node:fs')` too (esbuild and webpack fail to resolve it,
 * Vite warns and stubs it). Node-only code loads its builtins with `process.getBuiltinModule`
 * (synchronous and invisible to bundlers) or lives in a `./node` subpath export, which is not
 * checked. References to Node's global `Buffer` in a bundle that never tests `typeof Buffer` are
 * violations too.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

/** Packages that only run in Node (native add-ons): importing them statically is a violation. */
const NODE_ONLY_PACKAGES = new Set(['webgpu']);

/** Result of bundling one entry point of a package. */
export interface BundleReport {
  /** Package name, e.g. `@unihetero/data`. */
  pkg: string;
  /** Export subpath, e.g. `.`. */
  subpath: string;
  /** Minified bundle size in bytes. */
  bytes: number;
  /** Gzipped size of the minified bundle in bytes. */
  gzipBytes: number;
  /** Node imports a bundler sees (`<module> (<kind> from <importer>)`): must be empty. */
  violations: string[];
  /** esbuild errors (unresolvable imports and the like): must be empty. */
  errors: string[];
}

/** The JavaScript entry points of a package's `exports` map (ESM `import` conditions), minus `./node` subpaths. */
export function browserEntries(pkgDir: string): { name: string; entries: { subpath: string; file: string }[] } {
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { name: string; exports?: Record<string, unknown>; module?: string };
  const entries: { subpath: string; file: string }[] = [];
  const pick = (v: unknown): string | null => {
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const key of ['browser', 'import', 'default']) {
        const r = pick(o[key]);
        if (r) return r;
      }
    }
    return null;
  };
  for (const [subpath, target] of Object.entries(pkg.exports ?? { '.': pkg.module ?? './dist/index.js' })) {
    if (subpath === './package.json' || subpath.includes('*') || subpath === './node' || subpath.endsWith('/node')) continue;
    const file = pick(target);
    if (file && /\.(m?js)$/.test(file)) entries.push({ subpath, file: join(pkgDir, file) });
  }
  return { name: pkg.name, entries };
}

const BUFFER_MARK = '__unihetero_node_global_Buffer__';

/** Bundle one entry for the browser and classify its Node imports. */
export async function checkEntry(pkg: string, subpath: string, file: string): Promise<BundleReport> {
  const violations = new Set<string>();
  const nodeImports: esbuild.Plugin = {
    name: 'node-imports',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        const bare = args.path.startsWith('node:') ? args.path.slice(5) : args.path;
        const root = bare.split('/')[0]!;
        if (!isBuiltin(args.path) && !NODE_ONLY_PACKAGES.has(root)) return undefined;
        const where = args.importer.replace(/^.*node_modules\//, '').replace(/^.*\/packages\//, 'packages/');
        violations.add(`${args.path} (${args.kind} from ${where})`);
        return { path: args.path, external: true };
      });
    },
  };
  const errors: string[] = [];
  let text = '';
  try {
    const r = await esbuild.build({
      entryPoints: [file],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      minify: true,
      write: false,
      logLevel: 'silent',
      plugins: [nodeImports],
      define: { Buffer: BUFFER_MARK },
    });
    text = r.outputFiles[0]!.text;
  } catch (e) {
    for (const err of (e as esbuild.BuildFailure).errors ?? [{ text: (e as Error).message }]) errors.push(`${err.text}${err.location ? ` (${err.location.file}:${err.location.line})` : ''}`);
  }
  // A bundle that uses Node's global Buffer must guard it (`typeof Buffer !== 'undefined'`) somewhere.
  const bufferRefs = text.split(BUFFER_MARK).length - 1;
  if (bufferRefs > 0 && !text.includes(`typeof ${BUFFER_MARK}`)) violations.add(`global Buffer (${bufferRefs} unguarded reference${bufferRefs === 1 ? '' : 's'})`);
  const bytes = Buffer.byteLength(text);
  return { pkg, subpath, bytes, gzipBytes: bytes > 0 ? gzipSync(text).length : 0, violations: [...violations].sort(), errors };
}

/** Check every package under `packagesDir` (their built `dist/` must exist). */
export async function checkPackages(packagesDir: string): Promise<BundleReport[]> {
  const out: BundleReport[] = [];
  for (const dir of readdirSync(packagesDir).sort()) {
    const pkgDir = join(packagesDir, dir);
    if (!existsSync(join(pkgDir, 'package.json'))) continue;
    const { name, entries } = browserEntries(pkgDir);
    for (const e of entries) {
      if (!existsSync(e.file)) {
        out.push({ pkg: name, subpath: e.subpath, bytes: 0, gzipBytes: 0, violations: [], errors: [`${e.file} does not exist (run npm run build)`] });
        continue;
      }
      out.push(await checkEntry(name, e.subpath, e.file));
    }
  }
  return out;
}

/** A fixed-width table of the reports (sizes in KiB), for the test log. */
export function formatReports(reports: readonly BundleReport[]): string {
  const kib = (n: number) => (n / 1024).toFixed(1).padStart(8);
  const rows = reports.map((r) => `${`${r.pkg}${r.subpath === '.' ? '' : r.subpath.slice(1)}`.padEnd(28)}${kib(r.bytes)}${kib(r.gzipBytes)}  ${r.violations.length + r.errors.length === 0 ? 'ok' : `NODE IMPORTS: ${[...r.violations, ...r.errors].join('; ')}`}`);
  return [`${'browser bundle (esbuild, minified)'.padEnd(28)}${'KiB'.padStart(8)}${'gzip'.padStart(8)}`, ...rows].join('\n');
}
