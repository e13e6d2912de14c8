// The digit classifier the evaluation scores samples with: a small CNN trained by cleardit on the
// training split (three stride-2 3×3 convolutions 1→16→32→64 with SiLU, 32×32 → 4×4, then a
// 1024→64 layer whose SiLU output is the feature vector of the Fréchet distance, then 64→10).
// Inputs are images [B, 1, 32, 32] in [−1, 1], as the digit set and the samplers produce them.
import {
  type Device,
  type Tensor,
  AdamW,
  backward,
  conv2d,
  linear,
  logSoftmax,
  meanAll,
  mul,
  mulScalar,
  noGrad,
  normalValues,
  silu,
  tensor,
  warmupCosine,
} from '@cleardit/tensor';
import { type ImageSet, BatchOrder, gatherBatch, imageCount } from './data.js';

export const CLASSIFIER_SHAPES: ReadonlyMap<string, number[]> = new Map([
  ['conv1.weight', [16, 1, 3, 3]],
  ['conv1.bias', [16]],
  ['conv2.weight', [32, 16, 3, 3]],
  ['conv2.bias', [32]],
  ['conv3.weight', [64, 32, 3, 3]],
  ['conv3.bias', [64]],
  ['fc1.weight', [64, 1024]],
  ['fc1.bias', [64]],
  ['fc2.weight', [10, 64]],
  ['fc2.bias', [10]],
]);

/** He-normal weights (fan-in), zero biases, from `seed`. */
export function initClassifier(device: Device, seed: number): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  let k = 0;
  for (const [name, shape] of CLASSIFIER_SHAPES) {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = n / shape[0];
    const data = name.endsWith('.bias') ? new Float32Array(n) : normalValues(seed * 100 + k, n).map((v) => v * Math.sqrt(2 / fanIn));
    k++;
    out.set(name, tensor(device, data, shape).requireGrad().keep());
  }
  return out;
}

/** logits [B, 10] and features [B, 64] of images [B, 1, 32, 32]. */
export function classify(w: ReadonlyMap<string, Tensor>, x: Tensor): { logits: Tensor; features: Tensor } {
  const W = (k: string) => w.get(k)!;
  const B = x.shape[0];
  let h = silu(conv2d(x, W('conv1.weight'), { bias: W('conv1.bias'), padding: 1, stride: 2 })); // [B, 16, 16, 16]
  h = silu(conv2d(h, W('conv2.weight'), { bias: W('conv2.bias'), padding: 1, stride: 2 })); // [B, 32, 8, 8]
  h = silu(conv2d(h, W('conv3.weight'), { bias: W('conv3.bias'), padding: 1, stride: 2 })); // [B, 64, 4, 4]
  const features = silu(linear(h.reshape([B, 1024]), W('fc1.weight'), W('fc1.bias'))); // [B, 64]
  return { logits: linear(features, W('fc2.weight'), W('fc2.bias')), features };
}

/** Mean cross-entropy of logits [B, K] against integer labels: −mean_b log softmax(z_b)[y_b]. */
export function crossEntropy(logits: Tensor, labels: readonly number[]): Tensor {
  const [B, K] = logits.shape;
  const onehot = new Float32Array(B * K);
  labels.forEach((y, b) => (onehot[b * K + y] = 1));
  const logp = logSoftmax(logits, -1); // [B, K]
  return mulScalar(meanAll(mul(tensor(logits.device, onehot, [B, K]), logp)), -K);
}

export interface ClassifierTraining {
  steps: number;
  batch: number;
  lr: number;
  seed: number;
}

export const CLASSIFIER_DEFAULTS: ClassifierTraining = { steps: 800, batch: 64, lr: 3e-3, seed: 0 };

/** Trains the classifier on `data` (AdamW, 50 warm-up steps, cosine decay); `progress` after each step. */
export async function trainClassifier(
  device: Device,
  data: ImageSet,
  cfg: ClassifierTraining,
  progress?: (step: number, loss: number) => void,
): Promise<Map<string, Tensor>> {
  const w = initClassifier(device, cfg.seed);
  const opt = new AdamW(w, { lr: cfg.lr, weightDecay: 1e-4, schedule: warmupCosine(50, cfg.steps, 0.05) });
  const order = new BatchOrder(cfg.seed, imageCount(data), cfg.batch);
  for (let step = 0; step < cfg.steps; step++) {
    const { images, labels } = gatherBatch(data, order.indices(step));
    const loss = device.scope(() => crossEntropy(classify(w, tensor(device, images, [cfg.batch, ...data.shape])).logits, labels));
    const value = (await loss.toArray())[0];
    backward(loss);
    loss.dispose();
    opt.stepNow();
    opt.zeroGrad();
    progress?.(step + 1, value);
  }
  opt.dispose();
  for (const t of w.values()) t.requireGrad(false);
  return w;
}

/** Predicted classes and features of images [n, 1, 32, 32] (host values), in batches of `batch`. */
export async function predict(
  device: Device,
  w: ReadonlyMap<string, Tensor>,
  images: Float32Array,
  batch = 250,
): Promise<{ classes: Int32Array; features: Float32Array }> {
  const per = 32 * 32;
  const n = images.length / per;
  const classes = new Int32Array(n);
  const features = new Float32Array(n * 64);
  for (let s = 0; s < n; s += batch) {
    const b = Math.min(batch, n - s);
    const { logits, features: f } = noGrad(device, () =>
      device.scope(() => classify(w, tensor(device, images.subarray(s * per, (s + b) * per), [b, 1, 32, 32]))),
    );
    const z = await logits.toFloat32();
    features.set(await f.toFloat32(), s * 64);
    logits.dispose();
    f.dispose();
    for (let i = 0; i < b; i++) {
      let best = 0;
      for (let k = 1; k < 10; k++) if (z[i * 10 + k] > z[i * 10 + best]) best = k;
      classes[s + i] = best;
    }
  }
  return { classes, features };
}

/** Share of `classes` equal to `labels`. */
export function accuracy(classes: ArrayLike<number>, labels: ArrayLike<number>): number {
  let hit = 0;
  for (let i = 0; i < labels.length; i++) if (classes[i] === labels[i]) hit++;
  return hit / labels.length;
}
