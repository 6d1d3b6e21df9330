#!/usr/bin/env node
// `changeset version` (bump versions, update internal ranges, write each package's CHANGELOG.md
// from the pending .changeset/*.md files and delete them) with one correction for 0.x packages.
//
// Changesets gives a package a MAJOR bump whenever one of its peer dependencies gets a minor or
// major bump (and, with `onlyUpdatePeerDependentsWhenOutOfRange`, when the bump leaves the peer
// range). Our packages name @unihetero/tensor and @unihetero/nn as peers, so every minor release
// of tensor would move them from 0.x to 1.0.0. Below 1.0.0 semver puts breaking changes in the
// minor number (`^0.2.0` excludes 0.3.0), so for a 0.x package that no changeset asks to bump
// major, this script turns that major into a minor: 0.2.3 -> 0.3.0, with its peer range moved
// to the new version as usual. Everything else is changesets' own code (read, assemble, apply).
//
// Usage: node scripts/version-packages.mjs [--dry-run]   (in the repository root, or any copy)
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const getReleasePlan = require('@changesets/get-release-plan').default;
const applyReleasePlan = require('@changesets/apply-release-plan').default;
const { read: readConfig } = require('@changesets/config');
const { getPackages } = require('@manypkg/get-packages');
const semver = require('semver');

const cwd = process.cwd();
const dryRun = process.argv.includes('--dry-run');

const packages = await getPackages(cwd);
const config = await readConfig(cwd, packages);
const plan = await getReleasePlan(cwd, undefined, config);
if (plan.preState?.mode === 'pre') {
  console.error('version-packages: the repository is in changesets pre mode; use `npx changeset version` there');
  process.exit(1);
}
if (plan.changesets.length === 0) {
  console.log('version-packages: no pending changesets');
  process.exit(0);
}

// The bump each package's own changesets ask for.
const asked = new Map();
const rank = { none: 0, patch: 1, minor: 2, major: 3 };
for (const cs of plan.changesets) {
  for (const r of cs.releases) if (rank[r.type] > rank[asked.get(r.name) ?? 'none']) asked.set(r.name, r.type);
}
for (const r of plan.releases) {
  if (r.type === 'major' && semver.major(r.oldVersion) === 0 && asked.get(r.name) !== 'major') {
    console.log(`version-packages: ${r.name}: major (from a peer dependency) -> minor, as 0.x`);
    r.type = 'minor';
    r.newVersion = semver.inc(r.oldVersion, 'minor');
  }
}
for (const r of plan.releases) if (r.type !== 'none') console.log(`version-packages: ${r.name} ${r.oldVersion} -> ${r.newVersion} (${r.type})`);
if (dryRun) process.exit(0);
await applyReleasePlan(plan, packages, config);
console.log('version-packages: versions, ranges and CHANGELOG.md files updated; review and commit them');
