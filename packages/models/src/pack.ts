// FLUX image token ids: (0, row, col) for an h×w packed-token grid, row-major. (Latent packing itself
// lives in @cleardit/sampler, beside the loops that use it.)
export function imageIds(h: number, w: number): Float32Array {
  const ids = new Float32Array(h * w * 3);
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) ids.set([0, i, j], (i * w + j) * 3);
  return ids;
}
