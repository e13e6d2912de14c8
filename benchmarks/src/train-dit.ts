// One DiT training step at the shape the distillation trains (pixel space 32×32×1, patch 2 → 256
// tokens, depth 4, 4 heads, batch 32, class-conditional adaLN-Zero), with flow matching
// (x_t = (1 − t)·x₀ + t·ε, target ε − x₀, MSE) and AdamW: the first step (cold: every pipeline
// compiles) and the median of the next ones, at width 64 and 128. When python3 has torch, the same
// model and step in PyTorch on the CPU (peers/train_dit.py) runs in the same process tree for the ratio.
// The first step is cold only for the first width of a run (later widths reuse the kernels it
// compiled): for a cold figure per width run `--widths 128` alone, with MESA_SHADER_CACHE_DISABLE=true.
import { spawnSync } from 'node:child_process';
import { type Device, type Tensor, tensor, normalValues, uniformValues, sub, mul, add, mseLoss, backward, AdamW } from '@cleardit/tensor';
import { type DitTransformer, Weights, ditFamily, type DitConfig } from '@cleardit/models';
import { table, save } from './harness.js';
import { peerScript } from './peers/paths.js';

export const TRAIN_DIT_SHAPE = { batch: 32, inputSize: 32, patchSize: 2, inChannels: 1, depth: 4, numHeads: 4 };

export function trainDitConfig(width: number): DitConfig {
  const s = TRAIN_DIT_SHAPE;
  return {
    inputSize: s.inputSize,
    patchSize: s.patchSize,
    inChannels: s.inChannels,
    hiddenSize: width,
    depth: s.depth,
    numHeads: s.numHeads,
    mlpRatio: 4,
    numClasses: 10,
    learnSigma: false,
  };
}

/** A DiT with seeded random weights, every tensor a trainable parameter. */
function randomDit(device: Device, c: DitConfig): DitTransformer {
  const w = new Weights('dit');
  let seed = 1;
  for (const [k, shape] of ditFamily.expected(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.slice(1).reduce((a, b) => a * b, 1) || 1;
    const v = k.endsWith('.bias') ? new Float32Array(n) : normalValues(seed++, n).map((x) => x / Math.sqrt(fanIn));
    w.set(k, tensor(device, v, shape).requireGrad());
  }
  return ditFamily.create(device, c, w);
}

interface StepTimes {
  first: number;
  median: number;
  steps: number;
  params: number;
}

async function timeSteps(device: Device, width: number, steps: number): Promise<StepTimes> {
  const c = trainDitConfig(width);
  const B = TRAIN_DIT_SHAPE.batch;
  const S = c.inputSize;
  const model = randomDit(device, c);
  const params = Object.fromEntries(model.weights.tensors);
  const opt = new AdamW(params, { lr: 1e-3 });
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const ts = Array.from(uniformValues(100 + i, B));
    const labels = Array.from(uniformValues(200 + i, B), (u) => Math.floor(u * 10));
    device.scope(() => {
      const x0 = tensor(device, normalValues(300 + i, B * S * S), [B, 1, S, S]);
      const eps = tensor(device, normalValues(400 + i, B * S * S), [B, 1, S, S]);
      const tt = tensor(device, ts, [B, 1, 1, 1]);
      const xt = add(x0, mul(tt, sub(eps, x0)));
      const v = model.forward(
        xt,
        ts.map((u) => u * 1000),
        labels,
      );
      backward(mseLoss(v, sub(eps, x0)));
    });
    opt.stepNow();
    opt.zeroGrad();
    await device.sync();
    times.push(performance.now() - t0);
  }
  opt.dispose();
  model.dispose();
  const rest = times.slice(1).sort((a, b) => a - b);
  return { first: times[0], median: rest[Math.floor(rest.length / 2)], steps, params: Object.values(params).reduce((s, t) => s + (t as Tensor).numel, 0) };
}

interface PeerResult {
  torch: string;
  threads: number;
  median_ms: number;
  first_ms: number;
}

function torchPeer(width: number, steps: number): PeerResult | string {
  const script = peerScript('train_dit.py');
  const r = spawnSync('python3', [script, '--width', String(width), '--steps', String(steps)], { encoding: 'utf8' });
  if (r.error) return `python3 not found`;
  if (r.status !== 0) return r.stderr.includes('No module named') ? 'torch not installed' : `failed: ${r.stderr.trim().split('\n').pop()}`;
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as PeerResult;
}

export async function benchTrainDit(device: Device, opts: { widths?: number[]; steps?: number } = {}): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  const steps = opts.steps ?? 6;
  for (const width of opts.widths ?? [64, 128]) {
    const ours = await timeSteps(device, width, steps);
    const peer = torchPeer(width, steps);
    rows.push({
      width,
      params: ours.params,
      'first step s': (ours.first / 1000).toFixed(2),
      'step s (median)': (ours.median / 1000).toFixed(3),
      'torch step s': typeof peer === 'string' ? peer : (peer.median_ms / 1000).toFixed(3),
      ratio: typeof peer === 'string' ? '-' : `${(ours.median / peer.median_ms).toFixed(1)}×`,
      peer: typeof peer === 'string' ? '-' : `torch ${peer.torch}, ${peer.threads} threads`,
    });
  }
  const s = TRAIN_DIT_SHAPE;
  console.log(
    `\ntrain-dit: DiT ${s.inputSize}²×${s.inChannels} patch ${s.patchSize}, depth ${s.depth}, ${s.numHeads} heads, batch ${s.batch}, flow matching + AdamW, on ${device.adapter.name} — ${device.adapter.description}`,
  );
  console.log(table(rows));
  save('train-dit', { adapter: device.adapter, rows });
}
