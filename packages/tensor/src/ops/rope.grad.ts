// Backward of the FLUX rotary embedding (rope.ts). Each pair is multiplied by a 2×2 matrix M, so its
// gradient is Mᵀ times the pair's gradient; pe's gradient (rarely wanted: pe comes from positions) is
// the outer product g ⊗ x summed over the leading axes, one thread per (token, pair).
// Reference: rope.grad.ref.ts.

import { Tensor } from '../tensor.js';
import { requireDtype, sameDevice } from './wgsl.js';
import { defineKernel } from './kernel.js';

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
