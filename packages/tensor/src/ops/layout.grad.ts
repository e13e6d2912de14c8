// Backward kernels of the layout ops (layout.ts) that are not themselves layout ops: the gradient of a
// slice (zeros around the incoming gradient), of an index select / gather (a scatter-add, made
// deterministic by letting each destination element sum its sources in index order: no float atomics),
// and of nearest 2× upsampling (each input pixel sums its 2×2 block). Permute, concat and split
// backward are permutes, slices and concats. Reference: layout.grad.ref.ts.

import { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { fmtShape, normAxis, numel } from '../shape.js';
import { requireDtype, sameDevice } from './wgsl.js';
import { defineKernel } from './kernel.js';

function outerInner(shape: readonly number[], axis: number): [number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, inner];
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

/**
 * The gradient of indexSelect(x, axis, index) given g: dx[.., k, ..] = Σ over positions r with
 * index[r] = k of g[.., r, ..]. Out-of-range indices contribute nothing (the forward read zeros).
 */
export function indexSelectBackward(g: Tensor, index: Tensor, xShape: readonly number[], axis: number): Tensor {
  const op = 'indexSelect_grad';
  const device = sameDevice(op, g, index);
  requireDtype(op, g, 'f32');
  requireDtype(op, index, 'i32', 'u32');
  const ax = normAxis(op, axis, xShape.length);
  const [, inner] = outerInner(xShape, ax);
  const len = xShape[ax];
  const n = index.numel;
  const want = [...xShape.slice(0, ax), ...index.shape, ...xShape.slice(ax + 1)];
  if (g.numel !== numel(want)) throw new ShapeError(op, `gradient ${fmtShape(g.shape)} does not match the output ${fmtShape(want)}`);
  const out = Tensor.empty(device, xShape);
  defineKernel({
    name: op,
    inputs: { G: 'f32', I: `${index.dtype}` },
    outputs: { O: 'f32' },
    each: 'thread',
    body: `  let o = i / ${len * inner}u;
  let k = i32((i / ${inner}u) % ${len}u);
  let c = i % ${inner}u;
  var acc: f32 = 0.0;
  for (var r = 0u; r < ${n}u; r = r + 1u) {
    if (i32(I[r]) == k) { acc = acc + G[(o * ${n}u + r) * ${inner}u + c]; }
  }
  O[i] = acc;`,
  }).launch(device, { inputs: [g.buffer, index.buffer], outputs: [out.buffer], count: out.numel });
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
