// FLUX's rotary embedding: each head vector's adjacent pairs (x[2i], x[2i+1]) are multiplied by a
// 2×2 matrix per (token, pair): pe[l, i] = [[cos θ, −sin θ], [sin θ, cos θ]] (golden README).
// x [..., L, D] with pe [L, D/2, 2, 2] broadcast over the leading axes. Reference: rope.ref.ts.
import { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { fmtShape } from '../shape.js';
import { requireDtype, sameDevice } from './wgsl.js';
import { defineKernel } from './kernel.js';

export function rope(x: Tensor, pe: Tensor): Tensor {
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
