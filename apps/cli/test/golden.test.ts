// Every golden reference file (copies of ../shared/golden kept in the packages' test fixtures, with
// the golden README) passes `cleardit check`, run as a user would.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleardit, root } from './run.js';

const FILES: [string, string][] = [
  ['attention', 'clear-attn-a.safetensors'],
  ['attention', 'clear-attn-a-down.safetensors'],
  ['models', 'flux-tiny-a.safetensors'],
  ['models', 'flux-tiny-a-strong.safetensors'],
  ['models', 'flux-tiny-a-strong-diffusers.safetensors'],
  ['models', 'ae-tiny-a.safetensors'],
  ['models', 'dit-tiny-a.safetensors'],
  ['models', 'sdvae-tiny-a.safetensors'],
  ['sampler', 'flux-tiny-a-sampling.safetensors'],
  ['sampler', 'flux-schedule.safetensors'],
];

describe('cleardit check on every golden file', () => {
  it('passes them all (the sampling file finds its weights file beside it)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleardit-golden-'));
    for (const [pkg, f] of FILES) copyFileSync(join(root, 'packages', pkg, 'test', 'fixtures', f), join(dir, f));
    const r = cleardit('check', ...FILES.map(([, f]) => join(dir, f)));
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/FAIL/);
    for (const [, f] of FILES) expect(r.stdout).toContain(f);
    expect(r.stdout.match(/PASS/g)?.length).toBeGreaterThanOrEqual(30);
  });

  it('runs diffusers semantics for DiT when asked, skipping the other outputs', () => {
    const r = cleardit('check', '--dit-semantics', 'diffusers', join(root, 'packages/models/test/fixtures/dit-tiny-a.safetensors'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/out_diffusers .*PASS/);
    expect(r.stdout).toMatch(/\n {2}out +skipped/);
  });
});
