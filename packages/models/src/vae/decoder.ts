// The LDM VAE decoder (FLUX's autoencoder and the SD VAE; spec/flux.md §11, spec/dit.md §8), on
// diffusers names. decode(): latent z [B, C_z, h, w] → image [B, 3, 8h, 8w] in about [−1, 1] (not
// clamped; toPixels() clamps and maps to 0..255). The latent is first mapped z/scaling + shift.
import { type Device, type Tensor, add, addScalar, mulScalar, conv2d, groupNorm, silu, upsampleNearest2x, permute, linear } from '@cleardit/tensor';
import { flashAttention } from '@cleardit/attention';
import { type VaeConfig, type VaeParams, checkVaeConfig, vaeParams } from './config.js';
import { type Bound, bindParams } from '../params.js';
import type { LinearWeights } from '../layers.js';
import { Weights } from '../weights.js';

type Decoder = Bound<VaeParams>['decoder'];
type Resnet = Decoder['mid_block']['resnets'][number];
type Attention = Decoder['mid_block']['attentions'][number];
type Conv = Resnet['conv1'];
type Norm = Resnet['norm1'];

export class VaeDecoder {
  readonly family = 'vae';
  /** The parameters as declared in vaeParams, read from `weights`. */
  readonly params: Bound<VaeParams>;
  constructor(
    readonly device: Device,
    readonly config: VaeConfig,
    readonly weights: Weights,
  ) {
    checkVaeConfig(config);
    this.params = bindParams(vaeParams(config), weights);
  }

  private conv(x: Tensor, p: Conv, padding: number): Tensor {
    return conv2d(x, p.weight, { bias: p.bias, padding });
  }

  private norm(x: Tensor, p: Norm): Tensor {
    return groupNorm(x, this.config.groups, { weight: p.weight, bias: p.bias, eps: this.config.eps });
  }

  private resnet(x: Tensor, p: Resnet): Tensor {
    const h = this.conv(silu(this.norm(x, p.norm1)), p.conv1, 1);
    const h2 = this.conv(silu(this.norm(h, p.norm2)), p.conv2, 1);
    const skip = p.conv_shortcut ? this.conv(x, p.conv_shortcut, 0) : x;
    return add(skip, h2);
  }

  /** Single-head attention over the h·w positions, scale 1/√C, with a residual. */
  private attention(x: Tensor, p: Attention): Tensor {
    const [B, C, H, Wd] = x.shape;
    const tokens = permute(this.norm(x, p.group_norm).reshape([B, C, H * Wd]), [0, 2, 1]); // [B, HW, C]
    const proj = (l: LinearWeights) => linear(tokens, l.weight, l.bias).reshape([B, 1, H * Wd, C]);
    const o = flashAttention(proj(p.to_q), proj(p.to_k), proj(p.to_v)).reshape([B, H * Wd, C]);
    const out = linear(o, p.to_out[0].weight, p.to_out[0].bias);
    return add(x, permute(out, [0, 2, 1]).reshape([B, C, H, Wd]));
  }

  decode(z: Tensor): Tensor {
    const c = this.config;
    const P = this.params;
    return this.device.scope(() => {
      let x = addScalar(mulScalar(z, 1 / c.scalingFactor), c.shiftFactor);
      if (P.post_quant_conv) x = this.conv(x, P.post_quant_conv, 0);
      const dec = P.decoder;
      x = this.conv(x, dec.conv_in, 1);
      x = this.resnet(x, dec.mid_block.resnets[0]);
      x = this.attention(x, dec.mid_block.attentions[0]);
      x = this.resnet(x, dec.mid_block.resnets[1]);
      for (const block of dec.up_blocks) {
        for (const r of block.resnets) x = this.resnet(x, r);
        if (block.upsamplers) x = this.conv(upsampleNearest2x(x), block.upsamplers[0].conv, 1);
      }
      return this.conv(silu(this.norm(x, dec.conv_norm_out)), dec.conv_out, 1);
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
