// The raw (non-recording) kernels under their own names, for code that must not touch the tape:
// `raw.matmul(...)` is the kernel itself, whatever requires gradients.
export * from '../ops/elementwise.js';
export * from '../ops/rows.js';
export * from '../ops/matmul.js';
export * from '../ops/layout.js';
export * from '../ops/conv.js';
export * from '../ops/attention.js';
export * from '../ops/rope.js';
