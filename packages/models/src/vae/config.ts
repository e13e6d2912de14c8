// The LDM/diffusers VAE decoder as plain data: FLUX's autoencoder decoder and the SD VAE decoder are
// the same network with different widths, latent channels, scaling and an optional post_quant_conv.
import { ConfigError } from '../errors.js';
import { Param, linearParams, paramKeys } from '../params.js';

export interface VaeConfig {
  latentChannels: number;
  outChannels: number;
  /** Encoder order, as diffusers' block_out_channels; the decoder walks it reversed. */
  blockOutChannels: number[];
  /** Resnets per up block = layersPerBlock + 1. */
  layersPerBlock: number;
  groups: number;
  eps: number;
  scalingFactor: number;
  shiftFactor: number;
  postQuantConv: boolean;
}

export const VAE_PRESETS: Record<string, VaeConfig> = {
  'flux-ae': {
    latentChannels: 16,
    outChannels: 3,
    blockOutChannels: [128, 256, 512, 512],
    layersPerBlock: 2,
    groups: 32,
    eps: 1e-6,
    scalingFactor: 0.3611,
    shiftFactor: 0.1159,
    postQuantConv: false,
  },
  'sd-vae': {
    latentChannels: 4,
    outChannels: 3,
    blockOutChannels: [128, 256, 512, 512],
    layersPerBlock: 2,
    groups: 32,
    eps: 1e-6,
    scalingFactor: 0.18215,
    shiftFactor: 0,
    postQuantConv: true,
  },
};

/** What every VAE decoder config must satisfy: positive widths that its group norms divide. */
export function checkVaeConfig(c: VaeConfig): void {
  for (const k of ['latentChannels', 'outChannels', 'groups'] as const)
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new ConfigError(`VAE config: ${k} ${c[k]} is not a positive integer`);
  if (!Number.isInteger(c.layersPerBlock) || c.layersPerBlock < 0)
    throw new ConfigError(`VAE config: layersPerBlock ${c.layersPerBlock} is not a non-negative integer`);
  if (c.blockOutChannels.length === 0) throw new ConfigError('VAE config: blockOutChannels is empty (at least one block)');
  for (const w of c.blockOutChannels)
    if (!Number.isInteger(w) || w < 1 || w % c.groups)
      throw new ConfigError(
        `VAE config: block width ${w} in blockOutChannels [${c.blockOutChannels.join(', ')}] is not a positive multiple of ${c.groups} groups`,
      );
  if (!(c.eps > 0)) throw new ConfigError(`VAE config: eps ${c.eps} is not positive`);
  if (!(c.scalingFactor > 0) || !Number.isFinite(c.shiftFactor))
    throw new ConfigError(`VAE config: scalingFactor ${c.scalingFactor} must be positive and shiftFactor ${c.shiftFactor} finite`);
}

/** The decoder's parameters under diffusers' AutoencoderKL names (canonical). */
export function vaeParams(c: VaeConfig) {
  const conv = (out: number, inp: number, ks: number) => ({ weight: new Param(out, inp, ks, ks), bias: new Param(out) });
  const norm = (ch: number) => ({ weight: new Param(ch), bias: new Param(ch) });
  const resnet = (inp: number, out: number) => ({
    norm1: norm(inp),
    conv1: conv(out, inp, 3),
    norm2: norm(out),
    conv2: conv(out, out, 3),
    conv_shortcut: inp !== out ? conv(out, inp, 1) : undefined, // a 1×1 conv where the width changes
  });
  const widths = [...c.blockOutChannels].reverse(); // the decoder walks the encoder's widths backwards
  const top = widths[0];
  const last = widths[widths.length - 1];
  return {
    post_quant_conv: c.postQuantConv ? conv(c.latentChannels, c.latentChannels, 1) : undefined,
    decoder: {
      conv_in: conv(top, c.latentChannels, 3),
      mid_block: {
        resnets: [resnet(top, top), resnet(top, top)] as const,
        attentions: [
          {
            group_norm: norm(top),
            to_q: linearParams(top, top),
            to_k: linearParams(top, top),
            to_v: linearParams(top, top),
            to_out: [linearParams(top, top)] as const,
          },
        ] as const,
      },
      up_blocks: widths.map((w, i) => ({
        resnets: Array.from({ length: c.layersPerBlock + 1 }, (_, j) => resnet(j === 0 ? (widths[i - 1] ?? top) : w, w)),
        upsamplers: i < widths.length - 1 ? [{ conv: conv(w, w, 3) }] : undefined, // ×2 before every block but the last
      })),
      conv_norm_out: norm(last),
      conv_out: conv(c.outChannels, last, 3),
    },
  };
}

export type VaeParams = ReturnType<typeof vaeParams>;

/** Canonical (diffusers) decoder keys and shapes, from vaeParams. */
export const vaeKeys = (c: VaeConfig): Map<string, number[]> => paramKeys(vaeParams(c));
