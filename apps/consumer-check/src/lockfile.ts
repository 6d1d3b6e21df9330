/**
 * A package-lock.json for the fresh consumer project, so that `npm ci --offline` installs it from
 * the tarballs and the npm cache alone: the packed tarballs, plus every third-party package they
 * (and the project's own extra dependencies) need, at the versions and integrities the monorepo's
 * lockfile resolved. `npm ci` fills the npm cache with exactly those tarballs, so CI needs no
 * registry metadata for this install.
 */
import { createRequire } from 'node:module';
import type { PackageManifest } from './workspace.js';
import type { Tarball } from './pack.js';

const require = createRequire(import.meta.url);
const semver = require('semver') as { satisfies(version: string, range: string): boolean };

/** An entry of a v3 lockfile's `packages` map (the fields this module reads or writes). */
export interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dev?: boolean;
  optional?: boolean;
  license?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  engines?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  bin?: Record<string, string>;
  hasInstallScript?: boolean;
  funding?: unknown;
}

/** A v3 lockfile. */
export interface Lockfile {
  name: string;
  version: string;
  lockfileVersion: 3;
  requires: true;
  packages: Record<string, LockEntry>;
}

const COPIED: (keyof LockEntry)[] = ['version', 'resolved', 'integrity', 'license', 'dependencies', 'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta', 'engines', 'os', 'cpu', 'bin', 'hasInstallScript'];

function pick(entry: LockEntry): LockEntry {
  const out: LockEntry = {};
  for (const k of COPIED) if (entry[k] !== undefined) (out as Record<string, unknown>)[k] = entry[k];
  return out;
}

/** Package folders Node searches from the lockfile path `from`: itself, then each parent package, then the root (''). */
function ancestors(from: string): string[] {
  const out: string[] = [];
  let dir = from;
  while (dir) {
    out.push(dir);
    const i = dir.lastIndexOf('/node_modules/');
    if (i >= 0) dir = dir.slice(0, i);
    else if (dir.startsWith('node_modules/')) dir = '';
    else dir = dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '';
  }
  out.push('');
  return out;
}

/** The lockfile path where Node finds `name` from the lockfile path `from`, or null. */
function resolveIn(lock: Lockfile, from: string, name: string): string | null {
  for (const dir of ancestors(from)) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
  }
  return null;
}

/** The third-party dependencies (name -> range) a manifest needs installed: dependencies and non-optional peers. */
function needs(m: { dependencies?: Record<string, string>; peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }> }, isOurs: (name: string) => boolean): [string, string][] {
  const out: [string, string][] = [];
  for (const [n, r] of Object.entries(m.dependencies ?? {})) if (!isOurs(n)) out.push([n, r]);
  for (const [n, r] of Object.entries(m.peerDependencies ?? {})) if (!isOurs(n) && !m.peerDependenciesMeta?.[n]?.optional) out.push([n, r]);
  return out;
}

/** Options of `consumerLockfile`. */
export interface ConsumerLockOptions {
  /** The project's name. */
  name: string;
  /** The monorepo's lockfile. */
  monorepo: Lockfile;
  /** Packed tarballs with their manifests, installed from `file:<tarballDir>/<file>`. */
  tarballs: { tarball: Tarball; manifest: PackageManifest }[];
  /** Folder of the tarballs relative to the project (e.g. `packs`). */
  tarballDir: string;
  /** Other direct dependencies, resolved like the monorepo's root dependencies (e.g. `@types/node`). */
  extra: string[];
}

/** Build the consumer project's package.json dependencies and its lockfile. */
export function consumerLockfile(o: ConsumerLockOptions): { dependencies: Record<string, string>; lock: Lockfile } {
  const ours = new Set(o.tarballs.map((t) => t.tarball.name));
  const isOurs = (n: string) => ours.has(n);
  const dependencies: Record<string, string> = {};
  const packages: Record<string, LockEntry> = {};
  const queue: { name: string; range: string; from: string; by: string }[] = [];

  for (const { tarball, manifest } of o.tarballs) {
    const spec = `file:${o.tarballDir}/${tarball.filename}`;
    dependencies[tarball.name] = spec;
    packages[`node_modules/${tarball.name}`] = pick({
      version: manifest.version,
      resolved: spec,
      integrity: tarball.integrity,
      license: manifest.license,
      dependencies: manifest.dependencies,
      optionalDependencies: manifest.optionalDependencies,
      peerDependencies: manifest.peerDependencies,
      peerDependenciesMeta: manifest.peerDependenciesMeta,
      engines: manifest.engines,
    });
    for (const [name, range] of needs(manifest, isOurs)) queue.push({ name, range, from: tarball.dir, by: tarball.name });
  }
  for (const name of o.extra) {
    const at = resolveIn(o.monorepo, '', name);
    const version = at ? o.monorepo.packages[at]?.version : undefined;
    if (!version) throw new Error(`consumerLockfile: ${name} is not in the monorepo's lockfile`);
    dependencies[name] = version;
    queue.push({ name, range: version, from: '', by: 'the project' });
  }

  const placed = new Map<string, string>(); // name -> version placed at node_modules/<name>
  while (queue.length > 0) {
    const { name, range, from, by } = queue.shift()!;
    const at = resolveIn(o.monorepo, from, name);
    const entry = at ? o.monorepo.packages[at] : undefined;
    if (!entry?.version) throw new Error(`consumerLockfile: ${by} needs ${name}@${range}, which the monorepo's lockfile does not resolve from ${from || 'the root'}`);
    if (!semver.satisfies(entry.version, range)) throw new Error(`consumerLockfile: ${by} needs ${name}@${range}, the monorepo resolved ${entry.version}`);
    const already = placed.get(name);
    if (already !== undefined) {
      if (already !== entry.version) throw new Error(`consumerLockfile: ${name} is needed at ${already} and ${entry.version}; nested installs are not supported`);
      continue;
    }
    placed.set(name, entry.version);
    packages[`node_modules/${name}`] = pick(entry);
    const m = entry as Parameters<typeof needs>[0];
    for (const [n, r] of needs(m, isOurs)) queue.push({ name: n, range: r, from: at!, by: `${name}@${entry.version}` });
    for (const [n, r] of Object.entries(entry.optionalDependencies ?? {})) {
      // Platform packages (esbuild-style) that npm would skip here are not needed: keep only those the monorepo installed for this platform.
      if (resolveIn(o.monorepo, at!, n)) queue.push({ name: n, range: r, from: at!, by: `${name}@${entry.version}` });
    }
  }

  const root: LockEntry & { name: string; version: string } = { name: o.name, version: '1.0.0', dependencies: sortKeys(dependencies) };
  const lock: Lockfile = { name: o.name, version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': root, ...sortKeys(packages) } };
  return { dependencies: sortKeys(dependencies), lock };
}

function sortKeys<T>(r: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
