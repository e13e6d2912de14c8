// The digit pipeline: a class-conditional flow-matching DiT on 1-channel pixels (no autoencoder),
// sampled with Euler over FLUX's unshifted schedule and classifier-free guidance, from noise that
// depends on each sample's own seed. `cleardit generate`, `cleardit eval` and the playground all draw
// through sampleDigits, so one seed gives one image in Node and in the browser (up to float rounding).
import { type Device, type Tensor, concat, slice, add, sub, mulScalar, normalValues, tensor } from '@cleardit/tensor';
import { DitTransformer, Weights, type DitConfig } from '@cleardit/models';
import { FLOW_SAMPLERS, fluxSchedule, type FlowSamplerName, type OnStep } from '@cleardit/sampler';

/** A DiT that reads `tensors` (e.g. a teacher's or EMA weights) without owning them: never dispose it. */
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
 * Guidance of digit samples everywhere (grids, distillation data, generate, eval, the playground):
 * measured on the teacher at step ~1,500, 100 samples, Euler 20 steps: 82% class accuracy with CFG 2, 90% with 4.
 */
export const DIGIT_CFG = 4;

export interface DigitSampling {
  steps?: number;
  /** A flow sampler by name (@cleardit/sampler's FLOW_SAMPLERS); default euler. */
  sampler?: FlowSamplerName;
  cfg?: number;
  side?: number;
  /** After each step; `latent` [B, 1, side, side] is the images so far (borrowed: read it before returning). */
  onStep?: OnStep;
  signal?: AbortSignal;
}

/** The flow sampler (Euler by default) over `steps` from t = 1 to 0 with guidance `cfg` (uncond + cfg·(cond − uncond)), one sample per label from `noise`. */
export async function sampleDigits(
  device: Device,
  dit: DitTransformer,
  labels: readonly number[],
  noise: Float32Array,
  opts: DigitSampling = {},
): Promise<Tensor> {
  const { steps = 20, cfg = DIGIT_CFG, side = 32, sampler = 'euler' } = opts;
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
  try {
    return await FLOW_SAMPLERS[sampler].run({
      model,
      x,
      schedule: fluxSchedule({ steps, shift: false }),
      cond: null,
      signal: opts.signal,
      onStep: opts.onStep,
    });
  } finally {
    x.dispose();
  }
}

/** Grayscale images [B, 1, side, side] in [−1, 1] as one row of grayscale pixels (one byte a pixel). */
export function gridPixels(values: Float32Array, count: number, side = 32): { pixels: Uint8Array; width: number; height: number } {
  const width = count * side;
  const pixels = new Uint8Array(width * side);
  for (let b = 0; b < count; b++)
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) pixels[y * width + b * side + x] = Math.round(Math.min(1, Math.max(0, (values[(b * side + y) * side + x] + 1) / 2)) * 255);
  return { pixels, width, height: side };
}
