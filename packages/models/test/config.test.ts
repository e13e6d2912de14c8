// Configs are validated where they are read: a FLUX config whose RoPE axes do not cover a head, or
// with a field of the wrong type, is a ConfigError naming the field; every preset passes.
import { describe, it, expect } from 'vitest';
import { FLUX_PRESETS, checkFluxConfig, fluxConfigFromJson, ditConfigFromJson, ConfigError } from '../src/index.js';

const tinyJson = {
  in_channels: 16,
  vec_in_dim: 32,
  context_in_dim: 48,
  hidden_size: 64,
  mlp_ratio: 4,
  num_heads: 4,
  depth: 2,
  depth_single_blocks: 2,
  axes_dim: [4, 6, 6],
  theta: 10000,
  qkv_bias: true,
  guidance_embed: true,
};

describe('configs', () => {
  it('every FLUX preset is valid, and the tiny one reads back from JSON', () => {
    for (const c of Object.values(FLUX_PRESETS)) expect(() => checkFluxConfig(c)).not.toThrow();
    expect(fluxConfigFromJson(tinyJson)).toEqual(FLUX_PRESETS['flux-tiny']);
  });

  it('refuses axes that do not cover a head, a malformed axes_dim, partial heads and non-numbers', () => {
    expect(() => fluxConfigFromJson({ ...tinyJson, axes_dim: [4, 6, 8] })).toThrowError(/axes_dim \[4, 6, 8\] sums to 18, not the head dim 16/);
    expect(() => fluxConfigFromJson({ ...tinyJson, axes_dim: '4,6,6' })).toThrowError(/'axes_dim' is "4,6,6", expected three positive even integers/);
    expect(() => fluxConfigFromJson({ ...tinyJson, num_heads: 3 })).toThrowError(/hidden size 64 is not a multiple of 3 heads/);
    expect(() => fluxConfigFromJson({ ...tinyJson, depth: '2' })).toThrowError(ConfigError);
    expect(() => ditConfigFromJson({ input_size: 32 })).toThrowError(/DiT config: 'patch_size' is missing or not a number/);
  });
});
