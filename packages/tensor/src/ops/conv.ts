// 2-D convolution over NCHW tensors with square or rectangular kernels, zero padding and stride.
// Direct form: one thread per output element, looping over input channels and the kernel window.
// It is the plain, always-correct kernel; the VAE decoders are where a faster implicit-GEMM form
// would pay off (not built yet). Reference: conv.ref.ts.

import { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { fmtShape } from '../shape.js';
import { grid, requireDtype, sameDevice } from './wgsl.js';

export interface Conv2dOptions {
  bias?: Tensor;
  padding?: number;
  stride?: number;
}

export function conv2d(x: Tensor, weight: Tensor, opts: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  const device = sameDevice(op, x, weight, ...(opts.bias ? [opts.bias] : []));
  requireDtype(op, x, 'f32');
  requireDtype(op, weight, 'f32');
  if (x.rank !== 4) throw new ShapeError(op, `input must be [N, C, H, W], got ${fmtShape(x.shape)}`);
  if (weight.rank !== 4) throw new ShapeError(op, `weight must be [Cout, Cin, kh, kw], got ${fmtShape(weight.shape)}`);
  const [n, cin, h, w] = x.shape;
  const [cout, wcin, kh, kw] = weight.shape;
  if (wcin !== cin) throw new ShapeError(op, `input ${fmtShape(x.shape)} has ${cin} channels, weight ${fmtShape(weight.shape)} expects ${wcin}`);
  const pad = opts.padding ?? 0;
  const stride = opts.stride ?? 1;
  if (opts.bias) {
    requireDtype(op, opts.bias, 'f32');
    if (opts.bias.numel !== cout) throw new ShapeError(op, `bias must have ${cout} elements, got ${fmtShape(opts.bias.shape)}`);
  }
  const ho = Math.floor((h + 2 * pad - kh) / stride) + 1;
  const wo = Math.floor((w + 2 * pad - kw) / stride) + 1;
  if (ho <= 0 || wo <= 0) throw new ShapeError(op, `kernel ${kh}×${kw} with padding ${pad} does not fit input ${fmtShape(x.shape)}`);
  const out = Tensor.empty(device, [n, cout, ho, wo]);
  const inputs = [x.buffer, weight.buffer];
  if (opts.bias) inputs.push(opts.bias.buffer);
  const g = grid(device, out.numel);
  const code = `
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
${opts.bias ? '@group(0) @binding(2) var<storage, read> Bias: array<f32>;' : ''}
@group(0) @binding(${inputs.length}) var<storage, read_write> O: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ${g.index}
  let ox = i % ${wo}u;
  let oy = (i / ${wo}u) % ${ho}u;
  let co = (i / ${wo * ho}u) % ${cout}u;
  let b = i / ${wo * ho * cout}u;
  var acc: f32 = ${opts.bias ? 'Bias[co]' : '0.0'};
  for (var ci = 0u; ci < ${cin}u; ci = ci + 1u) {
    let xBase = (b * ${cin}u + ci) * ${h * w}u;
    let wBase = (co * ${cin}u + ci) * ${kh * kw}u;
    for (var ky = 0u; ky < ${kh}u; ky = ky + 1u) {
      let iy = i32(oy * ${stride}u + ky) - ${pad};
      if (iy < 0 || iy >= ${h}) { continue; }
      for (var kx = 0u; kx < ${kw}u; kx = kx + 1u) {
        let ix = i32(ox * ${stride}u + kx) - ${pad};
        if (ix < 0 || ix >= ${w}) { continue; }
        acc = fma(X[xBase + u32(iy) * ${w}u + u32(ix)], Wt[wBase + ky * ${kw}u + kx], acc);
      }
    }
  }
  O[i] = acc;
}`;
  if (out.numel) device.dispatch({ name: op, code, inputs, outputs: [out.buffer], workgroups: g.workgroups });
  return out;
}
