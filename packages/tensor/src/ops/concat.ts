// concat along one axis, and its inverse split — the kernels (block copies, slice.ts's copyBlock), the
// reference, and the public differentiable ops: concat's backward is slices of the gradient, split's a
// concat of its parts' gradients (zeros for a part that got none).

import { Tensor } from '../tensor.js';
import { DTypeError, ShapeError } from '../errors.js';
import { fmtShape, normAxis } from '../shape.js';
import { outerInner } from './axes.js';
import { sameDevice } from './wgsl.js';
import { copyBlock, sliceKernel, sliceRef } from './slice.js';
import { host, type HostTensor } from './host.js';
import { zeros } from '../create.js';
import { anyNeedsGrad, needsGrad, rawOf, record } from '../autograd/tape.js';

/** Joins tensors along `axis`; every other axis must match. */
export function concatKernel(xs: readonly Tensor[], axis: number): Tensor {
  const op = 'concat';
  if (!xs.length) throw new ShapeError(op, 'needs at least one tensor');
  const device = sameDevice(op, ...xs);
  const first = xs[0];
  const ax = normAxis(op, axis, first.rank);
  for (const t of xs) {
    if (t.dtype !== first.dtype) throw new DTypeError(op, `dtypes differ: ${first.dtype} and ${t.dtype}`);
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== ax && d !== first.shape[i]))
      throw new ShapeError(op, `shapes ${xs.map((x) => fmtShape(x.shape)).join(', ')} differ outside axis ${ax}`);
  }
  const total = xs.reduce((s, t) => s + t.shape[ax], 0);
  const out = Tensor.empty(
    device,
    first.shape.map((d, i) => (i === ax ? total : d)),
    first.dtype,
  );
  let at = 0;
  for (const t of xs) {
    copyBlock(t, out, ax, 0, t.shape[ax], at, op);
    at += t.shape[ax];
  }
  return out;
}

/** Splits along `axis` into pieces of the given sizes (or `n` equal pieces when a number). */
export function splitKernel(x: Tensor, sizes: number | readonly number[], axis: number): Tensor[] {
  const ax = normAxis('split', axis, x.rank);
  const len = x.shape[ax];
  let parts: number[];
  if (typeof sizes === 'number') {
    if (len % sizes) throw new ShapeError('split', `axis ${ax} of ${fmtShape(x.shape)} does not split into ${sizes} equal parts`);
    parts = Array(sizes).fill(len / sizes);
  } else parts = [...sizes];
  if (parts.reduce((a, b) => a + b, 0) !== len)
    throw new ShapeError('split', `sizes [${parts.join(',')}] do not add up to ${len} (axis ${ax} of ${fmtShape(x.shape)})`);
  let at = 0;
  return parts.map((p) => {
    const t = sliceKernel(x, ax, at, at + p);
    at += p;
    return t;
  });
}

/** The reference of concatKernel. */
export function concatRef(xs: HostTensor[], axis: number): HostTensor {
  const ax = axis < 0 ? axis + xs[0].shape.length : axis;
  const total = xs.reduce((s, t) => s + t.shape[ax], 0);
  const shape = xs[0].shape.map((d, i) => (i === ax ? total : d));
  const out = host(shape);
  const [outer, inner] = outerInner(shape, ax);
  let at = 0;
  for (const t of xs) {
    const len = t.shape[ax];
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < len; j++) for (let c = 0; c < inner; c++) out.data[(o * total + at + j) * inner + c] = t.data[(o * len + j) * inner + c];
    at += len;
  }
  return out;
}

/** The reference of concat's backward: the gradient sliced back into the inputs' sizes. */
export function concatGradRef(g: HostTensor, sizes: number[], axis: number): HostTensor[] {
  let at = 0;
  return sizes.map((s) => {
    const t = sliceRef(g, axis, at, at + s);
    at += s;
    return t;
  });
}

/** The public op: the kernel, recording its backward on the tape when an input requires gradients. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (!anyNeedsGrad(xs)) return concatKernel(xs, axis);
  const out = rawOf(xs[0].device, () => concatKernel(xs, axis));
  const ax = normAxis('concat', axis, xs[0].rank);
  const sizes = xs.map((t) => t.shape[ax]);
  record('concat', xs, [out], [], ([g], _s, need) => {
    let at = 0;
    return sizes.map((n, i) => {
      const r = need[i] ? sliceKernel(g!, ax, at, at + n) : null;
      at += n;
      return r;
    });
  });
  return out;
}

/** The public split: slices, and a concat of the parts' gradients as its backward. */
export function split(x: Tensor, sizes: number | readonly number[], axis: number): Tensor[] {
  if (!needsGrad(x)) return splitKernel(x, sizes, axis);
  const outs = rawOf(x.device, () => splitKernel(x, sizes, axis));
  const ax = normAxis('split', axis, x.rank);
  record('split', [x], outs, [], (gs) => {
    const parts = gs.map((g, i) => g ?? zeros(x.device, outs[i].shape));
    return [concatKernel(parts, ax)];
  });
  return outs;
}
