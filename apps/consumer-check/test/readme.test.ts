// Every fenced TypeScript example of every README: type-checked as a user's ESM file in the
// consumer project (strict, nodenext, no skipLibCheck) and run there, unless its README marks it
// `<!-- readme-check: no-run (why) -->`; examples of private workspaces (apps) are type-checked
// against their workspace's sources.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allExamples } from '../src/readme.js';
import { checkVirtualFile } from '../src/typecheck.js';
import { ROOT } from '../src/workspace.js';
import { consumer, runNode } from './context.js';

const examples = allExamples();

describe('README examples', () => {
  it('are found in the root README and the package READMEs', () => {
    expect(examples.filter((e) => e.where === 'consumer').length).toBeGreaterThanOrEqual(15);
  });

  it('every README with TypeScript examples says they are ES modules', () => {
    for (const readme of new Set(examples.filter((e) => e.where === 'consumer').map((e) => e.readme))) {
      expect(readFileSync(join(ROOT, readme), 'utf8'), readme).toMatch(/ES\s+modules?\b/);
    }
  });

  for (const e of examples) {
    const name = `${e.readme} example ${e.index} (line ${e.line})`;
    if (e.where === 'consumer') {
      it(`${name} type-checks`, () => {
        expect(consumer().diagnostics[join('readme', `${e.slug}.mts`)] ?? []).toEqual([]);
      });
    } else {
      it(`${name} type-checks against its workspace`, () => {
        const errors = checkVirtualFile(join(ROOT, e.dir, 'tsconfig.json'), join(ROOT, e.dir, `README.example-${e.index}.ts`), e.code);
        expect(errors).toEqual([]);
      });
    }
    (e.run ? it : it.skip)(`${name} runs${e.run ? '' : ` (not run: ${e.reason})`}`, async () => {
      const c = consumer();
      const cwd = join(c.dir, 'run', e.slug);
      mkdirSync(cwd, { recursive: true });
      const r = await runNode(join(c.dir, 'dist', 'readme', `${e.slug}.mjs`), cwd);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    });
  }
});
