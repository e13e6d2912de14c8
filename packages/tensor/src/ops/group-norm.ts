// groupNorm over [N, C, ...spatial]: statistics per (sample, group of C/groups channels), affine per
// channel — the kernel, its float64 reference, the backward and its reference, and the public
// differentiable op; norm-kit.ts with one row per (sample, group).

import { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { fmtShape } from '../shape.js';
import { requireDtype } from './wgsl.js';
import { checkAffine, normBackward, normGradRef, normRows, normaliseRef, type NormBackwardOptions, type NormGrads, type NormGradsRef } from './norm-kit.js';
import type { HostTensor } from './host.js';
import { needsGrad, rawOf, record } from '../autograd/tape.js';

/** GroupNorm over [N, C, ...spatial]: statistics per (sample, group of C/groups channels). */
export function groupNormKernel(x: Tensor, groups: number, opts: { weight?: Tensor; bias?: Tensor; eps?: number } = {}): Tensor {
  requireDtype('groupNorm', x, 'f32');
  if (x.rank < 2) throw new ShapeError('groupNorm', `expects [N, C, ...], got ${fmtShape(x.shape)}`);
  const c = x.shape[1];
  if (!Number.isInteger(groups) || groups <= 0 || c % groups) throw new ShapeError('groupNorm', `${c} channels do not split into ${groups} groups`);
  checkAffine('groupNorm', opts.weight, c, 'weight');
  checkAffine('groupNorm', opts.bias, c, 'bias');
  const spatial = x.numel / (x.shape[0] * c || 1);
  const cpg = c / groups;
  return normRows('groupNorm', x, { len: cpg * spatial, eps: opts.eps ?? 1e-5, channel: 'group', groups, cpg, spatial }, false, opts.weight, opts.bias);
}

/** The float64 reference of groupNormKernel. */
export function groupNormRef(x: HostTensor, groups: number, opts: { weight?: HostTensor; bias?: HostTensor; eps?: number } = {}): HostTensor {
  const c = x.shape[1];
  const spatial = x.data.length / (x.shape[0] * c || 1);
  const cpg = c / groups;
  return normaliseRef(x, cpg * spatial, opts.eps ?? 1e-5, false, (r, j, y) => {
    const ch = (r % groups) * cpg + Math.floor(j / spatial);
    return y * (opts.weight?.data[ch] ?? 1) + (opts.bias?.data[ch] ?? 0);
  });
}

/** Gradients of groupNorm(x, groups, {weight, bias, eps}) over [N, C, ...spatial]. */
export function groupNormBackward(x: Tensor, g: Tensor, groups: number, opts: NormBackwardOptions = {}): NormGrads {
  const [n, c] = x.shape;
  const spatial = x.numel / (n * c || 1);
  const cpg = c / groups;
  const len = cpg * spatial;
  return normBackward({
    op: 'groupNorm',
    x,
    g,
    layout: { len, eps: opts.eps ?? 1e-5, channel: 'group', groups, cpg, spatial },
    rms: false,
    weight: opts.weight,
    channels: c,
    count: n * spatial,
    rowOf: '(k / P.spatial) * P.groups + c / P.cpg',
    indexOf: '((k / P.spatial) * P.groups * P.cpg + c) * P.spatial + k % P.spatial',
    wantWeight: !!opts.wantWeight,
    wantBias: !!opts.wantBias,
  });
}

/** The float64 reference of groupNormBackward: dx, dweight, dbias. */
export function groupNormGradRef(x: HostTensor, g: HostTensor, groups: number, opts: { weight?: HostTensor; eps?: number } = {}): NormGradsRef {
  const c = x.shape[1];
  const spatial = x.data.length / (x.shape[0] * c || 1);
  const cpg = c / groups;
  return normGradRef(x, g, cpg * spatial, opts.eps ?? 1e-5, false, opts.weight, c, (r, j) => (r % groups) * cpg + Math.floor(j / spatial));
}

/** The public op: the kernel, recording its backward on the tape when an input requires gradients. */
export function groupNorm(x: Tensor, groups: number, opts: { weight?: Tensor; bias?: Tensor; eps?: number } = {}): Tensor {
  const { weight, bias } = opts;
  if (!needsGrad(x, weight, bias)) return groupNormKernel(x, groups, opts);
  const out = rawOf(x.device, () => groupNormKernel(x, groups, opts));
  record('groupNorm', [x, weight, bias], [out], weight ? [x, weight] : [x], ([g], [sx, sw], need) => {
    const r = groupNormBackward(sx, g!, groups, { weight: sw, eps: opts.eps, wantWeight: need[1], wantBias: need[2] });
    if (!need[0]) r.dx.dispose();
    return [need[0] ? r.dx : null, r.dweight ?? null, r.dbias ?? null];
  });
  return out;
}
