import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync, openSync, ftruncateSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fluxKeys, FLUX_PRESETS } from '@cleardit/models';
import type { SafetensorsDType } from '@cleardit/tensor';
import { headerOnly } from '../../../packages/models/test/header-only.js';
import { cleardit, root } from './run.js';

describe('cleardit inspect', () => {
  it('identifies full-size FLUX.1-dev from its header alone and says it cannot load here', () => {
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
    expect(r.status, r.stderr).toBe(1); // not loadable on the software adapter
    const rep = JSON.parse(r.stdout);
    expect(rep.family).toBe('flux');
    expect(rep.naming).toBe('bfl');
    expect(rep.parameters).toBe(11_901_408_320);
    expect(rep.missing).toEqual([]);
    expect(rep.unexpected).toEqual([]);
    expect(rep.dtypes).toEqual({ BF16: 780 });
    expect(rep.bytesNeeded).toBe(4 * 11_901_408_320);
    expect(rep.loadable).toBe(false);
    expect(rep.problems.join(' ')).toMatch(/binding limit/);
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
});
