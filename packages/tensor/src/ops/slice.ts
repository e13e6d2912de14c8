// slice: x[..., start:end, ...] along one axis — the kernel (copyBlock, which concat.ts uses too), its
// reference, the backward (the gradient placed in zeros shaped like x) and its reference, and the
// public differentiable op. Shapes stay in the kernel text; where a block starts is a parameter.

import { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { fmtShape, normAxis } from '../shape.js';
import { outerInner } from './axes.js';
import { elementType, memo, requireDtype } from './wgsl.js';
import { defineKernel } from './kernel.js';
import { host, type HostTensor } from './host.js';
import { needsGrad, rawOf, record } from '../autograd/tape.js';

/** Copies x[..., start:end, ...] (along `axis`) into `out` at offset `dstStart` of its axis. */
export function copyBlock(x: Tensor, out: Tensor, axis: number, start: number, len: number, dstStart: number, op: string): void {
  const ty = elementType(x.dtype, op, x);
  const [outer, inner] = outerInner(x.shape, axis);
  const srcLen = x.shape[axis];
  const dstLen = out.shape[axis];
  const n = outer * len * inner;
  // the block's geometry stays in the text: constant divisors are multiplications, runtime ones are
  // per-lane integer divisions on software adapters; where the block starts is a parameter
  const k = memo(`copyBlock:${op}:${ty}:${len}:${inner}:${srcLen}:${dstLen}`, () =>
    defineKernel({
      name: op,
      inputs: { X: ty },
      outputs: { O: ty },
      params: { start: 'u32', dstStart: 'u32' },
      each: 'thread',
      body: `  let o = i / ${len * inner}u;
  let r = i % ${len * inner}u;
  let j = r / ${inner}u;
  let c = r % ${inner}u;
  O[(o * ${dstLen}u + P.dstStart + j) * ${inner}u + c] = X[(o * ${srcLen}u + P.start + j) * ${inner}u + c];`,
    }),
  );
  k.launch(x.device, { inputs: [x.buffer], outputs: [out.buffer], count: n, params: { start, dstStart } });
}

/** x[..., start:end, ...] along `axis` (end exclusive; negative indices count from the end). */
export function sliceKernel(x: Tensor, axis: number, start: number, end?: number): Tensor {
  const op = 'slice';
  const ax = normAxis(op, axis, x.rank);
  const len = x.shape[ax];
  const s = start < 0 ? start + len : start;
  const e = end === undefined ? len : end < 0 ? end + len : end;
  if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e > len || s > e)
    throw new ShapeError(op, `range ${start}:${end ?? ''} is outside axis ${ax} of ${fmtShape(x.shape)}`);
  const out = Tensor.empty(
    x.device,
    x.shape.map((d, i) => (i === ax ? e - s : d)),
    x.dtype,
  );
  copyBlock(x, out, ax, s, e - s, 0, op);
  return out;
}

/** The reference of sliceKernel. */
export function sliceRef(x: HostTensor, axis: number, start: number, end?: number): HostTensor {
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const len = x.shape[ax];
  const s = start < 0 ? start + len : start;
  const e = end === undefined ? len : end < 0 ? end + len : end;
  const shape = x.shape.map((d, i) => (i === ax ? e - s : d));
  const out = host(shape);
  const [outer, inner] = outerInner(x.shape, ax);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < e - s; j++) for (let c = 0; c < inner; c++) out.data[(o * (e - s) + j) * inner + c] = x.data[(o * len + s + j) * inner + c];
  return out;
}

/** The gradient of slice(x, axis, start, start + g.shape[axis]): g placed in zeros shaped like x. */
export function sliceBackward(g: Tensor, xShape: readonly number[], axis: number, start: number): Tensor {
  requireDtype('slice_grad', g, 'f32');
  const ax = normAxis('slice_grad', axis, xShape.length);
  const len = xShape[ax];
  const glen = g.shape[ax];
  const [, inner] = outerInner(xShape, ax);
  const out = Tensor.empty(g.device, xShape);
  defineKernel({
    name: 'slice_grad',
    inputs: { G: 'f32' },
    outputs: { O: 'f32' },
    each: 'thread',
    body: `  let o = i / ${len * inner}u;
  let j = (i / ${inner}u) % ${len}u;
  let c = i % ${inner}u;
  var v: f32 = 0.0;
  if (j >= ${start}u && j < ${start + glen}u) { v = G[(o * ${glen}u + j - ${start}u) * ${inner}u + c]; }
  O[i] = v;`,
  }).launch(g.device, { inputs: [g.buffer], outputs: [out.buffer], count: out.numel });
  return out;
}

/** The reference of sliceBackward. */
export function sliceGradRef(g: HostTensor, xShape: number[], axis: number, start: number): HostTensor {
  const ax = axis < 0 ? axis + xShape.length : axis;
  const out = host(xShape);
  const [outer, inner] = outerInner(xShape, ax);
  const len = xShape[ax];
  const glen = g.shape[ax];
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < glen; j++) for (let c = 0; c < inner; c++) out.data[(o * len + start + j) * inner + c] = g.data[(o * glen + j) * inner + c];
  return out;
}

/** The public op: the kernel, recording its backward on the tape when an input requires gradients. */
export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  if (!needsGrad(x)) return sliceKernel(x, axis, start, end);
  const out = rawOf(x.device, () => sliceKernel(x, axis, start, end));
  const ax = normAxis('slice', axis, x.rank);
  const s = start < 0 ? start + x.shape[ax] : start;
  const shape = x.shape;
  record('slice', [x], [out], [], ([g]) => [sliceBackward(g!, shape, ax, s)]);
  return out;
}
