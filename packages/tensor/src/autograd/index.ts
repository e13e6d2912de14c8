// Reverse-mode autograd: differentiable ops (the package exports these under the ops' public names),
// the tape, backward() and noGrad().
export * from './ops.js';
export { backward, noGrad, tapeOf, Tape, type TapeNode, type BackwardFn, type BackwardOptions } from './tape.js';
// For packages that define their own differentiable ops (e.g. @cleardit/attention's fused kernels).
export { record, rawOf, needsGrad, anyNeedsGrad } from './tape.js';
