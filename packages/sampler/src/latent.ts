// FLUX's latent packing: 2×2 patches of the [B, C, H, W] latent become tokens of 4C values,
// "b c (h ph) (w pw) -> b (h w) (c ph pw)" — channel slowest within a token. Sampling works on either
// layout; resizing and VAE decoding need the unpacked one. (DiT's unpatchify is channel fastest and is
// the model's business, not this file's.)

import { type Tensor, ShapeError, permute } from '@cleardit/tensor';

/** [B, C, H, W] → [B, (H/2)·(W/2), 4C]. H and W must be even. Returns a new tensor. */
export function packFluxLatent(x: Tensor): Tensor {
  if (x.rank !== 4 || x.shape[2] % 2 || x.shape[3] % 2)
    throw new ShapeError('packFluxLatent', `expects [B, C, H, W] with even H and W, got [${x.shape.join(', ')}]`);
  const [b, c, h, w] = x.shape;
  return x.device.scope(() => permute(x.reshape([b, c, h / 2, 2, w / 2, 2]), [0, 2, 4, 1, 3, 5]).reshape([b, (h / 2) * (w / 2), 4 * c]));
}

/** [B, (H/2)·(W/2), 4C] → [B, C, H, W] for a latent of H × W (H, W even). Returns a new tensor. */
export function unpackFluxLatent(x: Tensor, height: number, width: number): Tensor {
  if (x.rank !== 3 || height % 2 || width % 2 || x.shape[1] !== (height / 2) * (width / 2) || x.shape[2] % 4)
    throw new ShapeError('unpackFluxLatent', `[${x.shape.join(', ')}] is not a packed ${height}×${width} latent`);
  const [b, , d] = x.shape;
  const c = d / 4;
  return x.device.scope(() => permute(x.reshape([b, height / 2, width / 2, c, 2, 2]), [0, 3, 1, 4, 2, 5]).reshape([b, c, height, width]));
}
