// The raw (non-recording) kernels under the public ops' names, for code that must not touch the tape:
// `raw.matmul(...)` is the kernel itself, whatever requires gradients. Each comes from its op's file.
export * from './ops/elementwise.js';
export type { ReduceOp } from './ops/reduce.js';
export type { MatmulOptions, MatmulTiles } from './ops/matmul.js';
export type { Conv2dOptions } from './ops/conv2d.js';
export type { AttentionOptions } from './ops/attention.js';
export { powScalarKernel as powScalar } from './ops/pow-scalar.js';
export { addMulKernel as addMul } from './ops/add-mul.js';
export { addScalarKernel as addScalar, mulScalarKernel as mulScalar } from './ops/scalar-ops.js';
export { reduceKernel as reduce, sumKernel as sum, meanKernel as mean, maxKernel as max } from './ops/reduce.js';
export { softmaxKernel as softmax } from './ops/softmax.js';
export { logSoftmaxKernel as logSoftmax } from './ops/log-softmax.js';
export { layerNormKernel as layerNorm } from './ops/layer-norm.js';
export { rmsNormKernel as rmsNorm } from './ops/rms-norm.js';
export { groupNormKernel as groupNorm } from './ops/group-norm.js';
export { modulateKernel as modulate } from './ops/modulate.js';
export { matmulKernel as matmul } from './ops/matmul.js';
export { linearKernel as linear } from './ops/linear.js';
export { permuteKernel as permute, transposeKernel as transpose } from './ops/permute.js';
export { concatKernel as concat, splitKernel as split } from './ops/concat.js';
export { sliceKernel as slice } from './ops/slice.js';
export { indexSelectKernel as indexSelect, gatherKernel as gather } from './ops/index-select.js';
export { upsampleNearest2xKernel as upsampleNearest2x } from './ops/upsample.js';
export { conv2dKernel as conv2d } from './ops/conv2d.js';
export { scaledDotProductAttentionKernel as scaledDotProductAttention } from './ops/attention.js';
export { ropeKernel as rope } from './ops/rope.js';
