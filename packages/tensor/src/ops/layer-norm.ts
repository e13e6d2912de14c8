// layerNorm over the last axis, (x − mean)/√(var + eps) with an optional affine weight and bias [D] —
// the kernel, its float64 reference, the backward (dx; dweight and dbias when wanted) and its
// reference, and the public differentiable op; all of them norm-kit.ts with one row per token.

import { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { requireDtype } from './wgsl.js';
import { checkAffine, normBackward, normGradRef, normRows, normaliseRef, type NormBackwardOptions, type NormGrads, type NormGradsRef } from './norm-kit.js';
import type { HostTensor } from './host.js';
import { needsGrad, rawOf, record } from '../autograd/tape.js';

/** LayerNorm over the last axis, with optional affine weight and bias of shape [D]. */
export function layerNormKernel(x: Tensor, opts: { weight?: Tensor; bias?: Tensor; eps?: number } = {}): Tensor {
  requireDtype('layerNorm', x, 'f32');
  const d = x.shape[x.rank - 1];
  if (x.rank === 0) throw new ShapeError('layerNorm', 'needs at least one axis');
  checkAffine('layerNorm', opts.weight, d, 'weight');
  checkAffine('layerNorm', opts.bias, d, 'bias');
  return normRows('layerNorm', x, { len: d, eps: opts.eps ?? 1e-5, channel: 'last' }, false, opts.weight, opts.bias);
}

/** The float64 reference of layerNormKernel. */
export function layerNormRef(x: HostTensor, opts: { weight?: HostTensor; bias?: HostTensor; eps?: number } = {}): HostTensor {
  const d = x.shape[x.shape.length - 1];
  return normaliseRef(x, d, opts.eps ?? 1e-5, false, (_, j, y) => y * (opts.weight?.data[j] ?? 1) + (opts.bias?.data[j] ?? 0));
}

/** Gradients of layerNorm(x, {weight, bias, eps}) over the last axis given the output's gradient g. */
export function layerNormBackward(x: Tensor, g: Tensor, opts: NormBackwardOptions = {}): NormGrads {
  const d = x.shape[x.rank - 1];
  const rows = d ? x.numel / d : 0;
  return normBackward({
    op: 'layerNorm',
    x,
    g,
    layout: { len: d, eps: opts.eps ?? 1e-5, channel: 'last' },
    rms: false,
    weight: opts.weight,
    channels: d,
    count: rows,
    rowOf: 'k',
    indexOf: 'k * P.len + c',
    wantWeight: !!opts.wantWeight,
    wantBias: !!opts.wantBias,
  });
}

/** The float64 reference of layerNormBackward: dx, dweight, dbias. */
export function layerNormGradRef(x: HostTensor, g: HostTensor, opts: { weight?: HostTensor; eps?: number } = {}): NormGradsRef {
  const d = x.shape[x.shape.length - 1];
  return normGradRef(x, g, d, opts.eps ?? 1e-5, false, opts.weight, d, (_, j) => j);
}

/** The public op: the kernel, recording its backward on the tape when an input requires gradients. */
export function layerNorm(x: Tensor, opts: { weight?: Tensor; bias?: Tensor; eps?: number } = {}): Tensor {
  const { weight, bias } = opts;
  if (!needsGrad(x, weight, bias)) return layerNormKernel(x, opts);
  const out = rawOf(x.device, () => layerNormKernel(x, opts));
  const save = weight ? [x, weight] : [x];
  record('layerNorm', [x, weight, bias], [out], save, ([g], [sx, sw], need) => {
    const r = layerNormBackward(sx, g!, { weight: sw, eps: opts.eps, wantWeight: need[1], wantBias: need[2] });
    if (!need[0]) r.dx.dispose();
    return [need[0] ? r.dx : null, r.dweight ?? null, r.dbias ?? null];
  });
  return out;
}
