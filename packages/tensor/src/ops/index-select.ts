// indexSelect: x indexed along one axis by an integer tensor (and gather, its embedding-table form) —
// the kernel, its reference, the backward (a scatter-add made deterministic: each destination element
// sums its sources in index order, as WGSL has no float atomics) and its reference, and the public
// differentiable op. An index outside [0, len) reads zeros and receives no gradient.

import { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { fmtShape, normAxis, numel } from '../shape.js';
import { outerInner } from './axes.js';
import { elementType, memo, requireDtype, sameDevice } from './wgsl.js';
import { defineKernel } from './kernel.js';
import { host, type HostTensor } from './host.js';
import { needsGrad, rawOf, record } from '../autograd/tape.js';

/**
 * out = x indexed along `axis` by the integer tensor `index` (any shape): out.shape = x.shape[:axis] ++
 * index.shape ++ x.shape[axis+1:]. An index outside [0, len) yields zeros (WGSL cannot throw; callers
 * that take indices from users check them on the host).
 */
export function indexSelectKernel(x: Tensor, axis: number, index: Tensor): Tensor {
  const op = 'indexSelect';
  const device = sameDevice(op, x, index);
  requireDtype(op, index, 'i32', 'u32');
  const ty = elementType(x.dtype, op, x);
  const ax = normAxis(op, axis, x.rank);
  const [, inner] = outerInner(x.shape, ax);
  const len = x.shape[ax];
  const n = index.numel;
  const out = Tensor.empty(device, [...x.shape.slice(0, ax), ...index.shape, ...x.shape.slice(ax + 1)], x.dtype);
  const k = memo(`indexSelect:${ty}:${index.dtype}:${n}:${inner}:${len}`, () =>
    defineKernel({
      name: op,
      inputs: { X: ty, I: index.dtype },
      outputs: { O: ty },
      each: 'thread',
      body: `  let o = i / ${n * inner}u;
  let r = i % ${n * inner}u;
  let k = i32(I[r / ${inner}u]);
  let c = r % ${inner}u;
  if (k < 0 || k >= ${len}) { O[i] = ${ty}(0); return; }
  O[i] = X[(o * ${len}u + u32(k)) * ${inner}u + c];`,
    }),
  );
  k.launch(device, { inputs: [x.buffer, index.buffer], outputs: [out.buffer], count: out.numel });
  return out;
}

/** Embedding lookup: table [V, D] indexed by an integer tensor → [...index.shape, D]. */
export function gatherKernel(table: Tensor, index: Tensor): Tensor {
  return indexSelectKernel(table, 0, index);
}

/** The reference of indexSelectKernel. */
export function indexSelectRef(x: HostTensor, axis: number, index: HostTensor): HostTensor {
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const [outer, inner] = outerInner(x.shape, ax);
  const len = x.shape[ax];
  const n = index.data.length;
  const out = host([...x.shape.slice(0, ax), ...index.shape, ...x.shape.slice(ax + 1)]);
  for (let o = 0; o < outer; o++)
    for (let r = 0; r < n; r++) {
      const k = index.data[r];
      for (let c = 0; c < inner; c++) out.data[(o * n + r) * inner + c] = k >= 0 && k < len ? x.data[(o * len + k) * inner + c] : 0;
    }
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

/** The reference of indexSelectBackward. */
export function indexSelectGradRef(g: HostTensor, index: HostTensor, xShape: number[], axis: number): HostTensor {
  const ax = axis < 0 ? axis + xShape.length : axis;
  const out = host(xShape);
  const [outer, inner] = outerInner(xShape, ax);
  const len = xShape[ax];
  const n = index.data.length;
  for (let o = 0; o < outer; o++)
    for (let r = 0; r < n; r++) {
      const k = index.data[r];
      if (k < 0 || k >= len) continue;
      for (let c = 0; c < inner; c++) out.data[(o * len + k) * inner + c] += g.data[(o * n + r) * inner + c];
    }
  return out;
}

/** The public op: the kernel, recording its backward on the tape when an input requires gradients. */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  if (!needsGrad(x)) return indexSelectKernel(x, axis, index);
  const out = rawOf(x.device, () => indexSelectKernel(x, axis, index));
  const shape = x.shape;
  record('indexSelect', [x], [out], [index], ([g], [idx]) => [indexSelectBackward(g!, idx, shape, axis)]);
  return out;
}

/** Embedding lookup: table [V, D] indexed by an integer tensor → [...index.shape, D]. */
export function gather(table: Tensor, index: Tensor): Tensor {
  return indexSelect(table, 0, index);
}
