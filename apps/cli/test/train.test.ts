// `cleardit train` on a tiny teacher (150 steps of a width-16 DiT): a run killed with SIGKILL, or
// stopped with Ctrl-C, and resumed with --resume ends with the bytes of an uninterrupted run; refusals and damaged checkpoints are
// clear errors with exit status 2.
import { describe, it, expect, beforeAll } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { cleardit, root } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'cleardit-train-'));
const TINY = [
  '--steps',
  '150',
  '--width',
  '16',
  '--depth',
  '1',
  '--heads',
  '2',
  '--batch',
  '4',
  '--checkpoint-every',
  '3',
  '--sample-every',
  '0',
  '--warmup',
  '2',
];
const run = (out: string, ...extra: string[]) => cleardit('train', '-o', join(dir, out), ...TINY, ...extra);

/** Starts a run in the background and sends `signal` once its first checkpoint is on disk. */
async function interrupt(out: string, signal: NodeJS.Signals): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(
    process.execPath,
    [join(root, 'tools', 'tsrun.mjs'), join(root, 'apps', 'cli', 'src', 'main.ts'), 'train', '-o', join(dir, out), ...TINY],
    { cwd: root },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const ckpt = join(dir, out, 'checkpoint.safetensors');
  for (let i = 0; i < 600 && !existsSync(ckpt); i++) await new Promise((r) => setTimeout(r, 100));
  expect(existsSync(ckpt), stderr).toBe(true);
  child.kill(signal);
  const code = await done;
  await new Promise((r) => setTimeout(r, 500)); // the worker process notices its parent is gone
  return { code, stderr };
}

describe('cleardit train', () => {
  let whole: Buffer;
  beforeAll(() => {
    const r = run('whole');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/step 150\/150 {2}loss \d\.\d{4}/);
    whole = readFileSync(join(dir, 'whole', 'teacher.safetensors'));
  });

  it('writes the EMA weights, a checkpoint and its predecessor, and a sample grid of the ten digits', () => {
    for (const f of ['checkpoint.safetensors', 'checkpoint.prev.safetensors', 'samples-150.png']) expect(existsSync(join(dir, 'whole', f)), f).toBe(true);
    const png = decode(readFileSync(join(dir, 'whole', 'samples-150.png')));
    expect([png.width, png.height]).toEqual([320, 32]);
  });

  it('killed with SIGKILL and resumed, it ends with the bytes of an uninterrupted run', async () => {
    const r = await interrupt('killed', 'SIGKILL');
    expect(r.code).not.toBe(0);
    const resumed = cleardit('train', '-o', join(dir, 'killed'), '--resume', '--steps', '999');
    // the run's own settings come from its checkpoint (--steps here is ignored)
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming .* at step \d+\/150/);
    expect(readFileSync(join(dir, 'killed', 'teacher.safetensors')).equals(whole)).toBe(true);
  });

  it('stopped with Ctrl-C, it writes a checkpoint, says how to continue, and exits 130', async () => {
    const r = await interrupt('stopped', 'SIGINT');
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/interrupted at step \d+: checkpoint written; continue with --resume/);
    const resumed = cleardit('train', '-o', join(dir, 'stopped'), '--resume');
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(readFileSync(join(dir, 'stopped', 'teacher.safetensors')).equals(whole)).toBe(true);
  });

  it('refuses to start over an existing run, and names a damaged checkpoint and its predecessor', () => {
    let r = run('whole');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/checkpoint\.safetensors exists: pass --resume/);
    writeFileSync(join(dir, 'whole', 'checkpoint.safetensors'), 'not a checkpoint');
    r = cleardit('train', '-o', join(dir, 'whole'), '--resume');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /CheckpointError: .*checkpoint\.safetensors: cannot be read as a checkpoint .*previous checkpoint is .*checkpoint\.prev\.safetensors/,
    );
    r = cleardit('train', '-o', join(dir, 'nothing'), '--resume');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no checkpoint there/);
  });
});
