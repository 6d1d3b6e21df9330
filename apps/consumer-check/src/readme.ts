/**
 * The fenced TypeScript examples of every README (the root's and each workspace's).
 *
 * A fence opens with ```ts or ```typescript. The last non-blank line before it may say how the
 * example is checked:
 *
 * ```
 * <!-- readme-check: no-run (why: e.g. it reads weights the user downloads) -->
 * ```
 *
 * Every example is type-checked; the others are also run. Examples of published packages and of
 * the root README are checked as a user sees them: compiled and run in the fresh consumer
 * project against the installed tarballs. Examples in a private workspace's README (an app) are
 * type-checked where they stand, against that workspace's sources, and not run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, workspaces } from './workspace.js';

/** One fenced example. */
export interface ReadmeExample {
  /** README path relative to the root, e.g. `packages/nn/README.md`. */
  readme: string;
  /** 1-based index among the README's TypeScript examples. */
  index: number;
  /** 1-based line of the opening fence. */
  line: number;
  /** The code. */
  code: string;
  /** Run it (false with a `no-run` note). */
  run: boolean;
  /** Why it is not run. */
  reason?: string;
  /** `consumer`: checked in the consumer project; `workspace`: in its private workspace folder. */
  where: 'consumer' | 'workspace';
  /** Workspace folder relative to the root ('' for the root README). */
  dir: string;
  /** A file-name-safe id, e.g. `packages-nn-2`. */
  slug: string;
}

const OPEN = /^ {0,3}```(ts|typescript)\s*$/;
const CLOSE = /^ {0,3}```\s*$/;
const NOTE = /^<!--\s*readme-check:\s*no-run\s*(?:\((.*)\))?\s*-->$/;

/** Examples of one README file. */
export function examplesOf(readme: string, text: string, where: ReadmeExample['where'], dir: string): ReadmeExample[] {
  const lines = text.split('\n');
  const out: ReadmeExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!OPEN.test(lines[i]!)) continue;
    let j = i + 1;
    while (j < lines.length && !CLOSE.test(lines[j]!)) j++;
    if (j >= lines.length) throw new Error(`${readme}:${i + 1}: the fence is never closed`);
    let k = i - 1;
    while (k >= 0 && lines[k]!.trim() === '') k--;
    const note = k >= 0 ? NOTE.exec(lines[k]!.trim()) : null;
    const index = out.length + 1;
    out.push({
      readme,
      index,
      line: i + 1,
      code: lines.slice(i + 1, j).join('\n') + '\n',
      run: note === null && where === 'consumer',
      reason: note ? (note[1] ?? 'marked no-run') : where === 'workspace' ? 'an example of a private workspace, checked against its sources' : undefined,
      where,
      dir,
      slug: `${(dir || 'root').replace(/[^a-z0-9]+/gi, '-')}-${index}`,
    });
    i = j;
  }
  return out;
}

/** Every example of the root README and of every workspace README. */
export function allExamples(root = ROOT): ReadmeExample[] {
  const out: ReadmeExample[] = [];
  const add = (dir: string, where: ReadmeExample['where']) => {
    const readme = dir ? `${dir}/README.md` : 'README.md';
    const file = join(root, readme);
    if (existsSync(file)) out.push(...examplesOf(readme, readFileSync(file, 'utf8'), where, dir));
  };
  add('', 'consumer');
  for (const w of workspaces(root)) add(w.dir, w.published ? 'consumer' : 'workspace');
  return out;
}
