// Backward of the FLUX rotary embedding (rope.ts). Each pair is multiplied by a 2×2 matrix M, so its
// gradient is Mᵀ times the pair's gradient; pe's gradient (rarely wanted: pe comes from positions) is
// the outer product g ⊗ x summed over the leading axes, one thread per (token, pair).
// Reference: rope.grad.ref.ts.

import { Tensor } from '../tensor.js';
import { grid, requireDtype, sameDevice } from './wgsl.js';

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
    const gr = grid(device, pairs);
    const code = `
@group(0) @binding(0) var<storage, read> G: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read> PE: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> O: array<vec2<f32>>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ${gr.index}
  let m = PE[i % ${lp}u];
  let v = G[i];
  O[i] = vec2<f32>(m.x * v.x + m.z * v.y, m.y * v.x + m.w * v.y);
}`;
    if (pairs) device.dispatch({ name: 'rope_grad_x', code, inputs: [g.buffer, pe.buffer], outputs: [dx.buffer], workgroups: gr.workgroups });
    res.dx = dx;
  }
  if (want.pe) {
    const dpe = Tensor.empty(device, pe.shape);
    const batch = lp ? pairs / lp : 0;
    const gr = grid(device, lp);
    const code = `
@group(0) @binding(0) var<storage, read> G: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read> X: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> O: array<vec4<f32>>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ${gr.index}
  var acc = vec4<f32>(0.0);
  for (var b = 0u; b < ${batch}u; b = b + 1u) {
    let gv = G[b * ${lp}u + i];
    let xv = X[b * ${lp}u + i];
    acc = acc + vec4<f32>(gv.x * xv.x, gv.x * xv.y, gv.y * xv.x, gv.y * xv.y);
  }
  O[i] = acc;
}`;
    if (lp) device.dispatch({ name: 'rope_grad_pe', code, inputs: [g.buffer, x.buffer], outputs: [dpe.buffer], workgroups: gr.workgroups });
    res.dpe = dpe;
  }
  return res;
}
