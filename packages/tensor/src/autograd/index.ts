// Reverse-mode autograd: differentiable ops (the package exports these under the ops' public names),
// the tape, backward() and noGrad().
export {
  unary, neg, exp, log, sqrt, rsqrt, tanh, sin, cos, abs, silu, sigmoid, square, geluTanh, geluErf,
  powScalar, addScalar, mulScalar, binary, add, sub, mul, div, maximum, minimum, addMul, copy, cast, reshape,
  reduce, sum, mean, max, softmax, layerNorm, rmsNorm, groupNorm, modulate,
  matmul, linear, permute, transpose, concat, slice, split, indexSelect, gather, upsampleNearest2x,
  conv2d, scaledDotProductAttention, rope,
  sumAll, meanAll, mseLoss, maskedMean,
} from './ops.js';
export { backward, noGrad, tapeOf, Tape, type TapeNode, type BackwardFn, type BackwardOptions } from './tape.js';
// For packages that define their own differentiable ops (e.g. @cleardit/attention's fused kernels).
export { record, rawOf, needsGrad, anyNeedsGrad } from './tape.js';
