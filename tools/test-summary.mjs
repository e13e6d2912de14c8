#!/usr/bin/env node
// Adds up the vitest JSON reports of every workspace package and prints one closing line,
// "N passed, N failed, N skipped", that cannot hide a test that did not run:
// - the reports expected are the ones each package's `test` script names (--outputFile.json=…);
//   a missing one (turbo stopped early, a run died) counts as a failure;
// - a test file that failed to load (an import error, a throwing beforeAll with no test results)
//   counts as a failure, with its message;
// - a skipped test fails the run unless tools/allowed-skips.json lists it ("file > full name": reason).
// Exit status 1 when anything failed. --clean removes old reports first, so a count never includes
// an earlier run.
import { readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// CLEARDIT_SUMMARY_ROOT: another workspace to add up (the tool's own test)
const root = process.env.CLEARDIT_SUMMARY_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..');
const packages = [];
for (const group of ['packages', 'apps']) {
  const base = join(root, group);
  if (existsSync(base)) for (const d of readdirSync(base)) packages.push(join(base, d));
}
packages.push(join(root, 'benchmarks'));

/** The reports a package's test script writes. */
function expectedReports(dir) {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return [];
  const script = JSON.parse(readFileSync(file, 'utf8')).scripts?.test ?? '';
  return [...script.matchAll(/--outputFile\.json=(\S+\.json)/g)].map((m) => join(dir, m[1]));
}

if (process.argv.includes('--clean')) {
  for (const d of packages) rmSync(join(d, 'test-results'), { recursive: true, force: true });
  process.exit(0);
}

const allowedFile = join(root, 'tools', 'allowed-skips.json');
const allowed = existsSync(allowedFile) ? JSON.parse(readFileSync(allowedFile, 'utf8')) : {};
let passed = 0;
let failed = 0;
let skipped = 0;
const lines = [];
const problems = [];
for (const dir of packages)
  for (const report of expectedReports(dir)) {
    const name = relative(root, report);
    if (!existsSync(report)) {
      failed++;
      problems.push(`MISSING  ${name}: the test run that writes it did not finish`);
      lines.push(`  ${name.padEnd(50)} MISSING`);
      continue;
    }
    const r = JSON.parse(readFileSync(report, 'utf8'));
    let p = 0;
    let f = 0;
    let s = 0;
    for (const file of r.testResults ?? []) {
      const rel = relative(dir, file.name);
      if (file.status === 'failed' && (file.assertionResults ?? []).length === 0) {
        f++;
        problems.push(`NOT RUN  ${relative(root, file.name)}: ${(file.message || 'failed to load').split('\n')[0]}`);
      }
      for (const t of file.assertionResults ?? []) {
        if (t.status === 'passed') p++;
        else if (t.status === 'failed') f++;
        else {
          s++;
          const key = `${rel} > ${t.fullName}`;
          if (!allowed[key]) {
            f++;
            problems.push(`SKIPPED  ${relative(root, file.name)} > ${t.fullName}: not in tools/allowed-skips.json`);
          }
        }
      }
    }
    passed += p;
    failed += f;
    skipped += s;
    lines.push(`  ${name.padEnd(50)} ${p} passed, ${f} failed${s ? `, ${s} skipped` : ''}`);
  }
console.log(`\nTest reports:\n${lines.join('\n')}`);
if (problems.length) console.log(`\n${problems.join('\n')}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
