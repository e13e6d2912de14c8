// The LDM VAE decoder (FLUX's autoencoder and the SD VAE; spec/flux.md §11, spec/dit.md §8), on
// diffusers names. decode(): latent z [B, C_z, h, w] → image [B, 3, 8h, 8w] in about [−1, 1] (not
// clamped; toPixels() clamps and maps to 0..255). The latent is first mapped z/scaling + shift.
import { type Device, type Tensor, add, addScalar, mulScalar, conv2d, groupNorm, silu, upsampleNearest2x, permute, linear } from '@cleardit/tensor';
import { flashAttention } from '@cleardit/attention';
import { type VaeConfig, checkVaeConfig } from './config.js';
import { Weights } from '../weights.js';

export class VaeDecoder {
  readonly family = 'vae';
  constructor(
    readonly device: Device,
    readonly config: VaeConfig,
    readonly weights: Weights,
  ) {
    checkVaeConfig(config);
  }

  private W(k: string): Tensor {
    return this.weights.get(k);
  }

  private conv(x: Tensor, name: string, padding: number): Tensor {
    return conv2d(x, this.W(`${name}.weight`), { bias: this.W(`${name}.bias`), padding });
  }

  private norm(x: Tensor, name: string): Tensor {
    return groupNorm(x, this.config.groups, { weight: this.W(`${name}.weight`), bias: this.W(`${name}.bias`), eps: this.config.eps });
  }

  private resnet(x: Tensor, name: string): Tensor {
    const h = this.conv(silu(this.norm(x, `${name}.norm1`)), `${name}.conv1`, 1);
    const h2 = this.conv(silu(this.norm(h, `${name}.norm2`)), `${name}.conv2`, 1);
    const skip = this.weights.has(`${name}.conv_shortcut.weight`) ? this.conv(x, `${name}.conv_shortcut`, 0) : x;
    return add(skip, h2);
  }

  /** Single-head attention over the h·w positions, scale 1/√C, with a residual. */
  private attention(x: Tensor, name: string): Tensor {
    const [B, C, H, Wd] = x.shape;
    const tokens = permute(this.norm(x, `${name}.group_norm`).reshape([B, C, H * Wd]), [0, 2, 1]); // [B, HW, C]
    const proj = (k: string) => linear(tokens, this.W(`${name}.${k}.weight`), this.W(`${name}.${k}.bias`)).reshape([B, 1, H * Wd, C]);
    const o = flashAttention(proj('to_q'), proj('to_k'), proj('to_v')).reshape([B, H * Wd, C]);
    const out = linear(o, this.W(`${name}.to_out.0.weight`), this.W(`${name}.to_out.0.bias`));
    return add(x, permute(out, [0, 2, 1]).reshape([B, C, H, Wd]));
  }

  decode(z: Tensor): Tensor {
    const c = this.config;
    return this.device.scope(() => {
      let x = addScalar(mulScalar(z, 1 / c.scalingFactor), c.shiftFactor);
      if (c.postQuantConv) x = this.conv(x, 'post_quant_conv', 0);
      x = this.conv(x, 'decoder.conv_in', 1);
      x = this.resnet(x, 'decoder.mid_block.resnets.0');
      x = this.attention(x, 'decoder.mid_block.attentions.0');
      x = this.resnet(x, 'decoder.mid_block.resnets.1');
      const levels = c.blockOutChannels.length;
      for (let i = 0; i < levels; i++) {
        for (let j = 0; j <= c.layersPerBlock; j++) x = this.resnet(x, `decoder.up_blocks.${i}.resnets.${j}`);
        if (i < levels - 1) x = this.conv(upsampleNearest2x(x), `decoder.up_blocks.${i}.upsamplers.0.conv`, 1);
      }
      return this.conv(silu(this.norm(x, 'decoder.conv_norm_out')), 'decoder.conv_out', 1);
    });
  }

  dispose(): void {
    this.weights.dispose();
  }
}

/** [B, 3, H, W] in [−1, 1] → RGBA bytes per image (clamped, (x + 1)·127.5, rounded). */
export function toPixels(image: Float32Array, shape: readonly number[]): Uint8Array[] {
  const [B, C, H, W] = shape;
  const out: Uint8Array[] = [];
  for (let b = 0; b < B; b++) {
    const px = new Uint8Array(H * W * 4);
    for (let i = 0; i < H * W; i++) {
      for (let ch = 0; ch < 3; ch++) {
        const v = image[(b * C + Math.min(ch, C - 1)) * H * W + i];
        px[i * 4 + ch] = Math.round((Math.min(1, Math.max(-1, v)) + 1) * 127.5);
      }
      px[i * 4 + 3] = 255;
    }
    out.push(px);
  }
  return out;
}
