// Reverse-mode autograd: the tape, backward() and noGrad(). The differentiable ops themselves are
// ../ops/index.ts (each op beside its kernel, in ../ops/<op>.ts).
export { backward, noGrad, tapeOf, Tape, type TapeNode, type BackwardFn, type BackwardOptions } from './tape.js';
// For packages that define their own differentiable ops (e.g. @cleardit/attention's fused kernels).
export { record, rawOf, needsGrad, anyNeedsGrad } from './tape.js';
