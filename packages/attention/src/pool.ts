// CLEAR's down-factor variant (spec/clear.md §3): each d×d cell of image keys (and values) pooled into
// one global token with a learnable d×d map ω, shared over batch, heads and channels. Forward pools;
// backward sends the pooled tokens' gradients back to the image tokens (×ω) and sums dω.
// x is [B, H, T+N, D]; pooled tokens are [B, H, N/d², D], cells in row-major order.

import { Tensor, grid } from '@cleardit/tensor';
import type { AttentionPlan } from './plan.js';

function geometry(plan: AttentionPlan, x: Tensor) {
  const [B, H, L, D] = x.shape;
  const d = plan.downFactor;
  const cw = plan.width / d;
  const P = (plan.height / d) * cw;
  return { BH: B * H, B, H, L, D, d, cw, P, T: plan.textLength, w: plan.width };
}

/** Pooled tokens [B, H, P, D]. */
export function pool(plan: AttentionPlan, x: Tensor, weight: Tensor): Tensor {
  const { BH, B, H, L, D, d, cw, P, T, w } = geometry(plan, x);
  const out = Tensor.empty(x.device, [B, H, P, D]);
  const g = grid(x.device, BH * P * D);
  const code = `
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ${g.index}
  let c = i % ${D}u;
  let p = (i / ${D}u) % ${P}u;
  let bh = i / ${D * P}u;
  let y0 = (p / ${cw}u) * ${d}u;
  let x0 = (p % ${cw}u) * ${d}u;
  var acc: f32 = 0.0;
  for (var a = 0u; a < ${d}u; a = a + 1u) {
    for (var b = 0u; b < ${d}u; b = b + 1u) {
      acc = acc + Wt[a * ${d}u + b] * X[(bh * ${L}u + ${T}u + (y0 + a) * ${w}u + x0 + b) * ${D}u + c];
    }
  }
  O[i] = acc;
}`;
  x.device.dispatch({ name: 'clear_pool', code, inputs: [x.buffer, weight.buffer], outputs: [out.buffer], workgroups: g.workgroups });
  return out;
}

/** dx [B, H, T+N, D] from the extended gradient [B, H, T+N+P, D]: image token += ω[a,b]·(its cell's gradient). */
export function unpoolAdd(plan: AttentionPlan, dxExt: Tensor, weight: Tensor): Tensor {
  const { B, H, D, d, cw, T, w } = geometry(plan, dxExt);
  const Lk = dxExt.shape[2];
  const L = plan.queryLength;
  const out = Tensor.empty(dxExt.device, [B, H, L, D]);
  const g = grid(dxExt.device, B * H * L * D);
  const code = `
@group(0) @binding(0) var<storage, read> G: array<f32>;
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ${g.index}
  let c = i % ${D}u;
  let t = (i / ${D}u) % ${L}u;
  let bh = i / ${D * L}u;
  var v = G[(bh * ${Lk}u + t) * ${D}u + c];
  if (t >= ${T}u) {
    let y = (t - ${T}u) / ${w}u;
    let x = (t - ${T}u) % ${w}u;
    let p = (y / ${d}u) * ${cw}u + x / ${d}u;
    v = v + Wt[(y % ${d}u) * ${d}u + x % ${d}u] * G[(bh * ${Lk}u + ${L}u + p) * ${D}u + c];
  }
  O[i] = v;
}`;
  dxExt.device.dispatch({ name: 'clear_unpool', code, inputs: [dxExt.buffer, weight.buffer], outputs: [out.buffer], workgroups: g.workgroups });
  return out;
}

/** dω[a,b] = Σ over batch, heads, cells, channels of dk̄·k(cell,a,b) + dv̄·v(cell,a,b). One workgroup per (a, b). */
export function spatialWeightGrad(plan: AttentionPlan, k: Tensor, v: Tensor, dkExt: Tensor, dvExt: Tensor): Tensor {
  const { BH, L, D, d, cw, P, T, w } = geometry(plan, k);
  const Lk = dkExt.shape[2];
  const out = Tensor.empty(k.device, [d, d]);
  const n = BH * P * D;
  const code = `
@group(0) @binding(0) var<storage, read> K: array<f32>;
@group(0) @binding(1) var<storage, read> V: array<f32>;
@group(0) @binding(2) var<storage, read> GK: array<f32>;
@group(0) @binding(3) var<storage, read> GV: array<f32>;
@group(0) @binding(4) var<storage, read_write> O: array<f32>;
var<workgroup> red: array<f32, 64>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lidv: vec3<u32>) {
  let lid = lidv.x;
  let a = wid.x / ${d}u;
  let b = wid.x % ${d}u;
  var acc: f32 = 0.0;
  for (var i = lid; i < ${n}u; i = i + 64u) {
    let c = i % ${D}u;
    let p = (i / ${D}u) % ${P}u;
    let bh = i / ${D * P}u;
    let tok = ${T}u + ((p / ${cw}u) * ${d}u + a) * ${w}u + (p % ${cw}u) * ${d}u + b;
    let gi = (bh * ${Lk}u + ${L}u + p) * ${D}u + c;
    let xi = (bh * ${L}u + tok) * ${D}u + c;
    acc = acc + GK[gi] * K[xi] + GV[gi] * V[xi];
  }
  red[lid] = acc;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { O[wid.x] = red[0]; }
}`;
  k.device.dispatch({ name: 'clear_dweight', code, inputs: [k.buffer, v.buffer, dkExt.buffer, dvExt.buffer], outputs: [out.buffer], workgroups: [d * d] });
  return out;
}
