// rmsNorm over the last axis, x/√(mean x² + eps) · weight — the kernel, its float64 reference, the
// backward and its reference, and the public differentiable op; norm-kit.ts with the mean left out.

import { Tensor } from '../tensor.js';
import { requireDtype } from './wgsl.js';
import { checkAffine, normBackward, normGradRef, normRows, normaliseRef, type NormGrads, type NormGradsRef } from './norm-kit.js';
import type { HostTensor } from './host.js';
import { needsGrad, rawOf, record } from '../autograd/tape.js';

/** RMSNorm over the last axis: x / √(mean(x²) + eps) · weight. */
export function rmsNormKernel(x: Tensor, weight: Tensor | undefined, eps = 1e-6): Tensor {
  requireDtype('rmsNorm', x, 'f32');
  const d = x.shape[x.rank - 1];
  checkAffine('rmsNorm', weight, d, 'weight');
  return normRows('rmsNorm', x, { len: d, eps, channel: 'last' }, true, weight, undefined);
}

/** The float64 reference of rmsNormKernel. */
export function rmsNormRef(x: HostTensor, weight: HostTensor | undefined, eps = 1e-6): HostTensor {
  const d = x.shape[x.shape.length - 1];
  return normaliseRef(x, d, eps, true, (_, j, y) => y * (weight?.data[j] ?? 1));
}

/** Gradients of rmsNorm(x, weight, eps). */
export function rmsNormBackward(x: Tensor, g: Tensor, weight: Tensor | undefined, eps = 1e-6, wantWeight = false): NormGrads {
  const d = x.shape[x.rank - 1];
  const rows = d ? x.numel / d : 0;
  return normBackward({
    op: 'rmsNorm',
    x,
    g,
    layout: { len: d, eps, channel: 'last' },
    rms: true,
    weight,
    channels: d,
    count: rows,
    rowOf: 'k',
    indexOf: 'k * P.len + c',
    wantWeight,
    wantBias: false,
  });
}

/** The float64 reference of rmsNormBackward: dx, dweight, dbias. */
export function rmsNormGradRef(x: HostTensor, g: HostTensor, weight: HostTensor | undefined, eps = 1e-6): NormGradsRef {
  const d = x.shape[x.shape.length - 1];
  return normGradRef(x, g, d, eps, true, weight, d, (_, j) => j);
}

/** The public op: the kernel, recording its backward on the tape when an input requires gradients. */
export function rmsNorm(x: Tensor, weight: Tensor | undefined, eps = 1e-6): Tensor {
  if (!needsGrad(x, weight)) return rmsNormKernel(x, weight, eps);
  const out = rawOf(x.device, () => rmsNormKernel(x, weight, eps));
  record('rmsNorm', [x, weight], [out], weight ? [x, weight] : [x], ([g], [sx, sw], need) => {
    const r = rmsNormBackward(sx, g!, sw, eps, need[1]);
    if (!need[0]) r.dx.dispose();
    return [need[0] ? r.dx : null, r.dweight ?? null];
  });
  return out;
}
