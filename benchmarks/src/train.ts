// Training speed of a one-block pre-norm transformer (layer norm → attention → residual, layer norm →
// MLP → residual, linear head; the model of packages/tensor/test/train.test.ts) per step: the forward
// alone (no tape), forward + backward, and a whole AdamW step, at the test's tiny size and at a small
// but real one (256 tokens × 128 channels).
import {
  type Device,
  type Tensor,
  tensor,
  normalValues,
  linear,
  geluTanh,
  layerNorm,
  scaledDotProductAttention,
  permute,
  split,
  add,
  mseLoss,
  backward,
  noGrad,
  AdamW,
} from '@cleardit/tensor';
import { medianMs, table, save } from './harness.js';

interface Config {
  name: string;
  B: number;
  L: number;
  din: number;
  dim: number;
  heads: number;
  dout: number;
}

const CONFIGS: Config[] = [
  { name: 'tiny (the test model)', B: 2, L: 8, din: 8, dim: 16, heads: 2, dout: 4 },
  { name: 'small', B: 1, L: 256, din: 64, dim: 128, heads: 4, dout: 64 },
];

function param(d: Device, shape: number[], seed: number, scale: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = seed < 0 ? new Float32Array(n).fill(scale) : Array.from(normalValues(seed, n), (x) => x * scale);
  return tensor(d, v, shape).keep().requireGrad();
}

function oneBlock(d: Device, c: Config) {
  const s = (n: number) => 1 / Math.sqrt(n);
  const p = {
    embed: param(d, [c.dim, c.din], 1, s(c.din)),
    embedBias: param(d, [c.dim], -1, 0),
    ln1w: param(d, [c.dim], -1, 1),
    ln1b: param(d, [c.dim], -1, 0),
    qkv: param(d, [3 * c.dim, c.dim], 2, s(c.dim)),
    qkvBias: param(d, [3 * c.dim], -1, 0),
    proj: param(d, [c.dim, c.dim], 3, s(c.dim)),
    projBias: param(d, [c.dim], -1, 0),
    ln2w: param(d, [c.dim], -1, 1),
    ln2b: param(d, [c.dim], -1, 0),
    fc1: param(d, [4 * c.dim, c.dim], 4, s(c.dim)),
    fc1Bias: param(d, [4 * c.dim], -1, 0),
    fc2: param(d, [c.dim, 4 * c.dim], 5, s(4 * c.dim)),
    fc2Bias: param(d, [c.dim], -1, 0),
    head: param(d, [c.dout, c.dim], 6, s(c.dim)),
    headBias: param(d, [c.dout], -1, 0),
  };
  const forward = (x: Tensor): Tensor => {
    const [B, L] = x.shape;
    const dh = c.dim / c.heads;
    let h = linear(x, p.embed, p.embedBias);
    const qkv = linear(layerNorm(h, { weight: p.ln1w, bias: p.ln1b }), p.qkv, p.qkvBias);
    const [q, k, v] = split(permute(qkv.reshape([B, L, 3, c.heads, dh]), [2, 0, 3, 1, 4]), 3, 0).map((t) => t.reshape([B, c.heads, L, dh]));
    const a = permute(scaledDotProductAttention(q, k, v), [0, 2, 1, 3]).reshape([B, L, c.dim]);
    h = add(h, linear(a, p.proj, p.projBias));
    h = add(h, linear(geluTanh(linear(layerNorm(h, { weight: p.ln2w, bias: p.ln2b }), p.fc1, p.fc1Bias)), p.fc2, p.fc2Bias));
    return linear(h, p.head, p.headBias);
  };
  return { params: p, forward };
}

export async function benchTrain(device: Device): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  for (const c of CONFIGS) {
    const m = oneBlock(device, c);
    const x = tensor(device, normalValues(7, c.B * c.L * c.din), [c.B, c.L, c.din]).keep();
    const y = tensor(device, normalValues(8, c.B * c.L * c.dout), [c.B, c.L, c.dout]).keep();
    const opt = new AdamW(m.params, { lr: 1e-3 });
    const count = Object.values(m.params).reduce((s, t) => s + t.numel, 0);
    const fwd = await medianMs(device, () => noGrad(device, () => device.scope(() => void mseLoss(m.forward(x), y))), {
      warmup: 3,
      reps: 21,
      budgetMs: 15_000,
    });
    const fb = await medianMs(
      device,
      () => {
        device.scope(() => backward(mseLoss(m.forward(x), y)));
        opt.zeroGrad();
      },
      { warmup: 3, reps: 21, budgetMs: 15_000 },
    );
    // a whole step: AdamW needs no readback, so it records synchronously
    const step = await medianMs(
      device,
      () => {
        device.scope(() => backward(mseLoss(m.forward(x), y)));
        opt.stepNow();
        opt.zeroGrad();
      },
      { warmup: 3, reps: 21, budgetMs: 15_000 },
    );
    rows.push({
      model: c.name,
      tokens: `${c.B}×${c.L}`,
      width: `${c.dim} (${c.heads} heads)`,
      params: count,
      'forward ms': fwd.median.toFixed(2),
      'fwd+bwd ms': fb.median.toFixed(2),
      'bwd/fwd': (fb.median / fwd.median - 1).toFixed(2),
      'step (AdamW) ms': step.median.toFixed(2),
    });
    opt.dispose();
    for (const t of [...Object.values(m.params), x, y]) t.dispose();
  }
  console.log(`\ntraining, one-block transformer, per step on ${device.adapter.name} — ${device.adapter.description}`);
  console.log(table(rows));
  save('train', { adapter: device.adapter, rows });
}
