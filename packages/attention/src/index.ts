export * from './geometry.js';
export * from './mask.js';
export * from './flops.js';
export * from './plan.js';
export * as reference from './reference.js';
export * from './attention.js';
export { attentionKernel, chunkFor } from './kernels.js';
export { pool, unpoolAdd, spatialWeightGrad } from './pool.js';
export { attention } from './differentiable.js';
