/** The monorepo as the checks see it: its root, its workspaces and which of them are published. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (two levels above this package). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** A workspace package. */
export interface Workspace {
  /** Package name, e.g. `@unihetero/tensor`. */
  name: string;
  /** Folder relative to the root, e.g. `packages/tensor`. */
  dir: string;
  /** Its package.json. */
  manifest: PackageManifest;
  /** Published (not `private`). */
  published: boolean;
}

/** The package.json fields the checks read. */
export interface PackageManifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  files?: string[];
  exports?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  optionalDependencies?: Record<string, string>;
  engines?: Record<string, string>;
  workspaces?: string[];
}

/** Read a JSON file. */
export function readJson<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Every workspace of the root package.json (`packages/*`, `apps/*`), sorted by folder. */
export function workspaces(root = ROOT): Workspace[] {
  const globs = readJson<PackageManifest>(join(root, 'package.json')).workspaces ?? [];
  const out: Workspace[] = [];
  for (const glob of globs) {
    if (!glob.endsWith('/*')) throw new Error(`workspaces: only "folder/*" globs are supported, got ${glob}`);
    const base = join(root, glob.slice(0, -2));
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) {
      const file = join(base, name, 'package.json');
      if (!existsSync(file)) continue;
      const manifest = readJson<PackageManifest>(file);
      out.push({ name: manifest.name, dir: relative(root, join(base, name)), manifest, published: manifest.private !== true });
    }
  }
  return out;
}

/** The published workspaces. */
export function publishedPackages(root = ROOT): Workspace[] {
  return workspaces(root).filter((w) => w.published);
}
