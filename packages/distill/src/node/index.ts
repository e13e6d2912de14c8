// Node-only parts of @cleardit/distill: checkpoint files and the digits of the `mnist` package.
export * from './checkpoint.js';
export * from './digits.js';
