// DiT's DDIM sampler (spec/sampler.md §2.4; GaussianDiffusion.ddim_sample), i from K − 1 down to 0:
//   x̂₀ = x/√ᾱ'_i − √(1/ᾱ'_i − 1)·ε
//   σ  = η·√((1 − ᾱ'_{i−1})/(1 − ᾱ'_i))·√(1 − ᾱ'_i/ᾱ'_{i−1})
//   x ← √ᾱ'_{i−1}·x̂₀ + √(1 − ᾱ'_{i−1} − σ²)·ε + [i > 0]·σ·z
// DiT re-derives ε̂ = (x/√ᾱ'_i − x̂₀)/√(1/ᾱ'_i − 1) from x̂₀; without clipping that is ε itself, so ε is
// used directly. The learned-variance channels are ignored (as diffusers' DiTPipeline does).

import { type Tensor, add, mulScalar, slice, sub } from '@cleardit/tensor';
import { runSteps } from '../progress.js';
import type { NoiseSource } from '../noise.js';
import { ditOutput } from './dit.js';
import type { DiTLoopOptions } from './ddpm.js';

export interface DdimOptions extends DiTLoopOptions {
  /** η: 0 (default) is deterministic DDIM, 1 has DDPM-like noise. */
  eta?: number;
  /** Per-step noise, required when η > 0 (asked for at i = K−1 … 1). */
  noise?: NoiseSource;
}

/**
 * Runs all K steps of DDIM over a (respaced) DiT schedule and returns the final latent (a new tensor).
 * With η = 0 no noise is drawn and the result is a deterministic function of x. Reports
 * {step, total = K, t = S_i, latent} and honours `signal`.
 */
export function ddim(opts: DdimOptions): Promise<Tensor> {
  const { model, x, schedule: s, labels, eta = 0, noise } = opts;
  if (eta > 0 && !noise) throw new RangeError('ddim: η > 0 needs a noise source');
  const K = s.betas.length;
  return runSteps(x, K, opts, (xk, j) => {
    const i = K - 1 - j;
    const t = s.timesteps[i];
    const [ab, abPrev] = [s.alphasCumprod[i], s.alphasCumprodPrev[i]];
    const sigma = eta * Math.sqrt((1 - abPrev) / (1 - ab)) * Math.sqrt(1 - ab / abPrev);
    const next = xk.device.scope(() => {
      const eps = slice(ditOutput(model, xk, t, labels, opts), 1, 0, xk.shape[1]);
      const x0 = sub(mulScalar(xk, s.sqrtRecipAlphasCumprod[i]), mulScalar(eps, s.sqrtRecipm1AlphasCumprod[i]));
      const mean = add(mulScalar(x0, Math.sqrt(abPrev)), mulScalar(eps, Math.sqrt(Math.max(0, 1 - abPrev - sigma * sigma))));
      return i > 0 && sigma > 0 ? add(mean, mulScalar(noise!(i, xk.shape), sigma)) : mean;
    });
    return { x: next, t };
  });
}
