// @cleardit/distill: training for cleardit — flow-matching teachers today (the CLEAR distillation
// builds on the same loop). Platform-neutral; files and the digit data are in @cleardit/distill/node.
export * from './data.js';
export * from './flow.js';
export * from './ema.js';
export * from './trainer.js';
