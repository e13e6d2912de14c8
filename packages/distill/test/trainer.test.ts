// The flow-matching trainer on a tiny model (the trainer takes any model function): it learns, its
// batches are seeded permutations, and a run saved and resumed equals an uninterrupted one bit for bit,
// EMA included; a damaged checkpoint is a clear error that points at the previous one.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Device, type Tensor, tensor, normalValues, linear, silu, gather, add, mul, noGrad } from '@cleardit/tensor';
import { createDevice } from '@cleardit/tensor/node';
import { FlowTrainer, BatchOrder, epochOrder, flowMatchingLoss, gatherBatch, type ImageSet, type TrainConfig, type FlowModel } from '../src/index.js';
import { saveTrainingCheckpoint, loadTrainingCheckpoint, previousPath, TrainingCheckpointError } from '../src/node/index.js';

let d: Device;
beforeAll(async () => {
  d = await createDevice();
});

// 4×4 one-channel "images": each class a fixed pattern plus a little noise
function toySet(n: number): ImageSet {
  const images = new Float32Array(n * 16);
  const labels = new Int32Array(n);
  const noise = normalValues(99, n * 16);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (let j = 0; j < 16; j++) images[i * 16 + j] = Math.sin((labels[i] + 1) * j) + 0.05 * noise[i * 16 + j];
  }
  return { images, labels, shape: [1, 4, 4], classes: 3 };
}

/** x, t, label → velocity: an MLP over the flattened image, the label's embedding and t. */
function toyModel(seed: number): { model: FlowModel; params: Map<string, Tensor> } {
  const p = (shape: number[], s: number, scale: number) =>
    tensor(
      d,
      normalValues(
        seed * 10 + s,
        shape.reduce((a, b) => a * b, 1),
      ).map((v) => v * scale),
      shape,
    )
      .keep()
      .requireGrad();
  const params = new Map<string, Tensor>([
    ['w1', p([32, 16], 1, 0.25)],
    ['b1', p([32], 2, 0)],
    ['emb', p([4, 32], 3, 0.5)],
    ['wt', p([1, 32], 4, 0.5)],
    ['w2', p([16, 32], 5, 0.18)],
    ['b2', p([16], 6, 0)],
  ]);
  const P = (k: string) => params.get(k)!;
  const model: FlowModel = (xt, t, labels) => {
    const B = labels.length;
    const h = add(add(linear(xt.reshape([B, 16]), P('w1'), P('b1')), gather(P('emb'), tensor(d, labels, [B], 'i32'))), mul(tensor(d, t, [B, 1]), P('wt')));
    return linear(silu(h), P('w2'), P('b2')).reshape([B, 1, 4, 4]);
  };
  return { model, params };
}

const CONFIG: TrainConfig = { steps: 40, batch: 8, lr: 1e-2, warmup: 5, minLrFactor: 0.1, ema: 0.9, weightDecay: 0, clip: 1, dropLabel: 0.1, seed: 7 };

async function values(ts: Iterable<[string, Tensor]>): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [k, t] of ts) out[k] = Array.from(await t.toFloat32());
  return out;
}

describe('batch order', () => {
  it('is a seeded permutation per epoch: every image once, the same for the same seed', () => {
    const o = epochOrder(3, 0, 50);
    expect([...o].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...epochOrder(3, 0, 50)]).toEqual([...o]);
    expect([...epochOrder(3, 1, 50)]).not.toEqual([...o]);
    const b = new BatchOrder(3, 10, 4); // steps 0..4 cover two epochs
    const seen = [0, 1, 2, 3, 4].flatMap((s) => b.indices(s));
    expect(seen.slice(0, 10).sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(new BatchOrder(3, 10, 4).indices(3)).toEqual(b.indices(3));
  });
});

describe('FlowTrainer', () => {
  it('learns: the loss on fixed evaluation batches falls', async () => {
    const { model, params } = toyModel(1);
    const data = toySet(60);
    const tr = new FlowTrainer(d, model, params, data, CONFIG);
    // the same 10 batches (data, noise and times from fixed seeds) before and after training
    const evalLoss = async () => {
      let s = 0;
      for (let k = 0; k < 10; k++) {
        const idx = Array.from({ length: 30 }, (_, i) => (i * 7 + k) % 60);
        const l = noGrad(d, () =>
          flowMatchingLoss(d, model, { x0: gatherBatch(data, idx).images, labels: idx.map((i) => data.labels[i]), shape: [30, 1, 4, 4] }, 1234, k, {
            nullClass: 3,
            dropLabel: 0,
          }),
        );
        s += (await l.toArray())[0];
        l.dispose();
      }
      return s / 10;
    };
    const before = await evalLoss();
    while (tr.step < CONFIG.steps) await tr.trainStep();
    const after = await evalLoss();
    console.log(`flow-matching loss on fixed batches: ${before.toFixed(4)} → ${after.toFixed(4)}`);
    expect(after).toBeLessThan(0.7 * before);
    tr.dispose();
  });

  it('saved and resumed equals uninterrupted, bit for bit (weights, EMA, optimizer step)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleardit-train-'));
    const data = toySet(30);
    const run = async (steps: number, from?: string, save?: string) => {
      const { model, params } = toyModel(2);
      const tr = new FlowTrainer(d, model, params, data, CONFIG);
      if (from) await loadTrainingCheckpoint(from, tr);
      while (tr.step < steps) await tr.trainStep();
      if (save) await saveTrainingCheckpoint(save, tr, { family: 'toy' });
      return { tr, w: await values(params), ema: await values(tr.ema.tensors) };
    };
    const whole = await run(6);
    const ck = join(dir, 'ck.safetensors');
    (await run(3, undefined, ck)).tr.dispose();
    const resumed = await run(6, ck);
    expect(resumed.tr.step).toBe(6);
    expect(resumed.tr.optimizer.stepCount).toBe(whole.tr.optimizer.stepCount);
    expect(resumed.w).toEqual(whole.w);
    expect(resumed.ema).toEqual(whole.ema);
    whole.tr.dispose();
    resumed.tr.dispose();
  });

  it('a damaged checkpoint is a clear error naming the file and the previous checkpoint, which stays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleardit-train-'));
    const ck = join(dir, 'ck.safetensors');
    const { model, params } = toyModel(3);
    const tr = new FlowTrainer(d, model, params, toySet(20), CONFIG);
    await tr.trainStep();
    await saveTrainingCheckpoint(ck, tr, { family: 'toy' });
    await tr.trainStep();
    await saveTrainingCheckpoint(ck, tr, { family: 'toy' }); // the first becomes ck.prev.safetensors
    const good = readFileSync(previousPath(ck));
    writeFileSync(ck, readFileSync(ck).subarray(0, 100)); // truncated
    const err = await loadTrainingCheckpoint(ck, tr).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingCheckpointError);
    expect(String((err as Error).message)).toContain(ck);
    expect(String((err as Error).message)).toContain(previousPath(ck));
    expect(readFileSync(previousPath(ck)).equals(good)).toBe(true);
    const state = await loadTrainingCheckpoint(previousPath(ck), tr);
    expect(state.step).toBe(1);
    await expect(loadTrainingCheckpoint(join(dir, 'missing.safetensors'), tr)).rejects.toThrowError(/missing\.safetensors: no checkpoint there/);
    expect(existsSync(ck)).toBe(true);
    tr.dispose();
  });
});
