// Differentiable ops: the same names and signatures as the raw kernels (../ops/*.ts), exported from the
// package under the public names. Each calls the raw kernel; only when an input requires gradients (and
// recording is on) does it record a node whose backward builds the input gradients from GPU kernels
// (../ops/*.grad.ts). With no input requiring gradients a wrapper is the raw op: no node, no allocation.

import type { Tensor } from '../tensor.js';
import type { Shape } from '../shape.js';
import type { DType } from '../dtype.js';
import { broadcastShapes, fmtShape, normAxis, sameShape } from '../shape.js';
import { DTypeError, ShapeError } from '../errors.js';
import * as ew from '../ops/elementwise.js';
import * as rows from '../ops/rows.js';
import * as mm from '../ops/matmul.js';
import * as lay from '../ops/layout.js';
import * as cv from '../ops/conv.js';
import * as att from '../ops/attention.js';
import * as rp from '../ops/rope.js';
import { zeros } from '../create.js';
import { binaryBackward, powScalarBackward, sumExpr, sumToShape, unaryBackward } from '../ops/elementwise.grad.js';
import { gradReadsOperands } from '../ops/binary-ops.js';
import { groupNormBackward, layerNormBackward, modulateBackward, reduceBackward, rmsNormBackward, softmaxBackward } from '../ops/rows.grad.js';
import { linearBackward, matmulBackward } from '../ops/matmul.grad.js';
import { indexSelectBackward, sliceBackward, upsampleNearest2xBackward } from '../ops/layout.grad.js';
import { conv2dBackward } from '../ops/conv.grad.js';
import { scaledDotProductAttentionBackward } from '../ops/attention.grad.js';
import { ropeBackward } from '../ops/rope.grad.js';
import { anyNeedsGrad, needsGrad, rawOf, record } from './tape.js';

type UnaryOp = ew.UnaryOp;
type BinaryOp = ew.BinaryOp;

// ---- elementwise ---------------------------------------------------------------------------------

export function unary(op: UnaryOp, a: Tensor): Tensor {
  if (!needsGrad(a)) return ew.unary(op, a);
  const out = rawOf(a.device, () => ew.unary(op, a));
  record(op, [a], [out], [a], ([g], [x]) => [unaryBackward(op, x, g!)]);
  return out;
}

export const neg = (a: Tensor) => unary('neg', a);
export const exp = (a: Tensor) => unary('exp', a);
export const log = (a: Tensor) => unary('log', a);
export const sqrt = (a: Tensor) => unary('sqrt', a);
export const rsqrt = (a: Tensor) => unary('rsqrt', a);
export const tanh = (a: Tensor) => unary('tanh', a);
export const sin = (a: Tensor) => unary('sin', a);
export const cos = (a: Tensor) => unary('cos', a);
export const abs = (a: Tensor) => unary('abs', a);
export const silu = (a: Tensor) => unary('silu', a);
export const sigmoid = (a: Tensor) => unary('sigmoid', a);
export const square = (a: Tensor) => unary('square', a);
export const geluTanh = (a: Tensor) => unary('gelu_tanh', a);
export const geluErf = (a: Tensor) => unary('gelu_erf', a);
export const softplus = (a: Tensor) => unary('softplus', a);

export function powScalar(a: Tensor, p: number): Tensor {
  if (!needsGrad(a)) return ew.powScalar(a, p);
  const out = rawOf(a.device, () => ew.powScalar(a, p));
  record('powScalar', [a], [out], [a], ([g], [x]) => [powScalarBackward(x, p, g!)]);
  return out;
}

export function addScalar(a: Tensor, s: number): Tensor {
  if (!needsGrad(a)) return ew.addScalar(a, s);
  const out = rawOf(a.device, () => ew.addScalar(a, s));
  record('addScalar', [a], [out], [], ([g]) => [g!.reshape(g!.shape)]);
  return out;
}

export function mulScalar(a: Tensor, s: number): Tensor {
  if (!needsGrad(a)) return ew.mulScalar(a, s);
  const out = rawOf(a.device, () => ew.mulScalar(a, s));
  record('mulScalar', [a], [out], [], ([g]) => [ew.mulScalar(g!, s)]);
  return out;
}

export function binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  if (!needsGrad(a, b)) return ew.binary(op, a, b);
  const out = rawOf(a.device, () => ew.binary(op, a, b));
  // an op whose gradients read neither operand (add, sub) keeps only their shapes
  const reads = gradReadsOperands(op);
  record(op, [a, b], [out], reads ? [a, b] : [], ([g], s, need) => {
    const [x, y] = reads ? s : [a, b];
    return [need[0] ? binaryBackward(op, x, y, g!, 0) : null, need[1] ? binaryBackward(op, x, y, g!, 1) : null];
  });
  return out;
}

/** h + g·y in one kernel (elementwise.ts `addMul`); its backward is the add's and the mul's. */
export function addMul(h: Tensor, g: Tensor, y: Tensor): Tensor {
  if (!needsGrad(h, g, y)) return ew.addMul(h, g, y);
  const out = rawOf(h.device, () => ew.addMul(h, g, y));
  record('addMul', [h, g, y], [out], [g, y], ([grad], [sg, sy], need) => [
    need[0] ? sumToShape(grad!, h.shape) : null,
    need[1]
      ? sumExpr(
          'addMul_grad_g',
          out.shape,
          sg.shape,
          [
            { name: 'g', t: grad! },
            { name: 'y', t: sy },
          ],
          'g * y',
        )
      : null,
    need[2]
      ? sumExpr(
          'addMul_grad_y',
          out.shape,
          sy.shape,
          [
            { name: 'g', t: grad! },
            { name: 'm', t: sg },
          ],
          'g * m',
        )
      : null,
  ]);
  return out;
}

export const add = (a: Tensor, b: Tensor) => binary('add', a, b);
export const sub = (a: Tensor, b: Tensor) => binary('sub', a, b);
export const mul = (a: Tensor, b: Tensor) => binary('mul', a, b);
export const div = (a: Tensor, b: Tensor) => binary('div', a, b);
export const maximum = (a: Tensor, b: Tensor) => binary('maximum', a, b);
export const minimum = (a: Tensor, b: Tensor) => binary('minimum', a, b);

/** A contiguous copy (differentiable: the gradient passes through). */
export function copy(a: Tensor): Tensor {
  if (!needsGrad(a)) return ew.copy(a);
  const out = rawOf(a.device, () => ew.copy(a));
  record('copy', [a], [out], [], ([g]) => [g!.reshape(g!.shape)]);
  return out;
}

/**
 * A cast to `dtype`. To the same dtype it is a differentiable copy (a cast parameter keeps its
 * gradient); to a 16-bit dtype nothing can carry a gradient back, so casting a tensor that requires
 * gradients there is refused rather than silently detached.
 */
export function cast(a: Tensor, dtype: DType): Tensor {
  if (a.dtype === dtype) return copy(a);
  if (needsGrad(a))
    throw new DTypeError(
      'cast',
      `${a.dtype} → ${dtype} is not differentiable, and this tensor requires gradients (cast a detached copy, or keep it ${a.dtype})`,
    );
  return ew.cast(a, dtype);
}

/** A view with another shape (differentiable; the same as `t.reshape(shape)`, which records too). */
export function reshape(t: Tensor, shape: Shape): Tensor {
  return t.reshape(shape);
}

// ---- rows ----------------------------------------------------------------------------------------

export function reduce(op: rows.ReduceOp, x: Tensor, axis: number, keepDim = false): Tensor {
  if (!needsGrad(x)) return rows.reduce(op, x, axis, keepDim);
  const out = rawOf(x.device, () => rows.reduce(op, x, axis, keepDim));
  record(op, [x], [out], op === 'max' ? [x] : [], ([g], s) => [reduceBackward(op, op === 'max' ? s[0] : x, g!, axis)]);
  return out;
}

export const sum = (x: Tensor, axis: number, keepDim = false) => reduce('sum', x, axis, keepDim);
export const mean = (x: Tensor, axis: number, keepDim = false) => reduce('mean', x, axis, keepDim);
export const max = (x: Tensor, axis: number, keepDim = false) => reduce('max', x, axis, keepDim);

export function softmax(x: Tensor, axis = -1): Tensor {
  if (!needsGrad(x)) return rows.softmax(x, axis);
  const out = rawOf(x.device, () => rows.softmax(x, axis));
  record('softmax', [x], [out], [out], ([g], [y]) => [softmaxBackward(y, g!, axis)]);
  return out;
}

export function layerNorm(x: Tensor, opts: { weight?: Tensor; bias?: Tensor; eps?: number } = {}): Tensor {
  const { weight, bias } = opts;
  if (!needsGrad(x, weight, bias)) return rows.layerNorm(x, opts);
  const out = rawOf(x.device, () => rows.layerNorm(x, opts));
  const save = weight ? [x, weight] : [x];
  record('layerNorm', [x, weight, bias], [out], save, ([g], [sx, sw], need) => {
    const r = layerNormBackward(sx, g!, { weight: sw, eps: opts.eps, wantWeight: need[1], wantBias: need[2] });
    if (!need[0]) r.dx.dispose();
    return [need[0] ? r.dx : null, r.dweight ?? null, r.dbias ?? null];
  });
  return out;
}

export function rmsNorm(x: Tensor, weight: Tensor | undefined, eps = 1e-6): Tensor {
  if (!needsGrad(x, weight)) return rows.rmsNorm(x, weight, eps);
  const out = rawOf(x.device, () => rows.rmsNorm(x, weight, eps));
  record('rmsNorm', [x, weight], [out], weight ? [x, weight] : [x], ([g], [sx, sw], need) => {
    const r = rmsNormBackward(sx, g!, sw, eps, need[1]);
    if (!need[0]) r.dx.dispose();
    return [need[0] ? r.dx : null, r.dweight ?? null];
  });
  return out;
}

export function groupNorm(x: Tensor, groups: number, opts: { weight?: Tensor; bias?: Tensor; eps?: number } = {}): Tensor {
  const { weight, bias } = opts;
  if (!needsGrad(x, weight, bias)) return rows.groupNorm(x, groups, opts);
  const out = rawOf(x.device, () => rows.groupNorm(x, groups, opts));
  record('groupNorm', [x, weight, bias], [out], weight ? [x, weight] : [x], ([g], [sx, sw], need) => {
    const r = groupNormBackward(sx, g!, groups, { weight: sw, eps: opts.eps, wantWeight: need[1], wantBias: need[2] });
    if (!need[0]) r.dx.dispose();
    return [need[0] ? r.dx : null, r.dweight ?? null, r.dbias ?? null];
  });
  return out;
}

/** adaLN: layerNorm(x) · (1 + scale) + shift in one row kernel (rows.ts `modulate`). */
export function modulate(x: Tensor, shift: Tensor, scale: Tensor, eps = 1e-6): Tensor {
  if (!needsGrad(x, shift, scale)) return rows.modulate(x, shift, scale, eps);
  const out = rawOf(x.device, () => rows.modulate(x, shift, scale, eps));
  record('modulate', [x, shift, scale], [out], [x, shift, scale], ([g], [sx, sshift, sscale], need) => {
    const r = modulateBackward(sx, g!, sshift, sscale, eps, { x: need[0], shift: need[1], scale: need[2] });
    return [r.dx ?? null, r.dshift ?? null, r.dscale ?? null];
  });
  return out;
}

// ---- matmul --------------------------------------------------------------------------------------

export function matmul(a: Tensor, b: Tensor, opts: mm.MatmulOptions = {}, tiles?: mm.MatmulTiles): Tensor {
  if (!needsGrad(a, b, opts.bias)) return mm.matmul(a, b, opts, tiles);
  const out = rawOf(a.device, () => mm.matmul(a, b, opts, tiles));
  record('matmul', [a, b, opts.bias], [out], [a, b], ([g], [sa, sb], need) => {
    const r = matmulBackward(sa, sb, g!, opts, { a: need[0], b: need[1], bias: need[2] });
    return [r.da, r.db, r.dbias];
  });
  return out;
}

export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  if (!needsGrad(x, weight, bias)) return mm.linear(x, weight, bias);
  const out = rawOf(x.device, () => mm.linear(x, weight, bias));
  record('linear', [x, weight, bias], [out], [x, weight], ([g], [sx, sw], need) => {
    const r = linearBackward(sx, sw, g!, { x: need[0], weight: need[1], bias: need[2] });
    return [r.dx, r.dweight, r.dbias];
  });
  return out;
}

// ---- layout --------------------------------------------------------------------------------------

export function permute(x: Tensor, perm: readonly number[]): Tensor {
  if (!needsGrad(x)) return lay.permute(x, perm);
  const out = rawOf(x.device, () => lay.permute(x, perm));
  const p = perm.map((a) => normAxis('permute', a, x.rank));
  const inv = new Array<number>(p.length);
  p.forEach((a, i) => (inv[a] = i));
  record('permute', [x], [out], [], ([g]) => [lay.permute(g!, inv)]);
  return out;
}

export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const perm = x.shape.map((_, i) => i);
  const [i, j] = [normAxis('transpose', a, x.rank), normAxis('transpose', b, x.rank)];
  [perm[i], perm[j]] = [perm[j], perm[i]];
  return permute(x, perm);
}

export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (!anyNeedsGrad(xs)) return lay.concat(xs, axis);
  const out = rawOf(xs[0].device, () => lay.concat(xs, axis));
  const ax = normAxis('concat', axis, xs[0].rank);
  const sizes = xs.map((t) => t.shape[ax]);
  record('concat', xs, [out], [], ([g], _s, need) => {
    let at = 0;
    return sizes.map((n, i) => {
      const r = need[i] ? lay.slice(g!, ax, at, at + n) : null;
      at += n;
      return r;
    });
  });
  return out;
}

export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  if (!needsGrad(x)) return lay.slice(x, axis, start, end);
  const out = rawOf(x.device, () => lay.slice(x, axis, start, end));
  const ax = normAxis('slice', axis, x.rank);
  const s = start < 0 ? start + x.shape[ax] : start;
  const shape = x.shape;
  record('slice', [x], [out], [], ([g]) => [sliceBackward(g!, shape, ax, s)]);
  return out;
}

export function split(x: Tensor, sizes: number | readonly number[], axis: number): Tensor[] {
  if (!needsGrad(x)) return lay.split(x, sizes, axis);
  const outs = rawOf(x.device, () => lay.split(x, sizes, axis));
  const ax = normAxis('split', axis, x.rank);
  record('split', [x], outs, [], (gs) => {
    const parts = gs.map((g, i) => g ?? zeros(x.device, outs[i].shape));
    return [lay.concat(parts, ax)];
  });
  return outs;
}

export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  if (!needsGrad(x)) return lay.indexSelect(x, axis, index);
  const out = rawOf(x.device, () => lay.indexSelect(x, axis, index));
  const shape = x.shape;
  record('indexSelect', [x], [out], [index], ([g], [idx]) => [indexSelectBackward(g!, idx, shape, axis)]);
  return out;
}

/** Embedding lookup: table [V, D] indexed by an integer tensor → [...index.shape, D]. */
export function gather(table: Tensor, index: Tensor): Tensor {
  return indexSelect(table, 0, index);
}

export function upsampleNearest2x(x: Tensor): Tensor {
  if (!needsGrad(x)) return lay.upsampleNearest2x(x);
  const out = rawOf(x.device, () => lay.upsampleNearest2x(x));
  record('upsampleNearest2x', [x], [out], [], ([g]) => [upsampleNearest2xBackward(g!)]);
  return out;
}

// ---- conv, attention, rope -----------------------------------------------------------------------

export function conv2d(x: Tensor, weight: Tensor, opts: cv.Conv2dOptions = {}): Tensor {
  if (!needsGrad(x, weight, opts.bias)) return cv.conv2d(x, weight, opts);
  const out = rawOf(x.device, () => cv.conv2d(x, weight, opts));
  record('conv2d', [x, weight, opts.bias], [out], [x, weight], ([g], [sx, sw], need) => {
    const r = conv2dBackward(sx, sw, g!, opts, { x: need[0], weight: need[1], bias: need[2] });
    return [r.dx, r.dweight, r.dbias];
  });
  return out;
}

export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: att.AttentionOptions = {}): Tensor {
  if (!needsGrad(q, k, v, opts.mask)) return att.scaledDotProductAttention(q, k, v, opts);
  const out = rawOf(q.device, () => att.scaledDotProductAttention(q, k, v, opts));
  const save = opts.mask ? [q, k, v, opts.mask] : [q, k, v];
  record('scaledDotProductAttention', [q, k, v, opts.mask], [out], save, ([g], [sq, sk, sv, sm], need) => {
    const r = scaledDotProductAttentionBackward(sq, sk, sv, g!, { scale: opts.scale, mask: sm }, { q: need[0], k: need[1], v: need[2], mask: need[3] });
    return [r.dq, r.dk, r.dv, r.dmask];
  });
  return out;
}

export function rope(x: Tensor, pe: Tensor): Tensor {
  if (!needsGrad(x, pe)) return rp.rope(x, pe);
  const out = rawOf(x.device, () => rp.rope(x, pe));
  record('rope', [x, pe], [out], [x, pe], ([g], [sx, spe], need) => {
    const r = ropeBackward(sx, spe, g!, { x: need[0], pe: need[1] });
    return [r.dx, r.dpe];
  });
  return out;
}

// ---- reductions over everything, losses ----------------------------------------------------------

/** The sum of every element, as a one-element tensor of shape []. */
export function sumAll(x: Tensor): Tensor {
  return sum(x.reshape([x.numel]), 0);
}

/** The mean of every element, shape []. */
export function meanAll(x: Tensor): Tensor {
  return mean(x.reshape([x.numel]), 0);
}

/** Mean squared error: mean((pred − target)²) over every element, shape []. */
export function mseLoss(pred: Tensor, target: Tensor): Tensor {
  if (!sameShape(pred.shape, target.shape)) throw new ShapeError('mseLoss', `pred ${fmtShape(pred.shape)} and target ${fmtShape(target.shape)} differ`);
  return pred.device.scope(() => meanAll(square(sub(pred, target))));
}

/**
 * The mean of x over the selected elements: Σ x·mask / (number selected), with `mask` of 0/1 values
 * broadcasting to x's shape (a token mask [B, L, 1] over [B, L, D], say). Shape [].
 */
export function maskedMean(x: Tensor, mask: Tensor): Tensor {
  if (!sameShape(broadcastShapes('maskedMean', x.shape, mask.shape), x.shape))
    throw new ShapeError('maskedMean', `mask ${fmtShape(mask.shape)} does not broadcast to x ${fmtShape(x.shape)}`);
  return x.device.scope(() => {
    const num = sumAll(mul(x, mask));
    const count = mulScalar(sumAll(mask), x.numel / mask.numel);
    return div(num, count);
  });
}
