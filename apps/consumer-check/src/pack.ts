/** `npm pack` of every published workspace, in one npm call. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, publishedPackages, type Workspace } from './workspace.js';

/** One packed package. */
export interface Tarball {
  name: string;
  version: string;
  /** Workspace folder relative to the root. */
  dir: string;
  /** Tarball file name (in the destination folder). */
  filename: string;
  /** `sha512-...` of the tarball, as npm records it in lockfiles. */
  integrity: string;
  /** Bytes of the tarball and of its unpacked files. */
  size: number;
  unpackedSize: number;
  /** Paths inside the package. */
  files: string[];
}

interface NpmPackEntry {
  name: string;
  version: string;
  filename: string;
  integrity: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

/** Pack `packages` (default: every published workspace) into `dest`. */
export function packAll(dest: string, packages: Workspace[] = publishedPackages(), root = ROOT): Tarball[] {
  const args = ['pack', '--json', '--pack-destination', dest, ...packages.flatMap((p) => ['-w', p.dir])];
  const out = execFileSync('npm', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  const entries = JSON.parse(out.slice(out.indexOf('['))) as NpmPackEntry[];
  return entries.map((e) => {
    const ws = packages.find((p) => p.name === e.name);
    if (!ws) throw new Error(`packAll: npm packed ${e.name}, which is not one of the requested workspaces`);
    return { name: e.name, version: e.version, dir: ws.dir, filename: e.filename, integrity: e.integrity, size: e.size, unpackedSize: e.unpackedSize, files: e.files.map((f) => f.path).sort() };
  });
}

/** Where a tarball lies. */
export function tarballPath(dest: string, t: Tarball): string {
  return join(dest, t.filename);
}
