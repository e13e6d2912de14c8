// Seeded noise that is the same in Node and in every browser: values come from @cleardit/tensor's
// host-side Philox + Box–Muller (integer arithmetic, then one float64 → float32 rounding) and are
// uploaded, so the GPU never draws random numbers. Per-step noise (DDPM, DDIM with η > 0) uses a seed
// derived from (seed, step index), so any step's noise can be regenerated on its own.
// Our streams are not PyTorch's: the same seed gives a different image than torch.manual_seed would.

import { type Device, type Tensor, randn, philox, normalValues, tensor } from '@cleardit/tensor';
import { packFluxLatent } from './latent.js';

/** Largest seed: seeds are non-negative integers below 2^53 (the 64-bit Philox key's low 53 bits). */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

/** Throws RangeError unless `seed` is an integer in [0, 2^53). */
export function checkSeed(seed: number): number {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be an integer in [0, 2^53), got ${seed}`);
  return seed;
}

/** Standard normal noise of `shape` for `seed` (Philox key = seed, counters from 0). */
export function seededNoise(device: Device, shape: readonly number[], seed: number): Tensor {
  return randn(device, [...shape], checkSeed(seed));
}

/**
 * The seed of step `index`'s noise: one Philox block of counter (index, 0, 'step', 0) under the key
 * `seed`, folded to 53 bits. Distinct from `seed` itself and from every other index.
 */
export function stepSeed(seed: number, index: number): number {
  checkSeed(seed);
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`stepSeed: index must be a non-negative integer, got ${index}`);
  const k0 = seed >>> 0;
  const k1 = Math.floor(seed / 2 ** 32) >>> 0;
  const [w0, w1] = philox(index >>> 0, Math.floor(index / 2 ** 32) >>> 0, 0x73746570 /* 'step' */, 0, k0, k1);
  return w0 + (w1 & 0x1fffff) * 2 ** 32;
}

/**
 * Per-step noise for a loop: called with the schedule index and the latent's shape; returns a new
 * tensor the loop disposes. Tests inject fixed noise through this.
 */
export type NoiseSource = (index: number, shape: readonly number[]) => Tensor;

/** A NoiseSource drawing step `index`'s noise from stepSeed(seed, index). */
export function noiseStream(device: Device, seed: number): NoiseSource {
  checkSeed(seed);
  return (index, shape) => seededNoise(device, shape, stepSeed(seed, index));
}

/**
 * A batch of noise [seeds.length, …itemShape], item i drawn from seeds[i] alone: item i of a batched
 * run starts from exactly the noise a single run with seeds[i] starts from.
 */
export function seededBatch(device: Device, itemShape: readonly number[], seeds: readonly number[]): Tensor {
  const per = itemShape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(seeds.length * per);
  seeds.forEach((s, i) => values.set(normalValues(checkSeed(s), per), i * per));
  return tensor(device, values, [seeds.length, ...itemShape]);
}

/** Per-step noise for a batch: item i's noise at step `index` comes from stepSeed(seeds[i], index), as noiseStream(seeds[i]) would draw it. */
export function noiseStreams(device: Device, seeds: readonly number[]): NoiseSource {
  seeds.forEach(checkSeed);
  return (index, shape) =>
    seededBatch(
      device,
      shape.slice(1),
      seeds.map((s) => stepSeed(s, index)),
    );
}

export interface FluxNoiseOptions {
  height: number;
  width: number;
  seed: number;
  batch?: number;
  /** Latent channels before packing (16 for FLUX.1). */
  channels?: number;
}

/**
 * FLUX's initial noise for an image of height × width pixels, drawn as BFL does in the unpacked layout
 * [B, 16, 2⌈H/16⌉, 2⌈W/16⌉] and packed to [B, N, 64] (N = ⌈H/16⌉·⌈W/16⌉). Same seed, same tensor,
 * in Node and browsers.
 */
export function fluxNoise(device: Device, opts: FluxNoiseOptions): Tensor {
  const { height, width, seed, batch = 1, channels = 16 } = opts;
  const h = 2 * Math.ceil(height / 16);
  const w = 2 * Math.ceil(width / 16);
  return device.scope(() => packFluxLatent(seededNoise(device, [batch, channels, h, w], seed)));
}
