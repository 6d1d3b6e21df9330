/**
 * The fresh consumer project: a temporary folder outside the repository (so nothing resolves
 * into the monorepo's node_modules) with the packed tarballs, a package.json and lockfile that
 * depend on every published package, the consumer programs of `consumer/`, and the README
 * examples; installed with `npm ci --offline` from the tarballs and the npm cache.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { consumerLockfile, type Lockfile } from './lockfile.js';
import { packAll, type Tarball } from './pack.js';
import type { ReadmeExample } from './readme.js';
import { ROOT, publishedPackages, readJson } from './workspace.js';

/** The template folder: tsconfig.json and the consumer programs. */
export const TEMPLATE = join(dirname(fileURLToPath(import.meta.url)), '..', 'consumer');

/** A created and installed project. */
export interface ConsumerProject {
  dir: string;
  tarballs: Tarball[];
  /** How npm installed it: `offline` (tarballs and cache only) or `prefer-offline` (the cache lacked something). */
  install: 'offline' | 'prefer-offline';
  /** Seconds spent packing and installing. */
  packSeconds: number;
  installSeconds: number;
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

/** Create, fill and install the project; `examples` with `where: 'consumer'` go to `readme/<slug>.mts`. */
export function createConsumerProject(examples: ReadmeExample[], root = ROOT): ConsumerProject {
  const dir = mkdtempSync(join(tmpdir(), 'unihetero-consumer-'));
  const packs = join(dir, 'packs');
  mkdirSync(packs);
  let t0 = performance.now();
  const published = publishedPackages(root);
  const tarballs = packAll(packs, published, root);
  const packSeconds = (performance.now() - t0) / 1000;

  const { dependencies, lock } = consumerLockfile({
    name: 'unihetero-consumer',
    monorepo: readJson<Lockfile>(join(root, 'package-lock.json')),
    tarballs: tarballs.map((tarball) => ({ tarball, manifest: published.find((p) => p.name === tarball.name)!.manifest })),
    tarballDir: 'packs',
    extra: ['@types/node'],
  });
  // What `npm init -y` writes today ("type": "commonjs"): the programs choose ESM or CJS by extension.
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'unihetero-consumer', version: '1.0.0', private: true, type: 'commonjs', dependencies }, null, 2) + '\n');
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2) + '\n');
  for (const f of readdirSync(TEMPLATE)) copyFileSync(join(TEMPLATE, f), join(dir, f));
  // Every package but webgpu, for the check without the DOM lib (tsconfig.no-dom.json).
  mkdirSync(join(dir, 'no-dom'));
  const imports = tarballs.filter((t) => t.name !== '@unihetero/webgpu').map((t, i) => `import * as p${i} from '${t.name}';`);
  const names = imports.map((_, i) => `p${i}`).join(', ');
  writeFileSync(join(dir, 'no-dom', 'index.mts'), `${imports.join('\n')}\nconsole.log([${names}].map((p) => Object.keys(p).length));\n`);
  mkdirSync(join(dir, 'readme'));
  for (const e of examples) {
    if (e.where !== 'consumer') continue;
    writeFileSync(join(dir, 'readme', `${e.slug}.mts`), `// ${e.readme}, example ${e.index} (line ${e.line})\n${e.code}`);
  }

  t0 = performance.now();
  let install: ConsumerProject['install'] = 'offline';
  const flags = ['--no-audit', '--no-fund', '--loglevel=error'];
  try {
    npm(['ci', '--offline', ...flags], dir);
  } catch (e) {
    const out = `${(e as { stdout?: string }).stdout ?? ''}${(e as { stderr?: string }).stderr ?? ''}`;
    if (!out.includes('ENOTCACHED')) throw new Error(`npm ci in ${dir} failed:\n${out}`);
    install = 'prefer-offline'; // an npm cache without some tarball (e.g. a cleaned cache): fetch only what is missing
    npm(['ci', '--prefer-offline', ...flags], dir);
  }
  return { dir, tarballs, install, packSeconds, installSeconds: (performance.now() - t0) / 1000 };
}
