/**
 * The release flow, offline and without touching the repository: `npm run version-packages`'s
 * versioning step (`scripts/version-packages.mjs`: changesets' version with the 0.x peer
 * correction) on a scratch copy of the manifests and pending changesets, and `npm publish
 * --dry-run` of every published package.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, publishedPackages, workspaces, type Workspace } from './workspace.js';

const run = promisify(execFile);

/** Copy what changesets reads (root package.json, .changeset/, every workspace's package.json and CHANGELOG.md) to a scratch folder. */
export function scratchCopy(root = ROOT): string {
  const dir = mkdtempSync(join(tmpdir(), 'unihetero-release-'));
  cpSync(join(root, 'package.json'), join(dir, 'package.json'));
  cpSync(join(root, '.changeset'), join(dir, '.changeset'), { recursive: true });
  for (const w of workspaces(root)) {
    for (const f of ['package.json', 'CHANGELOG.md']) {
      const src = join(root, w.dir, f);
      if (!existsSync(src)) continue;
      mkdirSync(dirname(join(dir, w.dir, f)), { recursive: true });
      cpSync(src, join(dir, w.dir, f));
    }
  }
  return dir;
}

/** Run the versioning step in `dir` (a scratch copy); returns its output. */
export function versionPackages(dir: string, root = ROOT): string {
  return execFileSync(process.execPath, [join(root, 'scripts', 'version-packages.mjs')], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * `npm publish --dry-run --offline` of `packages` (default: every published workspace) in one npm
 * call; returns the `name@version` npm would publish, in order. Throws with npm's output on failure.
 */
export async function publishDryRun(packages: Workspace[] = publishedPackages(), root = ROOT): Promise<string[]> {
  const args = ['publish', '--dry-run', '--offline', ...packages.flatMap((p) => ['-w', p.dir])];
  try {
    const { stdout, stderr } = await run('npm', args, { cwd: root, encoding: 'utf8', maxBuffer: 16 << 20 });
    return [...`${stdout}\n${stderr}`.matchAll(/^\+ (\S+)$/gm)].map((m) => m[1]!);
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`npm ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}
