// Flow matching, as FLUX and SD3 train: x_t = (1 − t)·x₀ + t·ε with t ~ U(0, 1), and the model
// predicts the velocity v = ε − x₀ (MSE). A step's noise, times and label dropout come from seeds
// derived from (run seed, step), so they do not depend on what ran before.
import { type Device, type Tensor, tensor, normalValues, uniformValues, add, mul, sub, mseLoss } from '@cleardit/tensor';
import { derivedSeed } from './data.js';

/** The model as the trainer sees it: x_t [B, C, H, W], t ∈ [0, 1] per item, class labels → velocity. */
export type FlowModel = (xt: Tensor, t: readonly number[], labels: readonly number[]) => Tensor;

export interface FlowBatch {
  x0: Float32Array;
  labels: readonly number[];
  shape: readonly number[];
}

/** The flow-matching loss of one batch; `nullClass` replaces a label with probability `dropLabel` (for guidance). */
export function flowMatchingLoss(
  device: Device,
  model: FlowModel,
  batch: FlowBatch,
  seed: number,
  step: number,
  opts: { nullClass: number; dropLabel: number },
): Tensor {
  const B = batch.labels.length;
  const n = batch.x0.length;
  const t = Array.from(uniformValues(derivedSeed(seed, 1, step), B));
  const drop = uniformValues(derivedSeed(seed, 2, step), B);
  const labels = batch.labels.map((y, i) => (drop[i] < opts.dropLabel ? opts.nullClass : y));
  return device.scope(() => {
    const x0 = tensor(device, batch.x0, batch.shape);
    const eps = tensor(device, normalValues(derivedSeed(seed, 3, step), n), batch.shape);
    const tt = tensor(device, t, [B, ...batch.shape.slice(1).map(() => 1)]);
    const target = sub(eps, x0);
    const xt = add(x0, mul(tt, target)); // (1 − t)·x₀ + t·ε
    return mseLoss(model(xt, t, labels), target);
  });
}
