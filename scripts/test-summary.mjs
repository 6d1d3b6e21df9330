// Sum vitest JSON reports of every workspace into one closing line for CI:
// "N passed, N failed, N skipped". Exits 1 on failures, on unreadable reports, or when no test ran.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Failed tests, plus one for each test file that failed without a failing test (an import error,
 * a crash in a hook). vitest's numFailedTestSuites also counts every describe block around a
 * failing test, so adding it would count one failure two or three times.
 */
function failures(r) {
  let n = 0;
  for (const file of r.testResults ?? []) {
    const failedTests = (file.assertionResults ?? []).filter((a) => a.status === 'failed').length;
    n += failedTests > 0 ? failedTests : file.status === 'failed' ? 1 : 0;
  }
  return Math.max(n, r.numFailedTests ?? 0, r.success === false && n === 0 ? 1 : 0);
}

let passed = 0;
let failed = 0;
let skipped = 0;
let bad = 0;
for (const group of ['packages', 'apps']) {
  if (!existsSync(group)) continue;
  for (const name of readdirSync(group).sort()) {
    const file = join(group, name, 'test-results.json');
    if (!existsSync(join(group, name, 'package.json'))) continue;
    if (!existsSync(file)) {
      console.log(`summary: ${group}/${name}: no test report (its tests did not run)`);
      bad++;
      continue;
    }
    try {
      const r = JSON.parse(readFileSync(file, 'utf8'));
      const p = r.numPassedTests ?? 0;
      const f = failures(r);
      const s = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
      console.log(`summary: ${group}/${name}: ${p} passed, ${f} failed, ${s} skipped`);
      passed += p;
      failed += f;
      skipped += s;
    } catch (err) {
      console.log(`summary: ${group}/${name}: unreadable report (${err.message})`);
      bad++;
    }
  }
}
console.log(`${passed} passed, ${failed + bad} failed, ${skipped} skipped`);
process.exit(failed + bad > 0 || passed === 0 ? 1 : 0);
