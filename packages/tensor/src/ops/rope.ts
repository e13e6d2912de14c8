// rope, FLUX's rotary embedding: each head vector's adjacent pairs (x[2i], x[2i+1]) are multiplied by
// a 2×2 matrix per (token, pair): pe[l, i] = [[cos θ, −sin θ], [sin θ, cos θ]] (golden README).
// x [..., L, D] with pe [L, D/2, 2, 2] broadcast over the leading axes. Here: the kernel, its
// reference, the backward (each pair's gradient is Mᵀ times the pair's; pe's, rarely wanted as pe
// comes from positions, is g ⊗ x summed over the leading axes, one thread per (token, pair)) and its
// reference, and the public differentiable op.

import { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { fmtShape } from '../shape.js';
import { requireDtype, sameDevice } from './wgsl.js';
import { defineKernel } from './kernel.js';
import { host, type HostTensor } from './host.js';
import { needsGrad, rawOf, record } from '../autograd/tape.js';

/** x [..., L, D] rotated pair by pair by pe [L, D/2, 2, 2]. */
export function ropeKernel(x: Tensor, pe: Tensor): Tensor {
  const op = 'rope';
  const device = sameDevice(op, x, pe);
  requireDtype(op, x, 'f32');
  requireDtype(op, pe, 'f32');
  const D = x.shape[x.rank - 1];
  const L = x.shape[x.rank - 2];
  if (x.rank < 2 || D % 2) throw new ShapeError(op, `x must be [..., L, D] with even D, got ${fmtShape(x.shape)}`);
  if (pe.numel !== L * D * 2) throw new ShapeError(op, `pe must be [${L}, ${D / 2}, 2, 2] for x ${fmtShape(x.shape)}, got ${fmtShape(pe.shape)}`);
  const out = Tensor.empty(device, x.shape);
  const pairs = x.numel / 2;
  defineKernel({
    name: op,
    inputs: { X: 'vec2<f32>', PE: 'vec4<f32>' },
    outputs: { O: 'vec2<f32>' },
    each: 'thread',
    body: `  let m = PE[i % ${L * (D / 2)}u];   // (cos, -sin, sin, cos) for this token and pair
  let v = X[i];
  O[i] = vec2<f32>(m.x * v.x + m.y * v.y, m.z * v.x + m.w * v.y);`,
  }).launch(device, { inputs: [x.buffer, pe.buffer], outputs: [out.buffer], count: pairs });
  return out;
}

/** The float64 reference of ropeKernel. */
export function ropeRef(x: HostTensor, pe: HostTensor): HostTensor {
  const D = x.shape[x.shape.length - 1];
  const L = x.shape[x.shape.length - 2];
  const out = host(x.shape);
  for (let p = 0; p < x.data.length / 2; p++) {
    const m = (p % ((L * D) / 2)) * 4;
    const [a, b] = [x.data[2 * p], x.data[2 * p + 1]];
    out.data[2 * p] = pe.data[m] * a + pe.data[m + 1] * b;
    out.data[2 * p + 1] = pe.data[m + 2] * a + pe.data[m + 3] * b;
  }
  return out;
}

/** dx (Mᵀ·g per pair) and dpe (g ⊗ x summed over the leading axes), those wanted. */
export function ropeBackward(x: Tensor, pe: Tensor, g: Tensor, want: { x?: boolean; pe?: boolean }): { dx?: Tensor; dpe?: Tensor } {
  const op = 'rope_grad';
  const device = sameDevice(op, x, pe, g);
  requireDtype(op, g, 'f32');
  const D = x.shape[x.rank - 1];
  const L = x.shape[x.rank - 2];
  const pairs = x.numel / 2;
  const lp = L * (D / 2);
  const res: { dx?: Tensor; dpe?: Tensor } = {};
  if (want.x) {
    const dx = Tensor.empty(device, x.shape);
    defineKernel({
      name: 'rope_grad_x',
      inputs: { G: 'vec2<f32>', PE: 'vec4<f32>' },
      outputs: { O: 'vec2<f32>' },
      each: 'thread',
      body: `  let m = PE[i % ${lp}u];
  let v = G[i];
  O[i] = vec2<f32>(m.x * v.x + m.z * v.y, m.y * v.x + m.w * v.y);`,
    }).launch(device, { inputs: [g.buffer, pe.buffer], outputs: [dx.buffer], count: pairs });
    res.dx = dx;
  }
  if (want.pe) {
    const dpe = Tensor.empty(device, pe.shape);
    const batch = lp ? pairs / lp : 0;
    defineKernel({
      name: 'rope_grad_pe',
      inputs: { G: 'vec2<f32>', X: 'vec2<f32>' },
      outputs: { O: 'vec4<f32>' },
      each: 'thread',
      body: `  var acc = vec4<f32>(0.0);
  for (var b = 0u; b < ${batch}u; b = b + 1u) {
    let gv = G[b * ${lp}u + i];
    let xv = X[b * ${lp}u + i];
    acc = acc + vec4<f32>(gv.x * xv.x, gv.x * xv.y, gv.y * xv.x, gv.y * xv.y);
  }
  O[i] = acc;`,
    }).launch(device, { inputs: [g.buffer, x.buffer], outputs: [dpe.buffer], count: lp });
    res.dpe = dpe;
  }
  return res;
}

/** The float64 reference of ropeBackward: [dx, dpe]. */
export function ropeGradRef(x: HostTensor, pe: HostTensor, g: HostTensor): [HostTensor, HostTensor] {
  const D = x.shape[x.shape.length - 1];
  const L = x.shape[x.shape.length - 2];
  const dx = host(x.shape);
  const dpe = host(pe.shape);
  for (let p = 0; p < x.data.length / 2; p++) {
    const m = (p % ((L * D) / 2)) * 4;
    const [a, b] = [x.data[2 * p], x.data[2 * p + 1]];
    const [ga, gb] = [g.data[2 * p], g.data[2 * p + 1]];
    dx.data[2 * p] = pe.data[m] * ga + pe.data[m + 2] * gb;
    dx.data[2 * p + 1] = pe.data[m + 1] * ga + pe.data[m + 3] * gb;
    dpe.data[m] += ga * a;
    dpe.data[m + 1] += ga * b;
    dpe.data[m + 2] += gb * a;
    dpe.data[m + 3] += gb * b;
  }
  return [dx, dpe];
}

/** The public op: the kernel, recording its backward on the tape when an input requires gradients. */
export function rope(x: Tensor, pe: Tensor): Tensor {
  if (!needsGrad(x, pe)) return ropeKernel(x, pe);
  const out = rawOf(x.device, () => ropeKernel(x, pe));
  record('rope', [x, pe], [out], [x, pe], ([g], [sx, spe], need) => {
    const r = ropeBackward(sx, spe, g!, { x: need[0], pe: need[1] });
    return [r.dx, r.dpe];
  });
  return out;
}
