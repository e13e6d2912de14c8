// FLUX latent packing (spec/flux.md §8): z [B, 16, H, W] ↔ packed [B, (H/2)(W/2), 64], channel slowest:
// packed[b, i·w + j, 4c + 2p + q] = z[b, c, 2i + p, 2j + q]. Plus the (0, row, col) image ids.
import { type Tensor, permute } from '@cleardit/tensor';

export function packLatents(z: Tensor): Tensor {
  const [B, C, H, W] = z.shape;
  return permute(z.reshape([B, C, H / 2, 2, W / 2, 2]), [0, 2, 4, 1, 3, 5]).reshape([B, (H / 2) * (W / 2), C * 4]);
}

export function unpackLatents(x: Tensor, height: number, width: number): Tensor {
  const [B, , F] = x.shape;
  const C = F / 4;
  return permute(x.reshape([B, height / 2, width / 2, C, 2, 2]), [0, 3, 1, 4, 2, 5]).reshape([B, C, height, width]);
}

/** (0, row, col) for an h×w token grid, row-major: [h·w, 3]. */
export function imageIds(h: number, w: number): Float32Array {
  const ids = new Float32Array(h * w * 3);
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) ids.set([0, i, j], (i * w + j) * 3);
  return ids;
}
