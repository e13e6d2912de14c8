// tools/test-summary.mjs (the closing line of `pnpm test`) on a made-up workspace: a missing report,
// a file that failed to load and an unlisted skip each count as failures; a listed skip does not.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './run.js';

function workspace(reports: Record<string, unknown>, allowed: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'cleardit-summary-'));
  const pkg = join(dir, 'packages', 'p');
  mkdirSync(join(pkg, 'test-results'), { recursive: true });
  mkdirSync(join(dir, 'tools'));
  writeFileSync(
    join(pkg, 'package.json'),
    JSON.stringify({ scripts: { test: 'vitest run --outputFile.json=test-results/a.json && vitest run --outputFile.json=test-results/b.json' } }),
  );
  for (const [name, r] of Object.entries(reports)) writeFileSync(join(pkg, 'test-results', name), JSON.stringify(r));
  writeFileSync(join(dir, 'tools', 'allowed-skips.json'), JSON.stringify(allowed));
  return dir;
}

const file = (name: string, results: { status: string; fullName: string }[], status = 'passed', message = '') => ({
  name: `${name}`,
  status,
  message,
  assertionResults: results,
});

function summarise(dir: string) {
  const r = spawnSync(process.execPath, [join(root, 'tools', 'test-summary.mjs')], { encoding: 'utf8', env: { ...process.env, CLEARDIT_SUMMARY_ROOT: dir } });
  return { status: r.status, out: r.stdout };
}

describe('the test summary', () => {
  it('counts passed tests and exits 0 when every expected report is there and nothing is skipped', () => {
    const dir = workspace({});
    const pkg = join(dir, 'packages', 'p');
    const ok = { testResults: [file(join(pkg, 'test', 'x.test.ts'), [{ status: 'passed', fullName: 'x works' }])] };
    writeFileSync(join(pkg, 'test-results', 'a.json'), JSON.stringify(ok));
    writeFileSync(join(pkg, 'test-results', 'b.json'), JSON.stringify(ok));
    const r = summarise(dir);
    expect(r.out).toMatch(/2 passed, 0 failed, 0 skipped\n$/);
    expect(r.status).toBe(0);
  });

  it('a missing report, a file that failed to load and an unlisted skip are failures; a listed skip is not', () => {
    const dir = workspace({}, { 'test/x.test.ts > x on a GPU': 'needs a hardware adapter' });
    const pkg = join(dir, 'packages', 'p');
    const a = {
      testResults: [
        file(join(pkg, 'test', 'x.test.ts'), [
          { status: 'passed', fullName: 'x works' },
          { status: 'skipped', fullName: 'x on a GPU' },
          { status: 'pending', fullName: 'x later' },
        ]),
        file(join(pkg, 'test', 'broken.test.ts'), [], 'failed', "Error: Cannot find module './gone.js'\n    at …"),
      ],
    };
    writeFileSync(join(pkg, 'test-results', 'a.json'), JSON.stringify(a));
    const r = summarise(dir);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/MISSING {2}packages\/p\/test-results\/b\.json/);
    expect(r.out).toMatch(/NOT RUN {2}packages\/p\/test\/broken\.test\.ts: Error: Cannot find module '\.\/gone\.js'/);
    expect(r.out).toMatch(/SKIPPED {2}packages\/p\/test\/x\.test\.ts > x later: not in tools\/allowed-skips\.json/);
    expect(r.out).not.toMatch(/SKIPPED .*x on a GPU/);
    // failed: the missing report, the file that did not load, the unlisted skip
    expect(r.out).toMatch(/1 passed, 3 failed, 2 skipped\n$/);
  });
});
