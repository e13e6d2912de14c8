// 2-D convolution over NCHW tensors with square or rectangular kernels, zero padding and stride.
// Direct form, register-blocked: an invocation owns a few output channels × a few output columns and
// loops over input channels and the kernel window (convKernel). An implicit-GEMM form would be faster
// still for wide layers (not built). Reference: conv.ref.ts.

import { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { fmtShape } from '../shape.js';
import { memo, requireDtype, sameDevice } from './wgsl.js';
import { defineKernel, type Kernel } from './kernel.js';

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
  if (!out.numel) return out;
  const inputs = [x.buffer, weight.buffer, ...(opts.bias ? [opts.bias.buffer] : [])];
  const CO = Math.min(8, cout);
  const PX = Math.min(4, wo);
  const k = memo(`conv2d:${kh}:${kw}:${pad}:${stride}:${CO}:${PX}:${!!opts.bias}`, () => convKernel(kh, kw, pad, stride, CO, PX, !!opts.bias));
  const xBlocks = Math.ceil(wo / PX);
  const cBlocks = Math.ceil(cout / CO);
  k.launch(device, { inputs, outputs: [out.buffer], count: n * cBlocks * ho * xBlocks, params: { cin, cout, h, w, ho, wo, xBlocks, cBlocks } });
  return out;
}

/**
 * An invocation computes CO output channels × PX neighbouring output columns of one row, so each
 * input value it loads serves CO outputs and each weight PX (loads, not arithmetic, are what cost on
 * software adapters and in memory-bound GPU kernels). The window is baked (kh, kw, padding, stride:
 * constant loops the compiler unrolls); sizes are parameters.
 */
function convKernel(kh: number, kw: number, pad: number, stride: number, CO: number, PX: number, bias: boolean): Kernel {
  const cs = Array.from({ length: CO }, (_, c) => c);
  const ps = Array.from({ length: PX }, (_, q) => q);
  const tap = [
    ...ps.map(
      (q) =>
        `        let ix${q} = i32((ox0 + ${q}u) * ${stride}u + kx) - ${pad};\n        let x${q} = select(0.0, X[xRow + u32(clamp(ix${q}, 0, i32(P.w) - 1))], ix${q} >= 0 && ix${q} < i32(P.w));`,
    ),
    ...cs.map((c) => `        let w${c} = Wt[wb${c} + ky * ${kw}u + kx];`),
    ...cs.flatMap((c) => ps.map((q) => `        a${c}_${q} = fma(x${q}, w${c}, a${c}_${q});`)),
  ].join('\n');
  const store = cs
    .map(
      (c) =>
        `  if (co0 + ${c}u < P.cout) {\n${ps.map((q) => `    if (ox0 + ${q}u < P.wo) { O[((b * P.cout + co0 + ${c}u) * P.ho + oy) * P.wo + ox0 + ${q}u] = a${c}_${q}; }`).join('\n')}\n  }`,
    )
    .join('\n');
  return defineKernel({
    name: 'conv2d',
    inputs: { X: 'f32', Wt: 'f32', ...(bias && { Bias: 'f32' }) },
    outputs: { O: 'f32' },
    params: { cin: 'u32', cout: 'u32', h: 'u32', w: 'u32', ho: 'u32', wo: 'u32', xBlocks: 'u32', cBlocks: 'u32' },
    each: 'thread',
    body: `  let ox0 = (i % P.xBlocks) * ${PX}u;
  let oy = (i / P.xBlocks) % P.ho;
  let co0 = ((i / (P.xBlocks * P.ho)) % P.cBlocks) * ${CO}u;
  let b = i / (P.xBlocks * P.ho * P.cBlocks);
${cs.map((c) => `  let bias${c} = ${bias ? `Bias[min(co0 + ${c}u, P.cout - 1u)]` : '0.0'};`).join('\n')}
${cs.flatMap((c) => ps.map((q) => `  var a${c}_${q}: f32 = bias${c};`)).join('\n')}
  for (var ci = 0u; ci < P.cin; ci = ci + 1u) {
    let xBase = (b * P.cin + ci) * P.h * P.w;
${cs.map((c) => `    let wb${c} = (min(co0 + ${c}u, P.cout - 1u) * P.cin + ci) * ${kh * kw}u;`).join('\n')}
    for (var ky = 0u; ky < ${kh}u; ky = ky + 1u) {
      let iy = i32(oy * ${stride}u + ky) - ${pad};
      if (iy < 0 || iy >= i32(P.h)) { continue; }
      let xRow = xBase + u32(iy) * P.w;
      for (var kx = 0u; kx < ${kw}u; kx = kx + 1u) {
${tap}
      }
    }
  }
${store}`,
  });
}
