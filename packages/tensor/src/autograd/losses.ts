// Whole-tensor reductions and losses, composed of differentiable ops (so their gradients are those
// ops' own): sumAll, meanAll, mseLoss, maskedMean.

import type { Tensor } from '../tensor.js';
import { broadcastShapes, fmtShape, sameShape } from '../shape.js';
import { ShapeError } from '../errors.js';
import { mean, sum } from '../ops/reduce.js';
import { div, mul, square, sub } from './elementwise.js';
import { mulScalar } from '../ops/scalar-ops.js';

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
