// CLEAR's down-factor variant (spec/clear.md §3): each d×d cell of image keys (and values) pooled into
// one global token with a learnable d×d map ω, shared over batch, heads and channels. Forward pools;
// backward sends the pooled tokens' gradients back to the image tokens (×ω) and sums dω.
// x is [B, H, T+N, D]; pooled tokens are [B, H, N/d², D], cells in row-major order.

import { Tensor, defineKernel, rowKernel } from '@cleardit/tensor';
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
  defineKernel({
    name: 'clear_pool',
    inputs: { X: 'f32', Wt: 'f32' },
    outputs: { O: 'f32' },
    each: 'thread',
    body: `  let c = i % ${D}u;
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
  O[i] = acc;`,
  }).launch(x.device, { inputs: [x.buffer, weight.buffer], outputs: [out.buffer], count: BH * P * D });
  return out;
}

/** dx [B, H, T+N, D] from the extended gradient [B, H, T+N+P, D]: image token += ω[a,b]·(its cell's gradient). */
export function unpoolAdd(plan: AttentionPlan, dxExt: Tensor, weight: Tensor): Tensor {
  const { B, H, D, d, cw, T, w } = geometry(plan, dxExt);
  const Lk = dxExt.shape[2];
  const L = plan.queryLength;
  const out = Tensor.empty(dxExt.device, [B, H, L, D]);
  defineKernel({
    name: 'clear_unpool',
    inputs: { G: 'f32', Wt: 'f32' },
    outputs: { O: 'f32' },
    each: 'thread',
    body: `  let c = i % ${D}u;
  let t = (i / ${D}u) % ${L}u;
  let bh = i / ${D * L}u;
  var v = G[(bh * ${Lk}u + t) * ${D}u + c];
  if (t >= ${T}u) {
    let y = (t - ${T}u) / ${w}u;
    let x = (t - ${T}u) % ${w}u;
    let p = (y / ${d}u) * ${cw}u + x / ${d}u;
    v = v + Wt[(y % ${d}u) * ${d}u + x % ${d}u] * G[(bh * ${Lk}u + ${L}u + p) * ${D}u + c];
  }
  O[i] = v;`,
  }).launch(dxExt.device, { inputs: [dxExt.buffer, weight.buffer], outputs: [out.buffer], count: B * H * L * D });
  return out;
}

/** dω[a,b] = Σ over batch, heads, cells, channels of dk̄·k(cell,a,b) + dv̄·v(cell,a,b). One row per (a, b). */
export function spatialWeightGrad(plan: AttentionPlan, k: Tensor, v: Tensor, dkExt: Tensor, dvExt: Tensor): Tensor {
  const { BH, L, D, d, cw, P, T, w } = geometry(plan, k);
  const Lk = dkExt.shape[2];
  const out = Tensor.empty(k.device, [d, d]);
  const n = BH * P * D;
  // few rows (d² of them), each long: a workgroup per row on every adapter
  rowKernel('group', 1, {
    name: 'clear_dweight',
    inputs: { K: 'f32', V: 'f32', GK: 'f32', GV: 'f32' },
    outputs: { O: 'f32' },
    body: (kit) => `  let a = r / ${d}u;
  let b = r % ${d}u;
  var acc: f32 = 0.0;
  ${kit.loop('i', `${n}u`)} {
    let c = i % ${D}u;
    let p = (i / ${D}u) % ${P}u;
    let bh = i / ${D * P}u;
    let tok = ${T}u + ((p / ${cw}u) * ${d}u + a) * ${w}u + (p % ${cw}u) * ${d}u + b;
    let gi = (bh * ${Lk}u + ${L}u + p) * ${D}u + c;
    let xi = (bh * ${L}u + tok) * ${D}u + c;
    acc = acc + GK[gi] * K[xi] + GV[gi] * V[xi];
  }
  let t = ${kit.sum('acc', 0)};
  ${kit.once('O[r] = t;')}`,
  }).launch(k.device, { inputs: [k.buffer, v.buffer, dkExt.buffer, dvExt.buffer], outputs: [out.buffer], count: d * d });
  return out;
}
