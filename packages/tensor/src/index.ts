export * from './errors.js';
export { Device } from './device/device.js';
export { Tensor } from './tensor.js';
export * from './create.js';
// The public ops, each differentiable, each exported once (ops/index.ts); the raw kernels stay
// reachable as `raw.*` and the references as `ref.*`, so no public name can be a kernel that silently
// drops gradients.
export * from './ops/index.js';
export type { UnaryOp, BinaryOp } from './ops/elementwise.js';
export { normalValues, uniformValues, philox } from './random.js';
export * from './shape.js';
export * from './dtype.js';
export * from './half.js';
export type { PoolStats } from './device/pool.js';
export type { AdapterDescription, KernelLaunch } from './device/device.js';
export { f32Lit, memo } from './ops/wgsl.js';
export { rowKernel, rowMode, rowKit, type RowKit, type RowMode } from './ops/reduce-kit.js';
export { defineKernel, foldGrid, type Kernel, type KernelSpec, type KernelEach, type LaunchArgs, type ParamType } from './ops/kernel.js';
export * as ref from './reference.js';
export * from './safetensors/index.js';
export { createBrowserDevice, type BrowserDeviceOptions } from './device/browser.js';
export { describeAdapter, isSoftwareAdapter } from './device/describe.js';
export * from './autograd/index.js';
export * as raw from './raw.js';
export * from './optim/index.js';
