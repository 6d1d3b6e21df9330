// scripts/test-summary.mjs, the closing line CI reads: one count per failed test (not per
// describe block around it), one per test file that failed without a failing test, a non-zero
// exit on any failure or when no test ran.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../src/workspace.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fake workspace root with one vitest JSON report per package; runs the script there. */
function summarise(reports: Record<string, object>): { code: number | null; lines: string[] } {
  const root = mkdtempSync(join(tmpdir(), 'unihetero-ci-summary-'));
  dirs.push(root);
  for (const [name, report] of Object.entries(reports)) {
    mkdirSync(join(root, 'packages', name), { recursive: true });
    writeFileSync(join(root, 'packages', name, 'package.json'), '{}');
    writeFileSync(join(root, 'packages', name, 'test-results.json'), JSON.stringify(report));
  }
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'test-summary.mjs')], { cwd: root, encoding: 'utf8' });
  return { code: r.status, lines: r.stdout.trim().split('\n') };
}

const file = (...statuses: string[]) => ({ status: statuses.includes('failed') ? 'failed' : 'passed', assertionResults: statuses.map((status) => ({ status })) });

describe('the CI summary line', () => {
  it('counts a failing test inside two describe blocks once', () => {
    const r = summarise({
      a: { numPassedTests: 3, numFailedTests: 1, numFailedTestSuites: 3, numPendingTests: 1, success: false, testResults: [file('passed', 'failed'), file('passed', 'passed', 'pending')] },
      b: { numPassedTests: 2, numFailedTests: 0, numFailedTestSuites: 0, success: true, testResults: [file('passed', 'passed')] },
    });
    expect(r.lines).toEqual(['summary: packages/a: 3 passed, 1 failed, 1 skipped', 'summary: packages/b: 2 passed, 0 failed, 0 skipped', '5 passed, 1 failed, 1 skipped']);
    expect(r.code).toBe(1);
  });

  it('counts a test file that failed to load, and exits 0 only when tests ran and none failed', () => {
    const broken = summarise({ a: { numPassedTests: 0, numFailedTests: 0, numFailedTestSuites: 1, success: false, testResults: [{ status: 'failed', assertionResults: [] }] } });
    expect(broken.lines.at(-1)).toBe('0 passed, 1 failed, 0 skipped');
    expect(broken.code).toBe(1);
    const green = summarise({ a: { numPassedTests: 2, numFailedTests: 0, success: true, testResults: [file('passed', 'passed')] } });
    expect([green.lines.at(-1), green.code]).toEqual(['2 passed, 0 failed, 0 skipped', 0]);
    const none = summarise({ a: { numPassedTests: 0, numFailedTests: 0, success: true, testResults: [] } });
    expect(none.code).toBe(1);
  });
});
