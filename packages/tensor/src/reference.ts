// The plain references, gathered: `ref.matmul(...)` computes in float64 on the CPU what `matmul(...)`
// computes on the GPU. Tests hold every kernel against these; they define what the fast paths must do.
export { host, type HostTensor } from './ops/host.js';
export { unary, powScalar, binary, addMul, map, erf, UNARY_REF, BINARY_REF } from './ops/elementwise.ref.js';
export { reduce, softmax, layerNorm, rmsNorm, groupNorm, modulate } from './ops/rows.ref.js';
export { matmul, linear } from './ops/matmul.ref.js';
export { permute, concat, slice, indexSelect, upsampleNearest2x } from './ops/layout.ref.js';
export { conv2d } from './ops/conv.ref.js';
export { scaledDotProductAttention } from './ops/attention.ref.js';
export { rope } from './ops/rope.ref.js';
// Gradients: `ref.grad.softmax(y, g)` and so on (ops/*.grad.ref.ts).
export * as grad from './grad-reference.js';
