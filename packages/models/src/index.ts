// @cleardit/models: FLUX.1, DiT and the VAE decoders on WebGPU, under their public checkpoint names.
export * from './flux/config.js';
export * from './flux/keys.js';
export * from './flux/transformer.js';
export * from './dit/config.js';
export * from './dit/keys.js';
export * from './dit/transformer.js';
export * from './vae/config.js';
export * from './vae/keys.js';
export * from './vae/decoder.js';
export * from './weights.js';
export * from './mapping.js';
export * from './source.js';
export * from './checkpoint.js';
export * from './attention-mode.js';
export * from './embeddings.js';
export * from './pack.js';
export * from './model.js';
