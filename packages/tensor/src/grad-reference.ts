// The plain float64 references of the backward kernels, gathered as `ref.grad`.
export { sumToShape, unary, powScalar, binary, addMul, UNARY_DERIVATIVE } from './ops/elementwise.grad.ref.js';
export { reduce, softmax, layerNorm, rmsNorm, groupNorm, modulate, type NormGradsRef } from './ops/rows.grad.ref.js';
export { matmul, linear } from './ops/matmul.grad.ref.js';
export { permute, concat, slice, indexSelect, upsampleNearest2x } from './ops/layout.grad.ref.js';
export { conv2d } from './ops/conv.grad.ref.js';
export { scaledDotProductAttention } from './ops/attention.grad.ref.js';
export { rope } from './ops/rope.grad.ref.js';
