// The digit teacher: a class-conditional DiT in pixel space (32×32×1, patch 2 → 16×16 tokens),
// trained with flow matching, sampled with Euler and classifier-free guidance (the label 10 is "no
// class"). Wires @cleardit/models' DiT to @cleardit/distill's trainer and @cleardit/sampler's Euler.
import { type Device, type Tensor, concat, slice, add, sub, mulScalar, normalValues, tensor } from '@cleardit/tensor';
import { DitTransformer, Weights, type DitConfig } from '@cleardit/models';
import { eulerFlow, fluxSchedule } from '@cleardit/sampler';
import type { FlowModel } from '@cleardit/distill';

export function teacherConfig(width: number, depth: number, heads: number): DitConfig {
  return { inputSize: 32, patchSize: 2, inChannels: 1, hiddenSize: width, depth, numHeads: heads, mlpRatio: 4, numClasses: 10, learnSigma: false };
}

/** The DiT as the trainer's model: time t ∈ [0, 1] enters DiT's timestep embedding as 1000·t. */
export const flowModel =
  (dit: DitTransformer): FlowModel =>
  (xt, t, labels) =>
    dit.forward(
      xt,
      t.map((u) => 1000 * u),
      [...labels],
    );

/** A DiT that reads `tensors` (the EMA weights) without owning them: never dispose it. */
export function viewDit(device: Device, config: DitConfig, tensors: ReadonlyMap<string, Tensor>): DitTransformer {
  const w = new Weights('dit');
  for (const [k, t] of tensors) w.tensors.set(k, t);
  return new DitTransformer(device, config, w);
}

/** The starting noise of one digit per seed, [seeds.length, 1, side, side]: a sample's noise depends on its own seed only. */
export function digitNoise(seeds: readonly number[], side = 32): Float32Array {
  const per = side * side;
  const out = new Float32Array(seeds.length * per);
  seeds.forEach((s, i) => out.set(normalValues(s, per), i * per));
  return out;
}

/**
 * Guidance of digit samples everywhere (grids, distillation data, generate, eval): measured on the
 * teacher at step ~1,500, 100 samples, Euler 20 steps: 82% class accuracy with CFG 2, 90% with 4.
 */
export const DIGIT_CFG = 4;

export interface DigitSampling {
  steps?: number;
  cfg?: number;
  side?: number;
  onStep?: (step: number, total: number, t: number) => void;
  signal?: AbortSignal;
}

/** Euler over `steps` from t = 1 to 0 with guidance `cfg` (uncond + cfg·(cond − uncond)), one sample per label from `noise`. */
export async function sampleDigits(
  device: Device,
  dit: DitTransformer,
  labels: readonly number[],
  noise: Float32Array,
  opts: DigitSampling = {},
): Promise<Tensor> {
  const { steps = 20, cfg = DIGIT_CFG, side = 32 } = opts;
  const B = labels.length;
  const x = tensor(device, noise, [B, 1, side, side]);
  const nulls = labels.map(() => dit.config.numClasses);
  const model = (xt: Tensor, t: number) => {
    if (cfg === 1) return dit.forward(xt, Array<number>(B).fill(1000 * t), [...labels]); // no guidance: the conditional prediction alone
    const both = dit.forward(concat([xt, xt], 0), Array<number>(2 * B).fill(1000 * t), [...labels, ...nulls]);
    const vc = slice(both, 0, 0, B);
    const vu = slice(both, 0, B, 2 * B);
    return add(vu, mulScalar(sub(vc, vu), cfg));
  };
  const out = await eulerFlow({
    model,
    x,
    schedule: fluxSchedule({ steps, shift: false }),
    cond: null,
    signal: opts.signal,
    onStep: opts.onStep && (({ step, total, t }) => opts.onStep!(step, total, t)),
  });
  x.dispose();
  return out;
}

/** Grayscale images [B, 1, side, side] in [−1, 1] as one row of grayscale pixels (encodePng(…, 1)). */
export function gridPixels(values: Float32Array, count: number, side = 32): { pixels: Uint8Array; width: number; height: number } {
  const width = count * side;
  const pixels = new Uint8Array(width * side);
  for (let b = 0; b < count; b++)
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) pixels[y * width + b * side + x] = Math.round(Math.min(1, Math.max(0, (values[(b * side + y) * side + x] + 1) / 2)) * 255);
  return { pixels, width, height: side };
}
