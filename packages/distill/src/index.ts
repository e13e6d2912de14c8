// @cleardit/distill: training for cleardit — flow-matching teachers, CLEAR distillation of students
// from them, and what the evaluation scores with (a digit classifier, the Fréchet distance).
// Platform-neutral; files and the digit data are in @cleardit/distill/node.
export * from './data.js';
export * from './flow.js';
export * from './ema.js';
export * from './trainer.js';
export * from './distill.js';
export * from './classifier.js';
export * from './frechet.js';
