// The plain references, gathered: `ref.matmul(...)` computes in float64 on the CPU what `matmul(...)`
// computes on the GPU. Tests hold every kernel against these; they define what the fast paths must do.
// Each comes from its op's file (ops/<op>.ts; the unary and binary ones from elementwise.ref.ts).
export { host, type HostTensor } from './ops/host.js';
export { unary, binary, map, erf, UNARY_REF, BINARY_REF } from './ops/elementwise.ref.js';
export { powScalarRef as powScalar } from './ops/pow-scalar.js';
export { addMulRef as addMul } from './ops/add-mul.js';
export { addScalarRef as addScalar, mulScalarRef as mulScalar } from './ops/scalar-ops.js';
export { reduceRef as reduce } from './ops/reduce.js';
export { softmaxRef as softmax } from './ops/softmax.js';
export { logSoftmaxRef as logSoftmax } from './ops/log-softmax.js';
export { layerNormRef as layerNorm } from './ops/layer-norm.js';
export { rmsNormRef as rmsNorm } from './ops/rms-norm.js';
export { groupNormRef as groupNorm } from './ops/group-norm.js';
export { modulateRef as modulate } from './ops/modulate.js';
export { matmulRef as matmul } from './ops/matmul.js';
export { linearRef as linear } from './ops/linear.js';
export { permuteRef as permute } from './ops/permute.js';
export { concatRef as concat } from './ops/concat.js';
export { sliceRef as slice } from './ops/slice.js';
export { indexSelectRef as indexSelect } from './ops/index-select.js';
export { upsampleNearest2xRef as upsampleNearest2x } from './ops/upsample.js';
export { conv2dRef as conv2d } from './ops/conv2d.js';
export { scaledDotProductAttentionRef as scaledDotProductAttention } from './ops/attention.js';
export { ropeRef as rope } from './ops/rope.js';
// Gradients: `ref.grad.softmax(y, g)` and so on.
export * as grad from './grad-reference.js';
