// Every public op of the package, each differentiable (or refusing by name where it is not: a cast to
// 16 bits). An op's kernel, float64 reference, backward and backward reference live in its own file
// (ops/<op>.ts) beside the public op itself; the elementwise ops are declared in their tables
// (unary-ops.ts, binary-ops.ts) and wrapped in autograd/elementwise.ts. The raw kernels are gathered
// as `raw` (../raw.ts), the references as `ref` and `ref.grad` (../reference.ts).
export * from '../autograd/elementwise.js';
export { powScalar } from './pow-scalar.js';
export { addMul } from './add-mul.js';
export { addScalar, mulScalar } from './scalar-ops.js';
export { reduce, sum, mean, max, type ReduceOp } from './reduce.js';
export { softmax } from './softmax.js';
export { logSoftmax } from './log-softmax.js';
export { layerNorm } from './layer-norm.js';
export { rmsNorm } from './rms-norm.js';
export { groupNorm } from './group-norm.js';
export { modulate } from './modulate.js';
export { matmul, type MatmulOptions, type MatmulTiles } from './matmul.js';
export { linear } from './linear.js';
export { permute, transpose } from './permute.js';
export { concat, split } from './concat.js';
export { slice } from './slice.js';
export { indexSelect, gather } from './index-select.js';
export { upsampleNearest2x } from './upsample.js';
export { conv2d, type Conv2dOptions } from './conv2d.js';
export { scaledDotProductAttention, type AttentionOptions } from './attention.js';
export { rope } from './rope.js';
export * from '../autograd/losses.js';
