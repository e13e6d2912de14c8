// Two small models for the training tests (benchmarks/src/train.ts builds the same one-block model):
// a two-layer MLP and a one-block pre-norm transformer (layer norm → attention → residual, layer norm →
// MLP → residual, then a linear head), on a fixed synthetic regression task.
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
  silu,
} from '../src/index.js';

function init(d: Device, shape: number[], seed: number, scale: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(
    d,
    Array.from(normalValues(seed, n), (v) => v * scale),
    shape,
  )
    .keep()
    .requireGrad();
}
const zeros = (d: Device, shape: number[]) =>
  tensor(d, new Float32Array(shape.reduce((a, b) => a * b, 1)), shape)
    .keep()
    .requireGrad();
const ones = (d: Device, shape: number[]) =>
  tensor(d, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1), shape)
    .keep()
    .requireGrad();

export interface Model {
  params: Record<string, Tensor>;
  forward(x: Tensor): Tensor;
}

export function mlp(d: Device, cfg: { din: number; hidden: number; dout: number }, seed: number): Model {
  const params = {
    w1: init(d, [cfg.hidden, cfg.din], seed, 1 / Math.sqrt(cfg.din)),
    b1: zeros(d, [cfg.hidden]),
    w2: init(d, [cfg.dout, cfg.hidden], seed + 1, 1 / Math.sqrt(cfg.hidden)),
    b2: zeros(d, [cfg.dout]),
  };
  return { params, forward: (x) => linear(silu(linear(x, params.w1, params.b1)), params.w2, params.b2) };
}

export interface BlockConfig {
  din: number;
  dim: number;
  heads: number;
  dout: number;
}

export function oneBlock(d: Device, cfg: BlockConfig, seed: number): Model {
  const { din, dim, dout } = cfg;
  const s = (n: number) => 1 / Math.sqrt(n);
  const params = {
    embed: init(d, [dim, din], seed, s(din)),
    embedBias: zeros(d, [dim]),
    ln1w: ones(d, [dim]),
    ln1b: zeros(d, [dim]),
    qkv: init(d, [3 * dim, dim], seed + 1, s(dim)),
    qkvBias: zeros(d, [3 * dim]),
    proj: init(d, [dim, dim], seed + 2, s(dim)),
    projBias: zeros(d, [dim]),
    ln2w: ones(d, [dim]),
    ln2b: zeros(d, [dim]),
    fc1: init(d, [4 * dim, dim], seed + 3, s(dim)),
    fc1Bias: zeros(d, [4 * dim]),
    fc2: init(d, [dim, 4 * dim], seed + 4, s(4 * dim)),
    fc2Bias: zeros(d, [dim]),
    head: init(d, [dout, dim], seed + 5, s(dim)),
    headBias: zeros(d, [dout]),
  };
  const p = params;
  const forward = (x: Tensor): Tensor => {
    const [B, L] = x.shape;
    const H = cfg.heads;
    const dh = dim / H;
    let h = linear(x, p.embed, p.embedBias);
    // attention: [B, L, 3·dim] → [3, B, H, L, dh] → q, k, v
    const qkv = linear(layerNorm(h, { weight: p.ln1w, bias: p.ln1b }), p.qkv, p.qkvBias);
    const [q, k, v] = split(permute(qkv.reshape([B, L, 3, H, dh]), [2, 0, 3, 1, 4]), 3, 0).map((t) => t.reshape([B, H, L, dh]));
    const a = permute(scaledDotProductAttention(q, k, v), [0, 2, 1, 3]).reshape([B, L, dim]);
    h = add(h, linear(a, p.proj, p.projBias));
    const m = linear(geluTanh(linear(layerNorm(h, { weight: p.ln2w, bias: p.ln2b }), p.fc1, p.fc1Bias)), p.fc2, p.fc2Bias);
    h = add(h, m);
    return linear(h, p.head, p.headBias);
  };
  return { params, forward };
}

/**
 * The synthetic regression task: inputs x ~ N(0, 1) [B, L, din] and targets from a fixed nonlinear map
 * that mixes tokens (each target token depends on its own input and on the sequence mean), so the
 * attention has something to learn.
 */
export function regressionTask(d: Device, shape: { B: number; L: number; din: number; dout: number }, seed: number): { x: Tensor; y: Tensor } {
  const { B, L, din, dout } = shape;
  const xs = Array.from(normalValues(seed, B * L * din));
  const w = Array.from(normalValues(seed + 1, din * dout), (v) => v / Math.sqrt(din));
  const u = Array.from(normalValues(seed + 2, din * dout), (v) => v / Math.sqrt(din));
  const ys = new Float32Array(B * L * dout);
  for (let b = 0; b < B; b++) {
    const meanTok = new Array(din).fill(0);
    for (let l = 0; l < L; l++) for (let i = 0; i < din; i++) meanTok[i] += xs[(b * L + l) * din + i] / L;
    for (let l = 0; l < L; l++)
      for (let o = 0; o < dout; o++) {
        let a = 0;
        let c = 0;
        for (let i = 0; i < din; i++) {
          a += xs[(b * L + l) * din + i] * w[i * dout + o];
          c += meanTok[i] * u[i * dout + o];
        }
        ys[(b * L + l) * dout + o] = Math.tanh(a) + c;
      }
  }
  return { x: tensor(d, xs, [B, L, din]).keep(), y: tensor(d, ys, [B, L, dout]).keep() };
}

/** One training step's forward and loss (the caller runs backward and the optimizer). */
export function lossOf(model: Model, x: Tensor, y: Tensor): Tensor {
  return mseLoss(model.forward(x), y);
}

export function disposeModel(m: Model): void {
  for (const t of Object.values(m.params)) t.dispose();
}
