// img2img for the flow sampler (spec/sampler.md §1.4): skip the first steps of the schedule and start
// from the image's latent mixed with noise at that time. This is how the CLEAR recipe reaches 2K–8K
// (spec/clear.md §7): generate low, resize (resizeLatent), refine at strength 0.7.

import { type Tensor, ShapeError, add, mulScalar } from '@cleardit/tensor';

export interface Img2ImgStart {
  /** First schedule index to run (eulerFlow's startIndex). */
  startIndex: number;
  /** schedule[startIndex]: the noise level the image is mixed at. */
  t: number;
  /** Steps that will run: n − startIndex. */
  steps: number;
}

/**
 * Where img2img at `strength` ∈ [0, 1] starts on a schedule of n + 1 values. BFL (default):
 * k₀ = ⌊(1 − strength)·n⌋; diffusers: k₀ = ⌊n − min(n·strength, n)⌋ (the two differ only by float
 * rounding at some n). strength 1 starts from pure noise (k₀ = 0), 0 runs no step.
 * Example: n = 20, strength 0.7 → startIndex 6, 14 steps.
 */
export function img2imgStart(schedule: readonly number[], strength: number, opts: { convention?: 'bfl' | 'diffusers' } = {}): Img2ImgStart {
  const n = schedule.length - 1;
  if (n < 1) throw new RangeError(`img2imgStart: the schedule has no steps`);
  if (!(strength >= 0 && strength <= 1)) throw new RangeError(`img2imgStart: strength must be in [0, 1], got ${strength}`);
  const startIndex = opts.convention === 'diffusers' ? Math.trunc(n - Math.min(n * strength, n)) : Math.trunc((1 - strength) * n);
  return { startIndex, t: schedule[startIndex], steps: n - startIndex };
}

/**
 * The starting latent x = t·noise + (1 − t)·image (rectified-flow interpolation) for an image latent
 * and noise of the same shape (both in the layout the model samples in). Returns a new tensor.
 */
export function img2imgLatent(image: Tensor, noise: Tensor, t: number): Tensor {
  if (image.shape.length !== noise.shape.length || image.shape.some((d, i) => d !== noise.shape[i]))
    throw new ShapeError('img2imgLatent', `image [${image.shape.join(', ')}] and noise [${noise.shape.join(', ')}] differ`);
  return image.device.scope(() => add(mulScalar(noise, t), mulScalar(image, 1 - t)));
}
