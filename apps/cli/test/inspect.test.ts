import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync, openSync, ftruncateSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fluxKeys, FLUX_PRESETS } from '@cleardit/models';
import type { SafetensorsDType } from '@cleardit/tensor';
import { headerOnly } from '../../../packages/models/test/header-only.js';
import { cleardit, root } from './run.js';

describe('cleardit inspect', () => {
  it('identifies full-size FLUX.1-dev from its header alone, with its BF16 Linear weights at 2 bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleardit-inspect-'));
    const tensors: Record<string, { dtype: SafetensorsDType; shape: number[] }> = {};
    for (const [k, s] of fluxKeys(FLUX_PRESETS['flux-dev'])) tensors[k] = { dtype: 'BF16', shape: s };
    const { bytes, dataBytes } = headerOnly(tensors);
    const path = join(dir, 'flux1-dev.safetensors');
    writeFileSync(path, bytes);
    const fd = openSync(path, 'r+');
    ftruncateSync(fd, bytes.length + dataBytes);
    closeSync(fd);
    const r = cleardit('inspect', path, '--json');
    const rep = JSON.parse(r.stdout);
    expect(rep.family).toBe('flux');
    expect(rep.naming).toBe('bfl');
    expect(rep.parameters).toBe(11_901_408_320);
    expect(rep.missing).toEqual([]);
    expect(rep.unexpected).toEqual([]);
    expect(rep.dtypes).toEqual({ BF16: 780 });
    expect(rep.kept16).toBe(314);
    expect(rep.bytesNeeded).toBe(23_808_987_392); // 2 bytes for the 314 Linear weights, 4 for the rest
    // Its largest tensor in BF16 (126 MiB) fits llvmpipe's 128 MiB bindings; whether it loads is the
    // memory budget's call (3/4 of this machine's RAM): refused under 23.8 GB, with both numbers.
    expect(rep.maxBinding).toBeGreaterThanOrEqual(2 * 21_504 * 3072);
    const fits = rep.bytesAvailable === null || rep.bytesNeeded <= rep.bytesAvailable;
    expect(rep.loadable).toBe(fits);
    expect(r.status, r.stderr).toBe(fits ? 0 : 1);
    if (!fits) expect(rep.problems).toEqual([expect.stringMatching(/^needs 22\.2 GiB \(23808987392 bytes\), .* has .* for weights$/)]);
  });

  it('reads the golden models and reports them loadable', () => {
    const r = cleardit('inspect', join(root, 'packages/models/test/fixtures/dit-tiny-a.safetensors'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/family +dit \(diffusers names\)/);
    expect(r.stdout).toMatch(/loadable +yes/);
  });

  it('exits 2 on a file that is not a checkpoint', () => {
    const r = cleardit('inspect', join(root, 'packages/attention/test/fixtures/clear-attn-a.safetensors'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not a checkpoint cleardit knows/);
  });

  it('--json prints one JSON object on failure too, with the error', () => {
    const r = cleardit('inspect', '--json', join(root, 'packages/attention/test/fixtures/clear-attn-a.safetensors'));
    expect(r.status).toBe(2);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ loadable: false, error: { name: 'CheckpointError' } });
    expect(j.error.message).toMatch(/not a checkpoint cleardit knows/);
  });
});
