// adaLN modulation, DiT's and FLUX's `modulate`: LayerNorm(x) without affine, then · (1 + scale) +
// shift per batch item, in one row kernel instead of a norm and two broadcast passes — the kernel, its
// float64 reference, the backward (the norm's with (1 + scale) as a per-batch weight) and its
// reference, and the public differentiable op. x [B, L, C]; shift, scale [B, 1, C] or [B, C].

import { Tensor } from '../tensor.js';
import { sameDevice } from './wgsl.js';
import { modulateShapes, normBackward, normGradRef, normRows, normaliseRef } from './norm-kit.js';
import { addScalarKernel } from './scalar-ops.js';
import { host, type HostTensor } from './host.js';
import { needsGrad, rawOf, record } from '../autograd/tape.js';

/** The kernel: normRows with (1 + scale) as a per-batch weight and shift as the bias. */
export function modulateKernel(x: Tensor, shift: Tensor, scale: Tensor, eps = 1e-6): Tensor {
  const [, L, C] = modulateShapes('modulate', x, shift, scale);
  sameDevice('modulate', x, shift, scale);
  const w = addScalarKernel(scale, 1);
  const out = normRows('modulate', x, { len: C, eps, channel: 'batch', spatial: L }, false, w, shift);
  w.dispose();
  return out;
}

/** The float64 reference of modulateKernel (shift and scale: B·C values). */
export function modulateRef(x: HostTensor, shift: HostTensor, scale: HostTensor, eps = 1e-6): HostTensor {
  const [, L, C] = x.shape;
  return normaliseRef(x, C, eps, false, (r, j, y) => {
    const bc = Math.floor(r / L) * C + j;
    return y * (1 + scale.data[bc]) + shift.data[bc];
  });
}

export interface ModulateGrads {
  dx?: Tensor;
  dshift?: Tensor;
  dscale?: Tensor;
}

/**
 * Gradients of modulate(x, shift, scale, eps): the norm backward with (1 + scale) as a per-batch
 * weight; dscale[b, c] = Σ_t g·x̂ and dshift[b, c] = Σ_t g over the batch item's L tokens (the norm's
 * parameter-gradient kernel with one channel per (b, c)). Shaped like shift and scale.
 */
export function modulateBackward(
  x: Tensor,
  g: Tensor,
  shift: Tensor,
  scale: Tensor,
  eps: number,
  want: { x: boolean; shift: boolean; scale: boolean },
): ModulateGrads {
  const [B, L, C] = modulateShapes('modulate_grad', x, shift, scale);
  const w = addScalarKernel(scale, 1);
  const r = normBackward({
    op: 'modulate',
    x,
    g,
    layout: { len: C, eps, channel: 'batch', spatial: L },
    rms: false,
    weight: w,
    channels: B * C,
    count: L,
    rowOf: '(c / P.len) * P.spatial + k',
    indexOf: '((c / P.len) * P.spatial + k) * P.len + c % P.len',
    wantWeight: want.scale,
    wantBias: want.shift,
  });
  w.dispose();
  if (!want.x) r.dx.dispose();
  const shaped = (t: Tensor | undefined, like: Tensor) => {
    if (!t) return undefined;
    const v = t.reshape(like.shape);
    t.dispose();
    return v;
  };
  return { dx: want.x ? r.dx : undefined, dscale: shaped(r.dweight, scale), dshift: shaped(r.dbias, shift) };
}

/** The float64 reference of modulateBackward: dx, and dshift, dscale shaped like shift and scale. */
export function modulateGradRef(
  x: HostTensor,
  g: HostTensor,
  shift: HostTensor,
  scale: HostTensor,
  eps = 1e-6,
): { dx: HostTensor; dshift: HostTensor; dscale: HostTensor } {
  const [B, L, C] = x.shape;
  const w = host(
    [B * C],
    Array.from(scale.data, (v) => 1 + v),
  );
  const r = normGradRef(x, g, C, eps, false, w, B * C, (row, j) => Math.floor(row / L) * C + j);
  return { dx: r.dx, dshift: host(shift.shape, r.dbias.data), dscale: host(scale.shape, r.dweight.data) };
}

/** The public op: the kernel, recording its backward on the tape when an input requires gradients. */
export function modulate(x: Tensor, shift: Tensor, scale: Tensor, eps = 1e-6): Tensor {
  if (!needsGrad(x, shift, scale)) return modulateKernel(x, shift, scale, eps);
  const out = rawOf(x.device, () => modulateKernel(x, shift, scale, eps));
  record('modulate', [x, shift, scale], [out], [x, shift, scale], ([g], [sx, sshift, sscale], need) => {
    const r = modulateBackward(sx, g!, sshift, sscale, eps, { x: need[0], shift: need[1], scale: need[2] });
    return [r.dx ?? null, r.dshift ?? null, r.dscale ?? null];
  });
  return out;
}
