// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_: total = ‖(g₁, g₂, …)‖₂ over every
// gradient; each gradient is multiplied by min(1, maxNorm / (total + 1e-6)). All on the GPU: per
// parameter a two-stage sum of squares into a stats buffer, one invocation for the norm and factor,
// then an in-place scale per gradient. No readback; the norm comes back as a tensor to read if wanted.

import { Tensor } from '../tensor.js';
import type { Device } from '../device/device.js';
import { ClearditError } from '../errors.js';
import { memo } from '../ops/wgsl.js';
import { defineKernel } from '../ops/kernel.js';
import { foldPartials, partialCount, stageOne, stageOneLaunch } from './reduce.js';

const SUMSQ = () => memo('clip_sumsq', () => stageOne('clip_sumsq', { G: 'f32' }, {}, 'let v = G[i]; contrib = vec2<f32>(v * v, 0.0);'));
const SCALE = () =>
  memo('clip_scale', () => defineKernel({ name: 'clip_scale', inputs: { N: 'f32' }, outputs: { G: 'f32' }, each: 'thread', body: '  G[i] = G[i] * N[0];' }));
import { namedParams, type NamedParams } from './optimizer.js';

/**
 * Clips the gradients of `params` (those with a gradient) in place to a global L2 norm of at most
 * `maxNorm`. Returns the norm before clipping as a one-element tensor (the caller disposes it).
 */
export function clipGradNorm(params: NamedParams | readonly Tensor[], maxNorm: number): Tensor {
  const list: Tensor[] =
    Array.isArray(params) && (params.length === 0 || params[0] instanceof Tensor)
      ? [...(params as Tensor[])]
      : namedParams(params as NamedParams).map(([, t]) => t);
  const grads = list.map((p) => p.grad).filter((g): g is Tensor => !!g && g.numel > 0);
  if (!list.length) throw new ClearditError('clipGradNorm: no parameters');
  const device: Device = list[0].device;
  const stats = Tensor.empty(device, [2 * Math.max(1, grads.length)]);
  grads.forEach((g, j) => {
    const parts = partialCount(g.numel);
    const part = Tensor.empty(device, [2 * parts]);
    stageOneLaunch(device, SUMSQ(), g.numel, [g.buffer], [part.buffer]);
    foldPartials(device, part, parts, stats, j);
    part.dispose();
  });
  const total = Tensor.empty(device, [1]);
  const coef = Tensor.empty(device, [1]);
  memo('clip_norm', () =>
    defineKernel({
      name: 'clip_norm',
      inputs: { STATS: 'f32' },
      outputs: { O: 'f32', C: 'f32' },
      params: { grads: 'u32', maxNorm: 'f32' },
      workgroupSize: 1,
      each: 'grid',
      body: `  var t: f32 = 0.0;
  for (var j = 0u; j < P.grads; j = j + 1u) { t = t + STATS[2u * j]; }
  let n = sqrt(t);
  O[0] = n;
  C[0] = min(1.0, P.maxNorm / (n + 1e-6));`,
    }),
  ).launch(device, { inputs: [stats.buffer], outputs: [total.buffer, coef.buffer], params: { grads: grads.length, maxNorm }, workgroups: [1] });
  for (const g of grads) {
    SCALE().launch(device, { inputs: [coef.buffer], outputs: [g.buffer], count: g.numel });
  }
  stats.dispose();
  coef.dispose();
  return total;
}
