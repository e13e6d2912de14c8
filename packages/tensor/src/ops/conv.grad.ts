// Backward of conv2d (conv.ts), in the same direct form as the forward:
// - dx: a transposed convolution, one thread per input element, looping over output channels and the
//   kernel window and keeping the taps that land on the stride grid;
// - dweight: one workgroup per weight element, its 64 invocations striding over (batch, output pixel)
//   and tree-summing the products;
// - dbias: the broadcasting reduce of g over (batch, pixels).
// Reference: conv.grad.ref.ts.

import { Tensor } from '../tensor.js';
import { requireDtype, sameDevice } from './wgsl.js';
import { defineKernel } from './kernel.js';
import { rowKernel, rowMode } from './reduce-kit.js';
import { sumToShape } from './elementwise.grad.js';

export interface Conv2dGrads {
  dx?: Tensor;
  dweight?: Tensor;
  dbias?: Tensor;
}

export function conv2dBackward(
  x: Tensor,
  weight: Tensor,
  g: Tensor,
  opts: { padding?: number; stride?: number },
  want: { x?: boolean; weight?: boolean; bias?: boolean },
): Conv2dGrads {
  const op = 'conv2d_grad';
  const device = sameDevice(op, x, weight, g);
  requireDtype(op, g, 'f32');
  const [n, cin, h, w] = x.shape;
  const [cout, , kh, kw] = weight.shape;
  const [, , ho, wo] = g.shape;
  const pad = opts.padding ?? 0;
  const s = opts.stride ?? 1;
  const res: Conv2dGrads = {};
  if (want.x) {
    const dx = Tensor.empty(device, x.shape);
    defineKernel({
      name: 'conv2d_grad_x',
      inputs: { G: 'f32', Wt: 'f32' },
      outputs: { O: 'f32' },
      each: 'thread',
      body: `  let ix = i32(i % ${w}u);
  let iy = i32((i / ${w}u) % ${h}u);
  let ci = (i / ${w * h}u) % ${cin}u;
  let b = i / ${w * h * cin}u;
  var acc: f32 = 0.0;
  for (var co = 0u; co < ${cout}u; co = co + 1u) {
    let gBase = (b * ${cout}u + co) * ${ho * wo}u;
    let wBase = (co * ${cin}u + ci) * ${kh * kw}u;
    for (var ky = 0; ky < ${kh}; ky = ky + 1) {
      let ty = iy + ${pad} - ky;
      if (ty < 0 || ty % ${s} != 0) { continue; }
      let oy = ty / ${s};
      if (oy >= ${ho}) { continue; }
      for (var kx = 0; kx < ${kw}; kx = kx + 1) {
        let tx = ix + ${pad} - kx;
        if (tx < 0 || tx % ${s} != 0) { continue; }
        let ox = tx / ${s};
        if (ox >= ${wo}) { continue; }
        acc = fma(G[gBase + u32(oy) * ${wo}u + u32(ox)], Wt[wBase + u32(ky) * ${kw}u + u32(kx)], acc);
      }
    }
  }
  O[i] = acc;`,
    }).launch(device, { inputs: [g.buffer, weight.buffer], outputs: [dx.buffer], count: dx.numel });
    res.dx = dx;
  }
  if (want.weight) {
    const dw = Tensor.empty(device, weight.shape);
    const count = n * ho * wo;
    // one row per weight element, summing over every output position it touched
    rowKernel(rowMode(device, dw.numel), 1, {
      name: 'conv2d_grad_w',
      inputs: { G: 'f32', X: 'f32' },
      outputs: { O: 'f32' },
      body: (kit) => `  let kx = i32(r % ${kw}u);
  let ky = i32((r / ${kw}u) % ${kh}u);
  let ci = (r / ${kw * kh}u) % ${cin}u;
  let co = r / ${kw * kh * cin}u;
  var acc: f32 = 0.0;
  ${kit.loop('k', `${count}u`)} {
    let ox = i32(k % ${wo}u);
    let oy = i32((k / ${wo}u) % ${ho}u);
    let b = k / ${wo * ho}u;
    let iy = oy * ${s} + ky - ${pad};
    let ix = ox * ${s} + kx - ${pad};
    if (iy >= 0 && iy < ${h} && ix >= 0 && ix < ${w}) {
      acc = fma(G[((b * ${cout}u + co) * ${ho}u + u32(oy)) * ${wo}u + u32(ox)], X[((b * ${cin}u + ci) * ${h}u + u32(iy)) * ${w}u + u32(ix)], acc);
    }
  }
  let t = ${kit.sum('acc', 0)};
  ${kit.once('O[r] = t;')}`,
    }).launch(device, { inputs: [g.buffer, x.buffer], outputs: [dw.buffer], count: dw.numel });
    res.dweight = dw;
  }
  if (want.bias) {
    const t = sumToShape(g, [cout, 1, 1]);
    res.dbias = t.reshape([cout]);
    t.dispose();
  }
  return res;
}
