// CLEAR distillation, on tiny models (CI never trains for long):
// - a tiny FLUX with random teacher weights (golden flux-tiny-a-strong): 50 distillation steps lower L_pred
//   on a fixed batch, and only the attention projections change (every other tensor bit-identical,
//   linear1's MLP rows included);
// - `cleardit distill` on a tiny digit teacher: the student file differs from the teacher only in the
//   attention projections; a run killed with SIGKILL and resumed ends with the bytes of an
//   uninterrupted one; refusals and a damaged checkpoint are clear errors that leave the previous one;
// - `cleardit distill` of the tiny FLUX from prompt embeddings writes a student.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Device, SafetensorsReader, encodeSafetensors, normalValues, noGrad, tapeOf } from '@cleardit/tensor';
import { createDevice, FileSource } from '@cleardit/tensor/node';
import { FluxTransformer, clearStudent, fluxClearPlan, loadModel } from '@cleardit/models';
import { openCheckpoint } from '@cleardit/models/node';
import { DISTILL_DEFAULTS, DistillTrainer } from '@cleardit/distill';
import { drawFluxSamples, fluxSampleSet, tappedFlux } from '../src/distill/flux.js';
import { cleardit, root } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'cleardit-distill-'));
const FLUX_TINY = join(root, 'packages', 'models', 'test', 'fixtures', 'flux-tiny-a-strong.safetensors');

async function tensorsOf(path: string): Promise<Map<string, Float32Array>> {
  const r = await SafetensorsReader.open(await FileSource.open(path));
  const out = new Map<string, Float32Array>();
  for (const k of r.keys()) out.set(k, await r.readF32(k));
  await r.close();
  return out;
}

const same = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('distillation of a tiny FLUX with random teacher weights', () => {
  let device: Device;
  beforeAll(async () => {
    device = await createDevice();
  });
  afterAll(() => device?.destroy());

  it('50 distillation steps lower L_pred, and only the attention projections change', async () => {
    const src = await openCheckpoint(FLUX_TINY);
    const teacher = (await loadModel(device, src).finally(() => src.close())).model as FluxTransformer;
    const c = teacher.config;
    const before = new Map<string, Float32Array>();
    for (const [k, t] of teacher.weights.tensors) before.set(k, await t.toFloat32());
    // 8 teacher samples on an 8×8 token grid (4 Euler steps) from 4 random prompts of 8 text tokens
    const [h, w, T, n] = [8, 8, 8, 8];
    const prompts = [1, 2, 3, 4].map((k) => ({ txt: normalValues(10 + k, T * c.contextInDim), y: normalValues(20 + k, c.vecInDim), T }));
    const data = await drawFluxSamples(device, teacher, prompts, n, h, w, 0, 4, () => {});
    const plan = fluxClearPlan(c);
    const student = clearStudent(device, teacher.weights, plan, 1);
    const sflux = new FluxTransformer(device, c, student.weights);
    sflux.setAttention({ kind: 'clear', radius: 2 });
    // A random teacher does not fit the flow-matching target itself, so L_fm pulls the student away
    // from it (measured: L_pred 0.11 → 0.18 in 50 steps with λ_fm = 1); the teacher-matching terms
    // alone (λ_fm = 0) test the distillation. AdamW, because Prodigy's step size starts at d₀ = 1e-6
    // and needs about 75 steps to grow past 1e-4 (measured here).
    const config = { ...DISTILL_DEFAULTS, steps: 50, batch: 4, attnLayers: plan.attnLayers, optimizer: 'adamw' as const, lr: 1e-3, lambdaFm: 0 };
    const trainer = new DistillTrainer(device, tappedFlux(teacher, h, w, T), tappedFlux(sflux, h, w, T), student.params, fluxSampleSet(data, c), config);
    // L_pred on a fixed batch (step 0's inputs), before and after
    const predOf = async () => {
      const l = trainer.losses(0);
      const v = (await l.pred.toArray())[0];
      tapeOf(device).clear();
      for (const t of Object.values(l)) t.dispose();
      return v;
    };
    const pred0 = await predOf();
    for (let i = 0; i < 50; i++) await trainer.trainStep();
    const pred1 = await predOf();
    expect(pred1, `L_pred ${pred0} → ${pred1}`).toBeLessThan(0.7 * pred0); // measured 0.110 → 0.055

    // the teacher's tensors are untouched; the student differs from them only where it trains
    const C = c.hiddenSize;
    for (const [k, t] of teacher.weights.tensors) expect(same(await t.toFloat32(), before.get(k)!), k).toBe(true);
    const trained = new Set(plan.trainable.map((p) => p.name));
    let changed = 0;
    for (const k of student.weights.names()) {
      const s = await noGrad(device, () => student.weights.get(k)).toFloat32();
      const t = before.get(k)!;
      if (!trained.has(k)) expect(same(s, t), `${k} is frozen`).toBe(true);
      else if (k.includes('linear1')) {
        const cols = k.endsWith('.weight') ? C : 1;
        expect(same(s.subarray(3 * C * cols), t.subarray(3 * C * cols)), `${k}: the MLP rows are frozen`).toBe(true);
        expect(same(s.subarray(0, 3 * C * cols), t.subarray(0, 3 * C * cols)), `${k}: the q/k/v rows train`).toBe(false);
        changed++;
      } else {
        expect(same(s, t), `${k} trains`).toBe(false);
        changed++;
      }
    }
    expect(changed).toBe(plan.trainable.length);
    expect([...trained].some((k) => k.startsWith('double_blocks.0.txt'))).toBe(false);
    trainer.dispose();
    student.dispose();
    teacher.dispose();
  }, 300_000);
});

describe('cleardit distill', () => {
  const teacher = join(dir, 'teacher', 'teacher.safetensors');
  const TINY = ['--teacher', teacher, '--radius', '2', '--samples', '12', '--steps', '8', '--batch', '4', '--checkpoint-every', '2', '--sample-every', '0'];
  let whole: Buffer;
  beforeAll(() => {
    const t = cleardit(
      'train',
      '-o',
      join(dir, 'teacher'),
      '--steps',
      '30',
      '--width',
      '16',
      '--depth',
      '2',
      '--heads',
      '2',
      '--batch',
      '4',
      '--sample-every',
      '0',
      '--warmup',
      '2',
    );
    expect(t.status, t.stderr).toBe(0);
    const r = cleardit('distill', '-o', join(dir, 'whole'), ...TINY);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/drawing 12 teacher samples/);
    expect(r.stderr).toMatch(/step 8\/8 {2}loss \d\.\d{4} {2}\(fm \d\.\d{4} {2}pred \d\.\d{5} {2}attn \d\.\d{5}\)/);
    whole = readFileSync(join(dir, 'whole', 'student.safetensors'));
  }, 300_000);

  it('writes a student that differs from the teacher only in the attention projections, and says which attention it has', async () => {
    const s = await tensorsOf(join(dir, 'whole', 'student.safetensors'));
    const t = await tensorsOf(teacher);
    expect([...s.keys()].sort()).toEqual([...t.keys()].sort());
    for (const [k, v] of s) expect(same(v, t.get(k)!), k).toBe(!/\.attn1\.(to_q|to_k|to_v|to_out\.0)\./.test(k));
    const r = await SafetensorsReader.open(await FileSource.open(join(dir, 'whole', 'student.safetensors')));
    expect(JSON.parse(r.metadata.attention)).toEqual({ kind: 'clear', radius: 2, downFactor: 1 });
    expect(r.metadata.prediction).toBe('flow');
    await r.close();
    expect(existsSync(join(dir, 'whole', 'samples-8.png'))).toBe(true);
  });

  it('with a down factor, the pooling maps train too', async () => {
    const r = cleardit('distill', '-o', join(dir, 'pooled'), ...TINY, '--down-factor', '2', '--steps', '2');
    expect(r.status, r.stderr).toBe(0);
    const s = await tensorsOf(join(dir, 'pooled', 'student.safetensors'));
    const maps = [...s.keys()].filter((k) => k.endsWith('spatial_weight'));
    expect(maps).toEqual(['transformer_blocks.0.attn1.spatial_weight', 'transformer_blocks.1.attn1.spatial_weight']);
    expect([...s.get(maps[0])!].some((v) => v !== 0.25)).toBe(true);
    // and the student loads with its maps, and runs with the attention its file names
    const g = cleardit('generate', '-m', join(dir, 'pooled', 'student.safetensors'), '--class', '1', '-o', join(dir, 'pooled.png'));
    expect(g.status, g.stderr).toBe(0);
    expect(g.stderr).toMatch(/attention: CLEAR r=2, down factor 2/);
  }, 120_000);

  it('killed with SIGKILL and resumed, it ends with the bytes of an uninterrupted run', async () => {
    const child = spawn(
      process.execPath,
      [join(root, 'tools', 'tsrun.mjs'), join(root, 'apps', 'cli', 'src', 'main.ts'), 'distill', '-o', join(dir, 'killed'), ...TINY],
      { cwd: root },
    );
    const done = new Promise((resolve) => child.on('close', resolve));
    const ckpt = join(dir, 'killed', 'checkpoint.safetensors');
    for (let i = 0; i < 1200 && !existsSync(ckpt); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(ckpt)).toBe(true);
    child.kill('SIGKILL');
    await done;
    await new Promise((r) => setTimeout(r, 500));
    const resumed = cleardit('distill', '-o', join(dir, 'killed'), ...TINY, '--resume');
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming .* at step \d\/8/);
    expect(readFileSync(join(dir, 'killed', 'student.safetensors')).equals(whole)).toBe(true);
  }, 300_000);

  it('refuses to start over a run, and names a damaged checkpoint and the previous one, which stays', () => {
    let r = cleardit('distill', '-o', join(dir, 'whole'), ...TINY);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/checkpoint\.safetensors exists: pass --resume/);
    const prev = readFileSync(join(dir, 'whole', 'checkpoint.prev.safetensors'));
    writeFileSync(join(dir, 'whole', 'checkpoint.safetensors'), 'damaged');
    r = cleardit('distill', '-o', join(dir, 'whole'), ...TINY, '--resume');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /CheckpointError: .*checkpoint\.safetensors: cannot be read as a checkpoint .*previous checkpoint is .*checkpoint\.prev\.safetensors/,
    );
    expect(readFileSync(join(dir, 'whole', 'checkpoint.prev.safetensors')).equals(prev)).toBe(true);
    r = cleardit('distill', '-o', join(dir, 'other'), '--teacher', join(dir, 'nope.safetensors'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--teacher .*nope\.safetensors: no such file/);
  });

  it('distills a FLUX teacher from prompt embeddings', async () => {
    const emb = join(dir, 'prompt.safetensors');
    writeFileSync(
      emb,
      encodeSafetensors({ txt: { dtype: 'F32', shape: [8, 48], data: normalValues(5, 8 * 48) }, y: { dtype: 'F32', shape: [32], data: normalValues(6, 32) } }),
    );
    const r = cleardit(
      'distill',
      '--teacher',
      FLUX_TINY,
      '-o',
      join(dir, 'flux'),
      '--data',
      join(dir, 'flux-data.safetensors'),
      '--embeddings',
      emb,
      '--samples',
      '2',
      '-W',
      '128',
      '-H',
      '128',
      '--sample-steps',
      '2',
      '--steps',
      '3',
      '--batch',
      '2',
      '--radius',
      '2',
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /distilling CLEAR r=2 from .*flux-tiny-a-strong\.safetensors: [\d,]+ of 484,304 parameters train; 2 teacher samples; L_attn on layers 3/,
    );
    const s = await tensorsOf(join(dir, 'flux', 'student.safetensors'));
    const t = await tensorsOf(FLUX_TINY);
    // the golden file keeps its weights under 'weights.'; the student file under the canonical names
    expect(same(s.get('double_blocks.0.txt_attn.qkv.weight')!, t.get('weights.double_blocks.0.txt_attn.qkv.weight')!)).toBe(true);
    expect(same(s.get('double_blocks.0.img_attn.qkv.weight')!, t.get('weights.double_blocks.0.img_attn.qkv.weight')!)).toBe(false);
  }, 300_000);
});
