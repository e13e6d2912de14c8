// conv2d over NCHW tensors with square or rectangular kernels, zero padding and stride — the kernel,
// its float64 reference, the backward and its reference, and the public differentiable op.
// Forward: direct form, register-blocked: an invocation owns a few output channels × a few output
// columns and loops over input channels and the kernel window (convKernel). An implicit-GEMM form
// would be faster still for wide layers (not built). Backward, in the same direct form:
// - dx: a transposed convolution, one thread per input element, looping over output channels and the
//   kernel window and keeping the taps that land on the stride grid;
// - dweight: one row per weight element (reduce-kit.ts), striding over (batch, output pixel);
// - dbias: the broadcasting reduce of g over (batch, pixels).

import { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { fmtShape } from '../shape.js';
import { memo, requireDtype, sameDevice } from './wgsl.js';
import { defineKernel, type Kernel } from './kernel.js';
import { rowKernel, rowMode } from './reduce-kit.js';
import { sumToShape } from './elementwise.grad.js';
import { host, type HostTensor } from './host.js';
import { needsGrad, rawOf, record } from '../autograd/tape.js';

export interface Conv2dOptions {
  bias?: Tensor;
  padding?: number;
  stride?: number;
}

/** x [N, C, H, W] ⊛ weight [Cout, C, kh, kw] (+ bias [Cout]) → [N, Cout, Ho, Wo]. */
export function conv2dKernel(x: Tensor, weight: Tensor, opts: Conv2dOptions = {}): Tensor {
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

/** The float64 reference of conv2dKernel. */
export function conv2dRef(x: HostTensor, weight: HostTensor, opts: { bias?: HostTensor; padding?: number; stride?: number } = {}): HostTensor {
  const [n, cin, h, w] = x.shape;
  const [cout, , kh, kw] = weight.shape;
  const pad = opts.padding ?? 0;
  const s = opts.stride ?? 1;
  const ho = Math.floor((h + 2 * pad - kh) / s) + 1;
  const wo = Math.floor((w + 2 * pad - kw) / s) + 1;
  const out = host([n, cout, ho, wo]);
  for (let b = 0; b < n; b++)
    for (let co = 0; co < cout; co++)
      for (let oy = 0; oy < ho; oy++)
        for (let ox = 0; ox < wo; ox++) {
          let acc = opts.bias?.data[co] ?? 0;
          for (let ci = 0; ci < cin; ci++)
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * s + ky - pad;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * s + kx - pad;
                if (ix < 0 || ix >= w) continue;
                acc += x.data[((b * cin + ci) * h + iy) * w + ix] * weight.data[((co * cin + ci) * kh + ky) * kw + kx];
              }
            }
          out.data[((b * cout + co) * ho + oy) * wo + ox] = acc;
        }
  return out;
}

// ---- backward ------------------------------------------------------------------------------------

export interface Conv2dGrads {
  dx?: Tensor;
  dweight?: Tensor;
  dbias?: Tensor;
}

/** dx, dweight and dbias (those wanted) of conv2d given the output's gradient g (see the header). */
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

/** The float64 reference of conv2dBackward: [dx, dweight, dbias]. */
export function conv2dGradRef(
  x: HostTensor,
  weight: HostTensor,
  g: HostTensor,
  opts: { padding?: number; stride?: number } = {},
): [HostTensor, HostTensor, HostTensor] {
  const [n, cin, h, w] = x.shape;
  const [cout, , kh, kw] = weight.shape;
  const [, , ho, wo] = g.shape;
  const pad = opts.padding ?? 0;
  const s = opts.stride ?? 1;
  const dx = host(x.shape);
  const dw = host(weight.shape);
  const db = host([cout]);
  for (let b = 0; b < n; b++)
    for (let co = 0; co < cout; co++)
      for (let oy = 0; oy < ho; oy++)
        for (let ox = 0; ox < wo; ox++) {
          const gv = g.data[((b * cout + co) * ho + oy) * wo + ox];
          db.data[co] += gv;
          for (let ci = 0; ci < cin; ci++)
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * s + ky - pad;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * s + kx - pad;
                if (ix < 0 || ix >= w) continue;
                const xi = ((b * cin + ci) * h + iy) * w + ix;
                const wi = ((co * cin + ci) * kh + ky) * kw + kx;
                dx.data[xi] += gv * weight.data[wi];
                dw.data[wi] += gv * x.data[xi];
              }
            }
        }
  return [dx, dw, db];
}

/** The public op: the kernel, recording its backward on the tape when an input requires gradients. */
export function conv2d(x: Tensor, weight: Tensor, opts: Conv2dOptions = {}): Tensor {
  if (!needsGrad(x, weight, opts.bias)) return conv2dKernel(x, weight, opts);
  const out = rawOf(x.device, () => conv2dKernel(x, weight, opts));
  record('conv2d', [x, weight, opts.bias], [out], [x, weight], ([g], [sx, sw], need) => {
    const r = conv2dBackward(sx, sw, g!, opts, { x: need[0], weight: need[1], bias: need[2] });
    return [r.dx, r.dweight, r.dbias];
  });
  return out;
}
