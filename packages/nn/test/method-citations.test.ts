/**
 * Every citation of the method reference in the repository (`docs/method.md 6.3`,
 * `docs/method.md sections 4 and 6`, `docs/method.md 6.2-6.3`, links `method.md#s6.3`) names a
 * section that exists, and nothing cites the old out-of-repository `METHOD.md`. (The check lives
 * here because it needs no package; it reads the repository as text.)
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const method = readFileSync(join(root, 'docs', 'method.md'), 'utf8');
const anchors = new Set([...method.matchAll(/<a id="s([0-9.]+)"><\/a>/g)].map((m) => m[1]!));

/** Source and documentation files under the given folders (no dependencies, no build output). */
function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else if (/\.(ts|mjs|js|md|py)$/.test(name)) out.push(p);
  }
  return out;
}

/** Section numbers of one citation's tail: `6.3`, `6.2-6.3` (both ends), `4 and 6`, `3, 7 and 14`. */
function sections(tail: string): string[] {
  return tail
    .split(/,|\band\b|-/)
    .map((s) => s.trim().replace(/\.$/, ''))
    .filter((s) => /^[0-9]+(\.[0-9]+)?$/.test(s));
}

it('every docs/method.md citation resolves to a section, and METHOD.md is cited nowhere', () => {
  const targets = [...files(join(root, 'packages')), ...files(join(root, 'apps')), ...files(join(root, 'docs')), join(root, 'README.md'), join(root, 'CONTRIBUTING.md')];
  const broken: string[] = [];
  const stale: string[] = [];
  let count = 0;
  for (const file of targets) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // e.g. no CONTRIBUTING.md yet
    }
    const rel = relative(root, file);
    if (file !== fileURLToPath(import.meta.url) && /\bMETHOD\.md\b|reference\/METHOD/.test(text)) stale.push(rel);
    const cites = [
      ...text.matchAll(/docs\/method\.md`?(?:'s)?\s+(?:sections?\s+|§)?((?:[0-9]+(?:\.[0-9]+)?)(?:\s*(?:-|,|and)\s*[0-9]+(?:\.[0-9]+)?)*)/g),
      ...text.matchAll(/method\.md#s([0-9.]+)/g),
      ...(rel === join('docs', 'method.md') ? text.matchAll(/\]\(#s([0-9.]+)\)/g) : []),
    ];
    for (const m of cites) {
      for (const s of sections(m[1]!)) {
        count++;
        if (!anchors.has(s)) broken.push(`${rel}: ${m[0]} (no section ${s})`);
      }
    }
  }
  expect(stale).toEqual([]);
  expect(broken).toEqual([]);
  expect(count).toBeGreaterThan(150);
});
