// @cleardit/models/node: what reads models from the file system — checkpoints (open.ts), text encoders
// with their tokenizers (text.ts), and FLUX's parts in a folder (flux-folder.ts).
export * from './open.js';
export * from './text.js';
export * from './flux-folder.js';
