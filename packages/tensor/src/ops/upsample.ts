// upsampleNearest2x: nearest-neighbour 2× upsampling of the last two axes ([..., H, W] → [..., 2H,
// 2W]) — the kernel, its reference, the backward (each input pixel sums its 2×2 block) and its
// reference, and the public differentiable op.

import { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { fmtShape } from '../shape.js';
import { memo, requireDtype } from './wgsl.js';
import { defineKernel } from './kernel.js';
import { host, type HostTensor } from './host.js';
import { needsGrad, rawOf, record } from '../autograd/tape.js';

/** Nearest-neighbour 2× upsampling of the last two axes ([..., H, W] → [..., 2H, 2W]). */
export function upsampleNearest2xKernel(x: Tensor): Tensor {
  const op = 'upsampleNearest2x';
  requireDtype(op, x, 'f32');
  if (x.rank < 2) throw new ShapeError(op, `expects [..., H, W], got ${fmtShape(x.shape)}`);
  const [h, w] = x.shape.slice(-2);
  const out = Tensor.empty(x.device, [...x.shape.slice(0, -2), 2 * h, 2 * w]);
  const k = memo(`upsample2x:${h}:${w}`, () =>
    defineKernel({
      name: op,
      inputs: { X: 'f32' },
      outputs: { O: 'f32' },
      each: 'thread',
      body: `  let plane = i / ${4 * h * w}u;
  let r = i % ${4 * h * w}u;
  let y = r / ${2 * w}u;
  let xx = r % ${2 * w}u;
  O[i] = X[plane * ${h * w}u + (y / 2u) * ${w}u + xx / 2u];`,
    }),
  );
  k.launch(x.device, { inputs: [x.buffer], outputs: [out.buffer], count: out.numel });
  return out;
}

/** The reference of upsampleNearest2xKernel. */
export function upsampleNearest2xRef(x: HostTensor): HostTensor {
  const [h, w] = x.shape.slice(-2);
  const out = host([...x.shape.slice(0, -2), 2 * h, 2 * w]);
  const planes = x.data.length / (h * w || 1);
  for (let p = 0; p < planes; p++)
    for (let y = 0; y < 2 * h; y++) for (let xx = 0; xx < 2 * w; xx++) out.data[(p * 2 * h + y) * 2 * w + xx] = x.data[(p * h + (y >> 1)) * w + (xx >> 1)];
  return out;
}

/** The gradient of upsampleNearest2x: each input pixel sums its 2×2 block of g. */
export function upsampleNearest2xBackward(g: Tensor): Tensor {
  requireDtype('upsample_grad', g, 'f32');
  const [h2, w2] = g.shape.slice(-2);
  const [h, w] = [h2 / 2, w2 / 2];
  const out = Tensor.empty(g.device, [...g.shape.slice(0, -2), h, w]);
  defineKernel({
    name: 'upsample_grad',
    inputs: { G: 'f32' },
    outputs: { O: 'f32' },
    each: 'thread',
    body: `  let plane = i / ${h * w}u;
  let y = (i / ${w}u) % ${h}u;
  let x = i % ${w}u;
  let b = plane * ${4 * h * w}u + 2u * y * ${w2}u + 2u * x;
  O[i] = (G[b] + G[b + 1u]) + (G[b + ${w2}u] + G[b + ${w2 + 1}u]);`,
  }).launch(g.device, { inputs: [g.buffer], outputs: [out.buffer], count: out.numel });
  return out;
}

/** The reference of upsampleNearest2xBackward. */
export function upsampleNearest2xGradRef(g: HostTensor): HostTensor {
  const [h2, w2] = g.shape.slice(-2);
  const [h, w] = [h2 / 2, w2 / 2];
  const out = host([...g.shape.slice(0, -2), h, w]);
  const planes = out.data.length / (h * w || 1);
  for (let p = 0; p < planes; p++)
    for (let y = 0; y < h2; y++) for (let x = 0; x < w2; x++) out.data[(p * h + (y >> 1)) * w + (x >> 1)] += g.data[(p * h2 + y) * w2 + x];
  return out;
}

/** The public op: the kernel, recording its backward on the tape when an input requires gradients. */
export function upsampleNearest2x(x: Tensor): Tensor {
  if (!needsGrad(x)) return upsampleNearest2xKernel(x);
  const out = rawOf(x.device, () => upsampleNearest2xKernel(x));
  record('upsampleNearest2x', [x], [out], [], ([g]) => [upsampleNearest2xBackward(g!)]);
  return out;
}
