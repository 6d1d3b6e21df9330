// The release flow, offline: versioning from the pending changesets on a scratch copy (never the
// repository), and npm publish --dry-run of every published package.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { publishDryRun, scratchCopy, versionPackages } from '../src/release.js';
import { ROOT, publishedPackages, workspaces } from '../src/workspace.js';

const require = createRequire(import.meta.url);
const semver = require('semver') as { satisfies(v: string, r: string): boolean; major(v: string): number };

/** Packages named by the pending changesets, with their summaries' first lines. */
function pending(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const dir = join(ROOT, '.changeset');
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md')) {
    const text = readFileSync(join(dir, f), 'utf8');
    const m = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
    if (!m) throw new Error(`.changeset/${f}: no frontmatter`);
    const first = m[2]!.trim().split('\n')[0]!;
    for (const line of m[1]!.split('\n')) {
      const name = /^"([^"]+)":\s*(patch|minor|major)\s*$/.exec(line.trim())?.[1];
      if (name) out.set(name, [...(out.get(name) ?? []), first]);
    }
  }
  return out;
}

describe('release flow', () => {
  it('versions every package from the changesets on a scratch copy: CHANGELOG.md written, 0.x kept, ranges satisfied', () => {
    const before = new Map(workspaces().map((w) => [w.name, w.manifest.version]));
    const changes = pending();
    const dir = scratchCopy();
    try {
      versionPackages(dir);
      const after = workspaces(dir);
      const versions = new Map(after.map((w) => [w.name, w.manifest.version]));
      for (const w of after) {
        const old = before.get(w.name)!;
        if (semver.major(old) === 0) expect(semver.major(w.manifest.version), `${w.name} ${old} -> ${w.manifest.version}`).toBe(0);
        if (!changes.has(w.name)) continue;
        expect(w.manifest.version, w.name).not.toBe(old);
        const log = join(dir, w.dir, 'CHANGELOG.md');
        expect(existsSync(log), `${w.dir}/CHANGELOG.md`).toBe(true);
        const text = readFileSync(log, 'utf8');
        expect(text).toContain(`## ${w.manifest.version}`);
        for (const first of changes.get(w.name)!) expect(text).toContain(first.slice(0, 60));
        // Internal ranges (dependencies, peers, dev) accept the new versions.
        for (const deps of [w.manifest.dependencies, w.manifest.peerDependencies, w.manifest.devDependencies]) {
          for (const [n, r] of Object.entries(deps ?? {})) if (versions.has(n)) expect(semver.satisfies(versions.get(n)!, r), `${w.name} -> ${n}@${r}`).toBe(true);
        }
      }
      expect(readdirSync(join(dir, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md')).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('npm publish --dry-run succeeds for every package', async () => {
    const expected = publishedPackages().map((w) => `${w.name}@${w.manifest.version}`);
    expect((await publishDryRun()).sort()).toEqual(expected.sort());
  });
});
