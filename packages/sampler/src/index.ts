// @cleardit/sampler: schedules (plain number arrays) and sampling loops for FLUX and DiT. The model is a
// function; this package imports only @cleardit/tensor and runs in Node and browsers alike.
export * from './schedules/flux.js';
export * from './schedules/ddpm.js';
export { eulerFlow, type FlowModel, type EulerFlowOptions } from './loops/euler.js';
export { heunFlow } from './loops/heun.js';
export * from './samplers.js';
export { ddpm, type DdpmOptions, type DiTLoopOptions } from './loops/ddpm.js';
export { ddim, type DdimOptions } from './loops/ddim.js';
export { classifierFreeGuidance, type DiTModel, type DiTGuidance } from './loops/dit.js';
export { SamplingAborted, type StepInfo, type OnStep, type LoopControl } from './progress.js';
export * from './noise.js';
export * from './latent.js';
export * from './img2img.js';
export { resizeLatent, type ResizeMode } from './resize.js';
export { resizeRef } from './resize.ref.js';
