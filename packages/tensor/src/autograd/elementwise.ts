// The differentiable elementwise ops, exported from the package under their public names. The unary
// and binary ops are declared once each, in ../ops/unary-ops.ts and ../ops/binary-ops.ts (forward
// WGSL, float64 reference, derivative as WGSL and float64); the generic kernels (../ops/elementwise.ts),
// references and backward kernels (../ops/elementwise.grad.ts) read those tables, and so do `unary`
// and `binary` here. The elementwise kernels sit below the tape (it sums gradients with them), which is
// why their wrappers live here rather than beside them, as every other op's do (../ops/<op>.ts).
// With no input requiring gradients a wrapper is the raw op: no node, no allocation.

import type { Tensor } from '../tensor.js';
import type { Shape } from '../shape.js';
import type { DType } from '../dtype.js';
import { DTypeError } from '../errors.js';
import * as ew from '../ops/elementwise.js';
import { binaryBackward, unaryBackward } from '../ops/elementwise.grad.js';
import { gradReadsOperands } from '../ops/binary-ops.js';
import { needsGrad, rawOf, record } from './tape.js';

type UnaryOp = ew.UnaryOp;
type BinaryOp = ew.BinaryOp;

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
