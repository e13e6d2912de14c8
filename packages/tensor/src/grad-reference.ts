// The plain float64 references of the backward kernels, gathered as `ref.grad`; each comes from its
// op's file (ops/<op>.ts; the unary and binary ones from elementwise.grad.ref.ts).
export { sumToShape, unary, binary, UNARY_DERIVATIVE } from './ops/elementwise.grad.ref.js';
export { powScalarGradRef as powScalar } from './ops/pow-scalar.js';
export { addMulGradRef as addMul } from './ops/add-mul.js';
export { reduceGradRef as reduce } from './ops/reduce.js';
export { softmaxGradRef as softmax } from './ops/softmax.js';
export { logSoftmaxGradRef as logSoftmax } from './ops/log-softmax.js';
export { layerNormGradRef as layerNorm } from './ops/layer-norm.js';
export { rmsNormGradRef as rmsNorm } from './ops/rms-norm.js';
export { groupNormGradRef as groupNorm } from './ops/group-norm.js';
export { modulateGradRef as modulate } from './ops/modulate.js';
export type { NormGradsRef } from './ops/norm-kit.js';
export { matmulGradRef as matmul } from './ops/matmul.js';
export { linearGradRef as linear } from './ops/linear.js';
export { permuteGradRef as permute } from './ops/permute.js';
export { concatGradRef as concat } from './ops/concat.js';
export { sliceGradRef as slice } from './ops/slice.js';
export { indexSelectGradRef as indexSelect } from './ops/index-select.js';
export { upsampleNearest2xGradRef as upsampleNearest2x } from './ops/upsample.js';
export { conv2dGradRef as conv2d } from './ops/conv2d.js';
export { scaledDotProductAttentionGradRef as scaledDotProductAttention } from './ops/attention.js';
export { ropeGradRef as rope } from './ops/rope.js';
