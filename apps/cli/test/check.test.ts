import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafetensorsReader, encodeSafetensors, type SafetensorsDType } from '@cleardit/tensor';
import { FileSource } from '@cleardit/tensor/node';
import { cleardit, root } from './run.js';

// Copies of ../shared/golden (with its README) kept in the attention package's fixtures.
const golden = (f: string) => join(root, 'packages', 'attention', 'test', 'fixtures', f);

async function rewrite(src: string, dst: string, change: (key: string, data: Float32Array) => void): Promise<void> {
  const r = await SafetensorsReader.open(await FileSource.open(src));
  const tensors: Record<string, { dtype: SafetensorsDType; shape: number[]; data: Float32Array }> = {};
  for (const k of r.keys()) {
    const data = await r.readF32(k);
    change(k, data);
    tensors[k] = { dtype: 'F32', shape: [...r.info(k).shape], data };
  }
  writeFileSync(dst, encodeSafetensors(tensors, { ...r.metadata }));
  await r.close();
}

describe('cleardit check', () => {
  it('passes the CLEAR golden files, forward and every gradient, through the fused kernels', () => {
    const r = cleardit('check', golden('clear-attn-a.safetensors'), golden('clear-attn-a-down.safetensors'));
    expect(r.status, r.stderr + r.stdout).toBe(0);
    for (const out of ['out', 'dq', 'dk', 'dv', 'dspatial_weight', 'visible_pairs']) expect(r.stdout).toMatch(new RegExp(`\\n  ${out} .*PASS`));
    expect(r.stdout).not.toMatch(/FAIL/);
  });

  it('exits 1 with FAIL when an output is off', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleardit-check-'));
    const bad = join(dir, 'bad.safetensors');
    await rewrite(golden('clear-attn-a.safetensors'), bad, (k, d) => {
      if (k === 'outputs.dv') d[3] += 0.01;
    });
    const r = cleardit('check', bad);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/\n {2}dv .*FAIL/);
    expect(r.stdout).toMatch(/\n {2}out .*PASS/);
  });

  it('lists outputs it cannot produce as skipped, never as passed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleardit-check-'));
    const f = join(dir, 'extra.safetensors');
    const r0 = await SafetensorsReader.open(await FileSource.open(golden('clear-attn-a.safetensors')));
    const t: Record<string, { dtype: SafetensorsDType; shape: number[]; data: Float32Array }> = {};
    for (const k of r0.keys()) if (!k.startsWith('inputs.dout')) t[k] = { dtype: 'F32', shape: [...r0.info(k).shape], data: await r0.readF32(k) };
    t['outputs.attention_probs'] = { dtype: 'F32', shape: [1], data: new Float32Array(1) };
    writeFileSync(f, encodeSafetensors(t, { ...r0.metadata }));
    await r0.close();
    const r = cleardit('check', f);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/dq +skipped .*no inputs.dout/);
    expect(r.stdout).toMatch(/attention_probs +skipped/);
  });

  it('exits 2 on an unreadable or unrecognised file, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleardit-check-'));
    const junk = join(dir, 'junk.safetensors');
    writeFileSync(junk, 'not a safetensors file at all');
    let r = cleardit('check', junk);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('junk.safetensors');
    r = cleardit('check', join(dir, 'missing.safetensors'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/missing.safetensors.*no such file/);
    const other = join(dir, 'other.safetensors');
    writeFileSync(other, encodeSafetensors({ 'weights.x': { dtype: 'F32', shape: [2], data: new Float32Array(2) } }));
    r = cleardit('check', other);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not a reference-vector file cleardit recognises/);
  });
});

describe('cleardit flops', () => {
  it('prints full and CLEAR FLOPs as JSON with the documented fields', () => {
    const r = cleardit('flops', '--resolution', '1024', '2048', '--radius', '8', '16', '--json');
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout);
    expect(rows).toHaveLength(4);
    expect(Object.keys(rows[0]).sort()).toEqual(['clearFlops', 'fullFlops', 'radius', 'resolution', 'textLength']);
    const at1024 = rows.find((x: { resolution: number; radius: number }) => x.resolution === 1024 && x.radius === 8);
    expect(at1024.fullFlops).toBe(4 * (512 + 4096) ** 2 * 3072);
    expect(at1024.textLength).toBe(512);
  });

  it('prints a table by default, honours --text and --width', () => {
    const r = cleardit('flops', '--resolution', '4096', '--radius', '16', '--text', '256', '--width', '1536');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/T = 256, width 1536/);
    expect(r.stdout).toMatch(/4096 +65536 +16/);
  });

  it('rejects bad numbers with exit 2 and one line', () => {
    for (const args of [
      ['--resolution', '1000'],
      ['--radius', 'x'],
      ['--text', '-1'],
      ['--width', '0'],
    ]) {
      const r = cleardit('flops', ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('cleardit check: shapes, NaN, and every file reported', () => {
  const ditGolden = join(root, 'packages', 'models', 'test', 'fixtures', 'dit-tiny-a.safetensors');
  async function variant(
    src: string,
    dst: string,
    change: (key: string, t: { dtype: SafetensorsDType; shape: number[]; data: Float32Array }) => void,
  ): Promise<void> {
    const r = await SafetensorsReader.open(await FileSource.open(src));
    const tensors: Record<string, { dtype: SafetensorsDType; shape: number[]; data: Float32Array }> = {};
    for (const k of r.keys()) {
      tensors[k] = { dtype: 'F32', shape: [...r.info(k).shape], data: await r.readF32(k) };
      change(k, tensors[k]);
    }
    writeFileSync(dst, encodeSafetensors(tensors, { ...r.metadata }));
    await r.close();
  }

  it('a reference of the right size in another shape fails as "shapes differ", and NaN is named as NaN', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleardit-check-'));
    const reshaped = join(dir, 'reshaped.safetensors');
    await variant(ditGolden, reshaped, (k, t) => {
      if (k === 'outputs.out') t.shape = [2, 8, 64]; // [2, 8, 8, 8] in another shape
    });
    let r = cleardit('check', reshaped);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/\n {2}out +shapes differ: \[2,8,8,8\] vs \[2,8,64\] .*FAIL/);
    const nan = join(dir, 'nan-weights.safetensors');
    await variant(ditGolden, nan, (k, t) => {
      if (k === 'weights.proj_out_2.weight') t.data.fill(NaN);
    });
    r = cleardit('check', nan);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/\n {2}out +NaN in 1024 of 1024 values .*FAIL/);
  });

  it('runs every file it is given and exits with the worst status, naming the file that cannot run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleardit-check-'));
    const short = join(dir, 'short-q.safetensors');
    await variant(golden('clear-attn-a.safetensors'), short, (k, t) => {
      if (k === 'inputs.q') {
        t.shape = [t.shape[0], t.shape[1], t.shape[2] - 1, t.shape[3]];
        t.data = t.data.slice(
          0,
          t.shape.reduce((a, b) => a * b, 1),
        );
      }
    });
    const r = cleardit('check', short, golden('clear-attn-a.safetensors'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cleardit: .*short-q\.safetensors: \w+Error: /);
    expect(r.stdout).toMatch(/clear-attn-a\.safetensors: .*\n[\s\S]*PASS/);
  });
});

describe('cleardit check: batches', () => {
  it('a FLUX sampling file of two items (the golden item twice, its golden outputs twice) passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleardit-check-'));
    const samplerFixtures = join(root, 'packages', 'sampler', 'test', 'fixtures');
    const r = await SafetensorsReader.open(await FileSource.open(join(samplerFixtures, 'flux-tiny-a-sampling.safetensors')));
    const tensors: Record<string, { dtype: SafetensorsDType; shape: number[]; data: Float32Array }> = {};
    for (const k of r.keys()) {
      const shape = [...r.info(k).shape];
      const data = await r.readF32(k);
      // every batched tensor (leading axis 1) becomes two copies; the schedule stays as it is
      tensors[k] =
        shape[0] === 1 ? { dtype: 'F32', shape: [2, ...shape.slice(1)], data: Float32Array.from([...data, ...data]) } : { dtype: 'F32', shape, data };
    }
    writeFileSync(join(dir, 'batch2-sampling.safetensors'), encodeSafetensors(tensors, { ...r.metadata }));
    await r.close();
    writeFileSync(join(dir, 'flux-tiny-a.safetensors'), readFileSync(join(root, 'packages', 'models', 'test', 'fixtures', 'flux-tiny-a.safetensors')));
    const c = cleardit('check', join(dir, 'batch2-sampling.safetensors'));
    expect(c.status, c.stdout + c.stderr).toBe(0);
    expect(c.stdout).toMatch(/batch 2, 4 steps/);
    expect(c.stdout).toMatch(/\n {2}latent .*PASS/);
  });
});
