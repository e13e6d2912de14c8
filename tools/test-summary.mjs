#!/usr/bin/env node
// Adds up the vitest JSON reports (test-results/*.json in every workspace package) and prints one
// closing line, "N passed, N failed, N skipped", so a reader (or CI) sees the whole suite's count.
// --clean removes old reports first, so a count never includes an earlier run.
import { readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dirs = [];
for (const group of ['packages', 'apps']) {
  const base = join(root, group);
  if (existsSync(base)) for (const d of readdirSync(base)) dirs.push(join(base, d, 'test-results'));
}
dirs.push(join(root, 'benchmarks', 'test-results'));

if (process.argv.includes('--clean')) {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  process.exit(0);
}
let passed = 0, failed = 0, skipped = 0;
const lines = [];
for (const d of dirs) {
  if (!existsSync(d)) continue;
  for (const f of readdirSync(d).filter((x) => x.endsWith('.json'))) {
    const r = JSON.parse(readFileSync(join(d, f), 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    lines.push(`  ${join(d, f).slice(root.length + 1).padEnd(50)} ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
  }
}
console.log(`\nTest reports:\n${lines.join('\n')}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
