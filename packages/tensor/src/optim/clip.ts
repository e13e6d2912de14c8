// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_: total = ‖(g₁, g₂, …)‖₂ over every
// gradient; each gradient is multiplied by min(1, maxNorm / (total + 1e-6)). All on the GPU: per
// parameter a two-stage sum of squares into a stats buffer, one invocation for the norm and factor,
// then an in-place scale per gradient. No readback; the norm comes back as a tensor to read if wanted.

import { Tensor } from '../tensor.js';
import type { Device } from '../device/device.js';
import { ClearditError } from '../errors.js';
import { f32Lit, grid } from '../ops/wgsl.js';
import { foldPartials, partialCount, stageOne } from './reduce.js';
import { namedParams, type NamedParams } from './optimizer.js';

/**
 * Clips the gradients of `params` (those with a gradient) in place to a global L2 norm of at most
 * `maxNorm`. Returns the norm before clipping as a one-element tensor (the caller disposes it).
 */
export function clipGradNorm(params: NamedParams | readonly Tensor[], maxNorm: number): Tensor {
  const list: Tensor[] = Array.isArray(params) && (params.length === 0 || params[0] instanceof Tensor) ? [...(params as Tensor[])] : namedParams(params as NamedParams).map(([, t]) => t);
  const grads = list.map((p) => p.grad).filter((g): g is Tensor => !!g && g.numel > 0);
  if (!list.length) throw new ClearditError('clipGradNorm: no parameters');
  const device: Device = list[0].device;
  const stats = Tensor.empty(device, [2 * Math.max(1, grads.length)]);
  grads.forEach((g, j) => {
    const parts = partialCount(g.numel);
    const part = Tensor.empty(device, [2 * parts]);
    const k = stageOne(
      device,
      g.numel,
      `@group(0) @binding(0) var<storage, read> G: array<f32>;
@group(0) @binding(1) var<storage, read_write> PART: array<vec2<f32>>;`,
      'let v = G[i]; contrib = vec2<f32>(v * v, 0.0);',
    );
    device.dispatch({ name: 'clip_sumsq', code: k.code, inputs: [g.buffer], outputs: [part.buffer], workgroups: k.workgroups });
    foldPartials(device, part, parts, stats, j);
    part.dispose();
  });
  const total = Tensor.empty(device, [1]);
  const coef = Tensor.empty(device, [1]);
  const code = `
@group(0) @binding(0) var<storage, read> STATS: array<f32>;
@group(0) @binding(1) var<storage, read_write> O: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@compute @workgroup_size(1)
fn main() {
  var t: f32 = 0.0;
  for (var j = 0u; j < ${grads.length}u; j = j + 1u) { t = t + STATS[2u * j]; }
  let n = sqrt(t);
  O[0] = n;
  C[0] = min(1.0, ${f32Lit(maxNorm)} / (n + 1e-6));
}`;
  device.dispatch({ name: 'clip_norm', code, inputs: [stats.buffer], outputs: [total.buffer, coef.buffer], workgroups: [1] });
  for (const g of grads) {
    const gr = grid(device, g.numel);
    const scale = `
@group(0) @binding(0) var<storage, read> N: array<f32>;
@group(0) @binding(1) var<storage, read_write> G: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ${gr.index}
  G[i] = G[i] * N[0];
}`;
    device.dispatch({ name: 'clip_scale', code: scale, inputs: [coef.buffer], outputs: [g.buffer], workgroups: gr.workgroups });
  }
  stats.dispose();
  coef.dispose();
  return total;
}
