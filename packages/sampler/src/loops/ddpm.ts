// DiT's ancestral DDPM sampler (spec/sampler.md §2.3; GaussianDiffusion.p_sample with learned-range
// variance), i from K − 1 down to 0 on a respaced schedule:
//   x̂₀ = x/√ᾱ'_i − √(1/ᾱ'_i − 1)·ε            (no clipping)
//   μ   = coef1_i·x̂₀ + coef2_i·x
//   log σ² = f·log β'_i + (1 − f)·log σ̃²_i,  f = (v + 1)/2   (fixed "large" variance when the model has no v)
//   x  ← μ + [i > 0]·σ·z

import { type Tensor, add, exp, mul, mulScalar, slice, sub, addScalar } from '@cleardit/tensor';
import type { DiffusionSchedule } from '../schedules/ddpm.js';
import type { NoiseSource } from '../noise.js';
import { type LoopControl, runSteps } from '../progress.js';
import { type DiTModel, type DiTGuidance, ditOutput } from './dit.js';

export interface DiTLoopOptions extends LoopControl, DiTGuidance {
  model: DiTModel;
  /** Starting noise [B, C, H, W]; not disposed. */
  x: Tensor;
  schedule: DiffusionSchedule;
  /** One class label per batch row. */
  labels: readonly number[];
}

export interface DdpmOptions extends DiTLoopOptions {
  /** Per-step noise z (noiseStream(device, seed)); asked for at i = K−1 … 1, never at i = 0 (its weight is 0). */
  noise: NoiseSource;
}

/**
 * Runs all K steps of DiT's DDPM sampler and returns the final latent (a new tensor). The model gets the
 * original timestep S_i. With the model's learned variance (2C output channels) σ² interpolates in log
 * space between β'_i and the clipped posterior variance; with C channels σ² is the fixed "large" one
 * (β'_i, with σ̃²_1 at i = 0). Reports {step, total = K, t = S_i, latent} and honours `signal`.
 */
export function ddpm(opts: DdpmOptions): Promise<Tensor> {
  const { model, x, schedule: s, labels, noise } = opts;
  const K = s.betas.length;
  const fixedLogVar = [Math.log(K > 1 ? s.posteriorVariance[1] : s.betas[0]), ...s.betas.slice(1).map(Math.log)];
  return runSteps(x, K, opts, (xk, j) => {
    const i = K - 1 - j;
    const t = s.timesteps[i];
    const next = xk.device.scope(() => {
      const c = xk.shape[1];
      const out = ditOutput(model, xk, t, labels, opts);
      const eps = slice(out, 1, 0, c);
      const x0 = sub(mulScalar(xk, s.sqrtRecipAlphasCumprod[i]), mulScalar(eps, s.sqrtRecipm1AlphasCumprod[i]));
      const mean = add(mulScalar(x0, s.posteriorMeanCoef1[i]), mulScalar(xk, s.posteriorMeanCoef2[i]));
      if (i === 0) return mean;
      const z = noise(i, xk.shape);
      if (out.shape[1] === c) return add(mean, mulScalar(z, Math.exp(0.5 * fixedLogVar[i])));
      // σ = exp(½·log σ²) = exp(v·(max − min)/4 + (max + min)/4), with max = log β'_i, min = clipped log σ̃²_i
      const [hi, lo] = [Math.log(s.betas[i]), s.posteriorLogVarianceClipped[i]];
      const std = exp(addScalar(mulScalar(slice(out, 1, c, 2 * c), (hi - lo) / 4), (hi + lo) / 4));
      return add(mean, mul(std, z));
    });
    return { x: next, t };
  });
}
