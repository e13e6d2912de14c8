// Drawing a grayscale digit ([side, side] in [−1, 1], the sampler's latent) onto a canvas at its own
// pixel size; CSS scales it up with crisp pixels. The byte mapping is gridPixels', as `cleardit generate` writes PNGs.
import { gridPixels } from '@cleardit/pipelines';

export function drawDigit(canvas: HTMLCanvasElement, values: Float32Array, side: number): Uint8Array {
  const { pixels } = gridPixels(values, 1, side);
  canvas.width = side;
  canvas.height = side;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(side, side);
  for (let i = 0; i < pixels.length; i++) img.data.set([pixels[i], pixels[i], pixels[i], 255], 4 * i);
  ctx.putImageData(img, 0, 0);
  return pixels;
}
