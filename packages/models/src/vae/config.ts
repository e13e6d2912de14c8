// The LDM/diffusers VAE decoder as plain data: FLUX's autoencoder decoder and the SD VAE decoder are
// the same network with different widths, latent channels, scaling and an optional post_quant_conv.
import { ConfigError } from '../errors.js';

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

/** Canonical (diffusers) decoder keys and shapes. */
export function vaeKeys(c: VaeConfig): Map<string, number[]> {
  const k = new Map<string, number[]>();
  const conv = (name: string, out: number, inp: number, ks: number) => {
    k.set(`${name}.weight`, [out, inp, ks, ks]);
    k.set(`${name}.bias`, [out]);
  };
  const norm = (name: string, ch: number) => {
    k.set(`${name}.weight`, [ch]);
    k.set(`${name}.bias`, [ch]);
  };
  const resnet = (name: string, inp: number, out: number) => {
    norm(`${name}.norm1`, inp);
    conv(`${name}.conv1`, out, inp, 3);
    norm(`${name}.norm2`, out);
    conv(`${name}.conv2`, out, out, 3);
    if (inp !== out) conv(`${name}.conv_shortcut`, out, inp, 1);
  };
  const widths = [...c.blockOutChannels].reverse();
  const top = widths[0];
  if (c.postQuantConv) conv('post_quant_conv', c.latentChannels, c.latentChannels, 1);
  conv('decoder.conv_in', top, c.latentChannels, 3);
  resnet('decoder.mid_block.resnets.0', top, top);
  norm('decoder.mid_block.attentions.0.group_norm', top);
  for (const q of ['to_q', 'to_k', 'to_v', 'to_out.0']) {
    k.set(`decoder.mid_block.attentions.0.${q}.weight`, [top, top]);
    k.set(`decoder.mid_block.attentions.0.${q}.bias`, [top]);
  }
  resnet('decoder.mid_block.resnets.1', top, top);
  let prev = top;
  widths.forEach((w, i) => {
    for (let j = 0; j <= c.layersPerBlock; j++) resnet(`decoder.up_blocks.${i}.resnets.${j}`, j === 0 ? prev : w, w);
    if (i < widths.length - 1) conv(`decoder.up_blocks.${i}.upsamplers.0.conv`, w, w, 3);
    prev = w;
  });
  norm('decoder.conv_norm_out', prev);
  conv('decoder.conv_out', c.outChannels, prev, 3);
  return k;
}
